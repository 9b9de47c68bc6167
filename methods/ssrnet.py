"""SSR-Net: X. Zhang, W. Huang, Q. Wang, X. Li, "SSR-NET: Spatial-Spectral Reconstruction Network
for Hyperspectral and Multispectral Image Fusion", IEEE TGRS 59(7), 2021,
https://doi.org/10.1109/TGRS.2020.3018732 (authors' code: github.com/hw2hwei/SSRNET).

Three stages on the HR grid, each a 3x3 convolution with ReLU over all ``bands`` channels:
cross-mode message insertion (the bilinearly upsampled LR-HSI with each HR-MSI band written over
one HSI band), fusion, spatial reconstruction (residual) and spectral reconstruction (residual).
Without wavelengths the MSI bands go where the authors' code puts them: band i at
floor(i * C / (c - 1)) for i < c - 1 and the last at C - 1, i.e. spread evenly from the first HSI
band to the last (a single MSI band goes to the middle band).

Loss (paper eq. 9-12): MSE(out, gt) + spatial-edge MSE (vertical and horizontal neighbour
differences) + spectral-edge MSE (adjacent-band differences). The shared trainer's loss sees only
the final output, so the spatial-edge term is taken on the output rather than on the spatial
stage's intermediate (in the authors' model the spectral stage's output is the output).

The stages end in ReLU, so outputs are >= 0: the entry runs in the ``unit`` domain, as the
authors' [0, 1] data did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from methods._inputs import check_inputs
from methods.registry import TrainingRecipe, register

PAPER = ('X. Zhang, W. Huang, Q. Wang, X. Li, "SSR-NET: Spatial-Spectral Reconstruction Network '
         'for Hyperspectral and Multispectral Image Fusion", IEEE TGRS 59(7), 2021')


def insertion_positions(bands: int, msi_bands: int) -> list[int]:
    """HSI band index that each MSI band replaces (authors' even spread; see module docstring)."""
    if msi_bands < 1 or msi_bands > bands:
        raise ValueError(f"msi_bands must be in 1..bands={bands}, got {msi_bands}")
    if msi_bands == 1:
        return [bands // 2]
    gap = bands / (msi_bands - 1)
    return [int(gap * i) for i in range(msi_bands - 1)] + [bands - 1]


def spatial_edges(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Differences of vertical and horizontal neighbours of (B, C, H, W)."""
    return x[:, :, :-1, :] - x[:, :, 1:, :], x[:, :, :, :-1] - x[:, :, :, 1:]


def spectral_edges(x: torch.Tensor) -> torch.Tensor:
    """Differences of adjacent bands of (B, C, H, W): (B, C - 1, H, W)."""
    return x[:, :-1] - x[:, 1:]


def ssrnet_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE on the image + MSE on both spatial edge maps + MSE on the spectral edges (scalar)."""
    fus = F.mse_loss(pred, target)
    (pv, ph), (tv, th) = spatial_edges(pred), spatial_edges(target)
    spat = F.mse_loss(pv, tv) + F.mse_loss(ph, th)
    spec = F.mse_loss(spectral_edges(pred), spectral_edges(target)) if pred.shape[1] > 1 else 0.0
    return fus + spat + spec


def conv_relu(channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())


@dataclass
class SSRNetConfig:
    bands: int
    msi_bands: int
    ratio: int = 4


class SSRNet(nn.Module):
    """``forward(lrhsi (B, C, h, w), hrmsi (B, c, H, W)) -> (B, C, H, W)`` with H = ratio * h."""

    def __init__(self, cfg: SSRNetConfig) -> None:
        super().__init__()
        self.config = cfg
        self.register_buffer("positions", torch.tensor(insertion_positions(cfg.bands, cfg.msi_bands)),
                             persistent=False)
        self.fuse = conv_relu(cfg.bands)
        self.spatial = conv_relu(cfg.bands)
        self.spectral = conv_relu(cfg.bands)

    def insert(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        """Cross-mode message insertion: upsampled LR-HSI with the MSI bands written in."""
        up = F.interpolate(lrhsi, size=hrmsi.shape[-2:], mode="bilinear", align_corners=False)
        return up.index_copy(1, self.positions, hrmsi.to(up.dtype))

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        check_inputs(lrhsi, hrmsi, self.config.bands, self.config.msi_bands, self.config.ratio)
        x = self.fuse(self.insert(lrhsi, hrmsi))
        x = x + self.spatial(x)
        return x + self.spectral(x)


@register(
    "ssrnet", family="deep", domain="unit", label="SSR-Net", paper=PAPER,
    recipe=TrainingRecipe(
        loss_fn=ssrnet_loss, loss_name="mse + spatial-edge mse + spectral-edge mse",
        optimizer="adam", lr=1e-4, scheduler="cosine", epochs=10000, batch_size=1,
        crop_size=128, flips=False, rot90=False,
        source="paper/official code defaults as far as known (hw2hwei/SSRNET args: Adam 1e-4, "
               "10000 epochs, 128-px crops); scheduler and batch size not verified",
        budget_steps=24000),
    notes=("unit domain (ReLU-ended stages); MSI bands inserted at evenly spread band positions "
           "(no wavelengths); edge losses on the final output"),
)
def ssrnet(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> SSRNet:
    """SSR-Net: three C->C 3x3 conv stages (3 * (9 C^2 + C) parameters)."""
    return SSRNet(SSRNetConfig(bands=bands, msi_bands=msi_bands, ratio=ratio, **cfg))
