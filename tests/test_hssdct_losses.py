"""HSSDCT's training loss: SmoothL1 + 0.1 SAM + 0.1 band-wise, as the released train.py."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hssdct.losses import bandwise_loss, hssdct_loss, sam_loss


def _pixel(*values: float) -> torch.Tensor:
    return torch.tensor(values).view(1, -1, 1, 1)


def test_sam_of_orthogonal_spectra_is_half_pi():
    assert sam_loss(_pixel(1.0, 0.0), _pixel(0.0, 1.0)).item() == pytest.approx(math.pi / 2)


def test_sam_is_in_radians_and_averaged_over_pixels():
    pred = torch.cat([_pixel(1.0, 0.0), _pixel(1.0, 1.0)], dim=3)  # (1, 2, 1, 2)
    target = torch.cat([_pixel(0.0, 1.0), _pixel(1.0, 1.0)], dim=3)
    # pixel 1: pi/2; pixel 2: ~0 (only the eps inside the norms moves it off 0)
    assert sam_loss(pred, target).item() == pytest.approx(math.pi / 4, abs=2e-3)


def test_sam_eps_enters_each_squared_element_of_the_norms():
    pred, target = _pixel(3.0, 4.0), _pixel(3.0, 4.0)
    eps = 0.5
    cosine = 25.0 / (math.sqrt(9 + eps + 16 + eps) ** 2)
    assert sam_loss(pred, target, eps=eps).item() == pytest.approx(math.acos(cosine), rel=1e-5)


def test_sam_clips_the_cosine_instead_of_returning_nan():
    pred = _pixel(1.0, 1.0)
    assert torch.isfinite(sam_loss(pred, pred, eps=0.0))
    assert sam_loss(pred, -pred, eps=0.0).item() == pytest.approx(math.pi, abs=1e-3)


def test_bandwise_loss_normalises_each_band_by_its_energy():
    target = torch.zeros(1, 2, 2, 2)
    target[:, 1] = 1.0  # band energies: 0 and 1
    pred = target + 0.5  # SmoothL1 per pixel: 0.5 * 0.5^2 = 0.125
    expected = (0.125 / (0 + 0.1) + 0.125 / (1 + 0.1)) / 2
    assert bandwise_loss(pred, target).item() == pytest.approx(expected, rel=1e-6)


def test_bandwise_loss_uses_smooth_l1_with_beta_one():
    target = torch.zeros(1, 1, 1, 1)
    pred = torch.full((1, 1, 1, 1), 3.0)  # |d| >= beta: |d| - 0.5 = 2.5
    assert bandwise_loss(pred, target).item() == pytest.approx(2.5 / 0.1)


def test_total_loss_weights_the_three_terms():
    gen = torch.Generator().manual_seed(0)
    pred = torch.rand(2, 5, 4, 4, generator=gen) * 2 - 1
    target = torch.rand(2, 5, 4, 4, generator=gen) * 2 - 1
    expected = (F.smooth_l1_loss(pred, target, beta=1.0) + 0.1 * sam_loss(pred, target)
                + 0.1 * bandwise_loss(pred, target))
    assert hssdct_loss(pred, target).item() == pytest.approx(expected.item(), rel=1e-6)


def test_total_loss_is_differentiable():
    pred = torch.rand(1, 4, 3, 3, requires_grad=True)
    hssdct_loss(pred, torch.rand(1, 4, 3, 3)).backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="same shape"):
        hssdct_loss(torch.zeros(1, 3, 4, 4), torch.zeros(1, 2, 4, 4))
    with pytest.raises(ValueError, match="4-D"):
        sam_loss(torch.zeros(3, 4, 4), torch.zeros(3, 4, 4))
