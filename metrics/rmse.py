"""Root mean squared error over all bands and pixels of each image."""

from __future__ import annotations

import torch

from metrics._blocks import per_band
from metrics._checks import check_pair
from metrics._stats import band_sse
from metrics.conventions import check_convention


def _rmse_update(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(B,C,H,W) pair -> (B,C) per-band sum of squared errors and the values per band."""
    return per_band(band_sse, pred, target, "stream"), pred.shape[2] * pred.shape[3]


def _rmse_compute(sse: torch.Tensor, n_per_band: int) -> torch.Tensor:
    """(B,C) per-band SSE -> (B,) global RMSE sqrt(sum SSE / (C*H*W))."""
    return torch.sqrt(sse.sum(dim=1) / (n_per_band * sse.shape[1]))


def rmse(pred: torch.Tensor, target: torch.Tensor, *, convention: str = "standard") -> torch.Tensor:
    """Global RMSE per image, in the units of the inputs.

    pred, target: (B,C,H,W). Returns (B,). Both conventions take the inputs as given: under
    `standard` they are in [0, data_range], under `paper` they are in the target's original units
    (the authors map back from the min-max scale before their RMSE), so the number is the same.

    Example:
        >>> import torch
        >>> target = torch.zeros(1, 2, 3, 3)
        >>> rmse(target + 0.25, target)
        tensor([0.2500])
    """
    check_pair(pred, target)
    check_convention(convention)
    sse, n_per_band = _rmse_update(pred, target)
    return _rmse_compute(sse, n_per_band)
