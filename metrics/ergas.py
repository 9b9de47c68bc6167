"""ERGAS (erreur relative globale adimensionnelle de synthese), Wald 2000; lower is better."""

from __future__ import annotations

import torch

from metrics._blocks import per_band
from metrics._checks import check_pair, check_ratio, images_where
from metrics._stats import band_mean, band_sse
from metrics.conventions import check_convention, in_convention


def _ergas_update(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,C,H,W) pair -> (B,C) per-band MSE and (B,C) per-band reference mean."""
    mse = per_band(band_sse, pred, target, "stream") / (pred.shape[2] * pred.shape[3])
    return mse, band_mean(target)


def _ergas_compute(mse: torch.Tensor, target_mean: torch.Tensor, ratio: float) -> torch.Tensor:
    """(B,C) MSE_b and mu_b -> (B,) (100/ratio) * sqrt(mean_b MSE_b / mu_b^2)."""
    if bool((target_mean == 0).any()):
        raise ValueError(
            f"ERGAS undefined: {int((target_mean == 0).sum())} target band(s) in image(s) "
            f"{images_where(target_mean == 0)} have mean 0 (ERGAS divides by the band mean)"
        )
    return (100.0 / ratio) * torch.sqrt((mse / target_mean**2).mean(dim=1))


def ergas(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    ratio: float = 4,
    convention: str = "standard",
) -> torch.Tensor:
    """ERGAS per image: (100/ratio) * sqrt(mean over bands of MSE_b / mu_b^2), dimensionless.

    pred, target: (B,C,H,W). Returns (B,). mu_b is the target's band mean; ratio >= 1 is the
    HR/LR pixel-size ratio (4 -> the factor 25). Under `paper` both are min-max scaled by the
    target's global min/max first (the authors fix ratio=4, the default). A target band with mean
    0 raises ValueError. torchmetrics' `error_relative_global_dimensionless_synthesis` uses the
    same formula and ratio convention.

    Example:
        >>> import torch
        >>> target = torch.full((1, 3, 4, 4), 0.5)
        >>> ergas(target + 0.05, target)
        tensor([2.5000])
    """
    check_pair(pred, target)
    ratio = check_ratio(ratio)
    check_convention(convention)
    pred, target = in_convention(pred, target, convention)
    mse, target_mean = _ergas_update(pred, target)
    return _ergas_compute(mse, target_mean, ratio)
