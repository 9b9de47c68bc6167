"""The two metric conventions and the input scaling that tells them apart.

- ``standard`` (Vivone / Wald toolboxes): pred and target are used as given, expected in
  [0, data_range] (data_range 1 by default). Nothing is clipped.
- ``paper`` (HSSDCT / QRCODE evaluation code): pred and target are given in the target's original
  units; both are min-max scaled with the target's own global (per image) min and max before
  PSNR, SAM and ERGAS. RMSE stays in the original units.
"""

from __future__ import annotations

import torch

from metrics._checks import images_where

CONVENTIONS = ("standard", "paper")


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def minmax_by_target(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,C,H,W) pair -> both scaled by (x - min(target_i)) / (max(target_i) - min(target_i)).

    min and max are taken per image i over all bands and pixels, as the authors' loader does.
    Raises ValueError when a target image is constant (the scaling divides by zero).
    """
    lo = target.amin(dim=(1, 2, 3), keepdim=True)
    span = target.amax(dim=(1, 2, 3), keepdim=True) - lo
    if bool((span == 0).any()):
        raise ValueError(
            "convention='paper' min-max scales by the target's range, but target image(s) "
            f"{images_where(span == 0)} are constant (max == min)"
        )
    return (pred - lo) / span, (target - lo) / span


def in_convention(
    pred: torch.Tensor, target: torch.Tensor, convention: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """The pair a metric works on: as given under `standard`, min-max scaled under `paper`."""
    if check_convention(convention) == "paper":
        return minmax_by_target(pred, target)
    return pred, target
