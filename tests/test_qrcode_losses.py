"""The lab's joint loss (CSAKD trainOps.py): SmoothL1 + 0.1 (1 - cos) + 0.1 band-wise term."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from methods.qrcode.losses import bandwise_loss, cosine_loss, joint_loss


def pair(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(2, 5, 6, 7, generator=g) * 2 - 1
    return target + 0.3 * torch.randn(2, 5, 6, 7, generator=g), target


def test_cosine_loss_is_zero_for_scaled_spectra():
    _, target = pair()
    assert cosine_loss(3.0 * target, target).abs() < 1e-6


def test_cosine_loss_skips_pixels_with_zero_norm():
    pred, target = pair()
    pred_zeroed = pred.clone()
    pred_zeroed[:, :, 0, 0] = 0
    kept = torch.ones(2, 6, 7, dtype=torch.bool)
    kept[:, 0, 0] = False
    cos = F.cosine_similarity(pred, target, dim=1)[kept]
    torch.testing.assert_close(cosine_loss(pred_zeroed, target), 1 - cos.mean())


def test_bandwise_loss_keeps_the_labs_constant_offset():
    _, target = pair()
    expected = (-0.5 / (target**2 + 0.1).mean(dim=(2, 3))).mean()
    torch.testing.assert_close(bandwise_loss(target, target), expected)


def test_bandwise_loss_grows_faster_than_smooth_l1_beyond_beta():
    target = torch.zeros(1, 1, 1, 2)
    pred = torch.tensor([[[[2.0, 3.0]]]])  # |d| > beta = 1: d^2/2 + d - 3/2
    expected = ((0.5 * 4 + 2 - 1.5) + (0.5 * 9 + 3 - 1.5)) / 2 / 0.1
    torch.testing.assert_close(bandwise_loss(pred, target), torch.tensor(expected))


def test_joint_loss_weights_the_three_terms():
    pred, target = pair(1)
    per_band_scale = (target**2 + 0.1).mean(dim=(2, 3))
    d = (pred - target).abs()
    elem = torch.where(d < 1, 0.5 * d**2 - 0.5, 0.5 * d**2 + d - 1.5)
    bandwise = (elem.mean(dim=(2, 3)) / per_band_scale).mean()
    cos = 1 - F.cosine_similarity(pred, target, dim=1).mean()
    smooth = torch.where(d < 1, 0.5 * d**2, d - 0.5).mean()
    torch.testing.assert_close(joint_loss(pred, target), smooth + 0.1 * cos + 0.1 * bandwise)


def test_losses_reject_mismatched_shapes():
    pred, target = pair()
    with pytest.raises(ValueError, match="pred and target must both be"):
        joint_loss(pred[:, :4], target)
