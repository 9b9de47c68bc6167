"""HSSDCT's training loss, as the released ``train.py`` computes it.

loss = SmoothL1(beta=1) + 0.1 * SAM loss + 0.1 * band-wise loss, on (B, C, H, W) tensors in the
model's [-1, 1] domain. Pure functions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SAM_WEIGHT = 0.1
BANDWISE_WEIGHT = 0.1


def _check(pred: Tensor, target: Tensor) -> None:
    if pred.dim() != 4:
        raise ValueError(f"pred must be 4-D (B, C, H, W), got shape {tuple(pred.shape)}")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")


def sam_loss(pred: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """Mean spectral angle in radians over all pixels of (B, C, H, W).

    Each squared element inside the two norms gets ``eps`` added; the cosine is clipped to
    [-1, 1] before arccos.

    >>> x = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1); y = torch.tensor([0.0, 1.0]).view(1, 2, 1, 1)
    >>> round(sam_loss(x, y).item(), 4)  # orthogonal spectra: pi/2
    1.5708
    """
    _check(pred, target)
    dot = (pred * target).sum(dim=1)
    norm_pred = torch.sqrt((pred * pred + eps).sum(dim=1))
    norm_target = torch.sqrt((target * target + eps).sum(dim=1))
    cosine = (dot / (norm_pred * norm_target)).clamp(-1.0, 1.0)
    return torch.acos(cosine).mean()


def bandwise_loss(pred: Tensor, target: Tensor, beta: float = 1.0, offset: float = 0.1) -> Tensor:
    """Per (sample, band): SmoothL1 averaged over pixels / (mean of target^2 + offset); then mean.

    >>> y = torch.zeros(1, 1, 2, 2); p = torch.full((1, 1, 2, 2), 0.5)
    >>> round(bandwise_loss(p, y).item(), 4)  # 0.5 * 0.5^2 / (0 + 0.1)
    1.25
    """
    _check(pred, target)
    per_band = F.smooth_l1_loss(pred, target, reduction="none", beta=beta).mean(dim=(-2, -1))
    return _bandwise_from(per_band, target, offset)


def _bandwise_from(per_band: Tensor, target: Tensor, offset: float = 0.1) -> Tensor:
    """:func:`bandwise_loss` from the per-(sample, band) SmoothL1 means (B, C)."""
    energy = (target * target).mean(dim=(-2, -1)) + offset
    return (per_band / energy).mean()


def hssdct_loss(pred: Tensor, target: Tensor) -> Tensor:
    """SmoothL1(beta=1) + 0.1 * :func:`sam_loss` + 0.1 * :func:`bandwise_loss` (scalar).

    The element-wise SmoothL1 is computed once: its mean over everything is the mean of its
    per-band means (every band has H x W pixels), which the band-wise term divides.
    """
    _check(pred, target)
    per_band = F.smooth_l1_loss(pred, target, reduction="none", beta=1.0).mean(dim=(-2, -1))
    return (per_band.mean()
            + SAM_WEIGHT * sam_loss(pred, target)
            + BANDWISE_WEIGHT * _bandwise_from(per_band, target))
