"""Bicubic upsampling of the LR-HSI: the floor every fusion method must beat (it ignores the HR-MSI)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from methods.registry import register


class BicubicUpsampling(torch.nn.Module):
    """(B, C, h, w) -> (B, C, r*h, r*w) by bicubic interpolation (align_corners False)."""

    def __init__(self, ratio: int) -> None:
        super().__init__()
        self.ratio = ratio

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        size = hrmsi.shape[-2:]
        return F.interpolate(lrhsi, size=size, mode="bicubic", align_corners=False)


@register("bicubic", family="baseline", label="Bicubic", paper="(interpolation baseline)")
def bicubic(bands: int, msi_bands: int, ratio: int = 4) -> BicubicUpsampling:
    return BicubicUpsampling(ratio)
