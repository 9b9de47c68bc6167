"""Cross-correlation: Pearson's correlation per band, averaged over bands; 1 is best."""

from __future__ import annotations

import torch

from metrics._blocks import band_blocks
from metrics._checks import check_pair, images_where
from metrics.conventions import check_convention


def _cc_moments(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,c,H,W) pair -> (3,B,c) sums of x'y', x'^2, y'^2 of the values centred on their band mean.

    Shifted one-pass sums: shifting each band by its first pixel keeps the sums well conditioned
    and makes a constant band's sum of squares exactly 0.
    """
    n = x.shape[2] * x.shape[3]
    xs = (x - x[:, :, :1, :1]).flatten(2)
    ys = (y - y[:, :, :1, :1]).flatten(2)
    sx, sy = xs.sum(dim=2), ys.sum(dim=2)
    sxy = torch.einsum("bcn,bcn->bc", xs, ys) - sx * sy / n
    sxx = torch.einsum("bcn,bcn->bc", xs, xs) - sx * sx / n
    syy = torch.einsum("bcn,bcn->bc", ys, ys) - sy * sy / n
    return torch.stack((sxy, sxx.clamp_min(0), syy.clamp_min(0)))


def _cc_from_moments(moments: torch.Tensor, constant_pred: str = "raise") -> torch.Tensor:
    """(3,B,C) centred sums -> (B,C) Pearson correlation. A constant target band raises
    ValueError; a constant pred band raises too, or gives NaN with ``constant_pred="nan"``."""
    sxy, sxx, syy = moments
    checked = (("pred", sxx), ("target", syy)) if constant_pred == "raise" else (("target", syy),)
    for name, var in checked:
        if bool((var == 0).any()):
            raise ValueError(
                f"CC undefined: {int((var == 0).sum())} band(s) of {name} in image(s) "
                f"{images_where(var == 0)} are constant (zero variance)"
            )
    return torch.where(sxx > 0, sxy / (sxx.sqrt() * syy.sqrt()), torch.nan)


def _cc_update(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) pair -> (B,C) Pearson correlation of each band; a constant band raises."""
    moments = torch.cat(
        [_cc_moments(pred[:, s], target[:, s]) for s in band_blocks(pred, "stream")], dim=2
    )
    return _cc_from_moments(moments)


def _cc_compute(cc_per_band: torch.Tensor) -> torch.Tensor:
    """(B,C) -> (B,) mean over bands."""
    return cc_per_band.mean(dim=1)


def cc(pred: torch.Tensor, target: torch.Tensor, *, convention: str = "standard") -> torch.Tensor:
    """Cross-correlation per image: Pearson's r of each band over its pixels, averaged over bands.

    pred, target: (B,C,H,W). Returns (B,) in [-1, 1]. A band that is constant in pred or target
    has no correlation and raises ValueError. r is invariant to the `paper` min-max scaling, so
    both conventions give the same value.

    Example:
        >>> import torch
        >>> target = torch.arange(8.0).view(1, 2, 2, 2)
        >>> cc(2 * target + 1, target)
        tensor([1.])
    """
    check_pair(pred, target)
    check_convention(convention)
    return _cc_compute(_cc_update(pred, target))
