"""Input checks shared by the deep methods' forwards (not a method: the registry skips it)."""

from __future__ import annotations

import torch


def check_inputs(lrhsi: torch.Tensor, hrmsi: torch.Tensor, bands: int, msi_bands: int,
                 ratio: int) -> None:
    """ValueError unless lrhsi is (B, bands, h, w) and hrmsi (B, msi_bands, ratio*h, ratio*w)."""
    if lrhsi.ndim != 4 or lrhsi.shape[1] != bands:
        raise ValueError(f"lrhsi must be (B, {bands}, h, w), got {tuple(lrhsi.shape)}")
    h, w = lrhsi.shape[-2:]
    if hrmsi.shape != (lrhsi.shape[0], msi_bands, ratio * h, ratio * w):
        raise ValueError(f"hrmsi must be (B, {msi_bands}, {ratio * h}, {ratio * w}) for ratio "
                         f"{ratio}, got {tuple(hrmsi.shape)}")
