"""PSRT: S. Deng, L.-J. Deng, X. Wu, R. Ran, D. Hong, G. Vivone, "PSRT: Pyramid Shuffle-and-Reshuffle
Transformer for Multispectral and Hyperspectral Image Fusion", IEEE TGRS 61, 2023,
https://doi.org/10.1109/TGRS.2023.3244750.

[bicubic-upsampled LR-HSI, HR-MSI] -> 3x3 conv embedding (32) -> ``stages`` (2) pyramid stages,
each ``len(windows)`` shuffle-and-reshuffle blocks with windows 8, 4, 2 -> 3x3 conv + LeakyReLU(0.2)
-> + upsampled LR-HSI. A block is window attention, shuffle, window attention, reshuffle, window
attention, plus the block's input. Each window attention is a pre-norm transformer layer (8
heads, MLP ratio 4, GELU) inside non-overlapping w x w windows. The shuffle cuts the map into
(w/2) x (w/2) patches and regroups them by the parity of their row and column, so the next
w x w window holds four patches that lay two patches apart (a dilated, longer-range window);
the reshuffle puts them back. The attention scale is 4, the authors' code default (not
head_dim ** -0.5). Inputs are reflect-padded to a multiple of the largest window and the output
cropped, so any size works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from methods._inputs import check_inputs
from methods.registry import Published, TrainingRecipe, register

PAPER = ('S. Deng, L.-J. Deng, X. Wu, R. Ran, D. Hong, G. Vivone, "PSRT: Pyramid Shuffle-and-'
         'Reshuffle Transformer for Multispectral and Hyperspectral Image Fusion", IEEE TGRS 61, '
         '2023')


def shuffle(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, C, H, W) -> same shape, (w/2)-patches grouped by row/column parity; H, W % window == 0."""
    return _permute_patches(x, window, parity_first=False)


def reshuffle(x: torch.Tensor, window: int) -> torch.Tensor:
    """Inverse of :func:`shuffle`."""
    return _permute_patches(x, window, parity_first=True)


def _permute_patches(x: torch.Tensor, window: int, parity_first: bool) -> torch.Tensor:
    b, c, h, w = x.shape
    d = window // 2
    n1, n2 = h // window, w // window  # patches per half-row / half-column
    if parity_first:  # patch index = parity * n + i  ->  2 * i + parity
        x = x.view(b, c, 2, n1, d, 2, n2, d)
    else:  # patch index = 2 * i + parity  ->  parity * n + i
        x = x.view(b, c, n1, 2, d, n2, 2, d)
    return x.permute(0, 1, 3, 2, 4, 6, 5, 7).reshape(b, c, h, w)


class WindowAttentionLayer(nn.Module):
    """Pre-norm attention within w x w windows + MLP, on (B, C, H, W) with H, W % w == 0."""

    def __init__(self, dim: int, heads: int, window: int, mlp_ratio: float, scale: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"embed_dim {dim} must be divisible by heads {heads}")
        self.heads, self.window, self.scale = heads, window, scale
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        s = self.window
        t = x.view(b, c, h // s, s, w // s, s).permute(0, 2, 4, 3, 5, 1).reshape(-1, s * s, c)
        q, k, v = self.qkv(self.norm1(t)).view(t.shape[0], s * s, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        t = t + self.proj(a.transpose(1, 2).reshape(t.shape[0], s * s, c))
        t = t + self.mlp(self.norm2(t))
        return t.view(b, h // s, w // s, s, s, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, h, w)


class ShuffleReshuffleBlock(nn.Module):
    """Window attention, shuffle, window attention, reshuffle, window attention; residual."""

    def __init__(self, dim: int, heads: int, window: int, mlp_ratio: float, scale: float) -> None:
        super().__init__()
        if window % 2:
            raise ValueError(f"windows must be even, got {window}")
        self.window = window
        self.local1, self.dilated, self.local2 = (
            WindowAttentionLayer(dim, heads, window, mlp_ratio, scale) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.local1(x)
        y = reshuffle(self.dilated(shuffle(y, self.window)), self.window)
        return x + self.local2(y)


@dataclass
class PSRTConfig:
    bands: int
    msi_bands: int
    ratio: int = 4
    embed_dim: int = 32
    heads: int = 8
    windows: tuple[int, ...] = (8, 4, 2)
    stages: int = 2
    mlp_ratio: float = 4.0
    qk_scale: float = 4.0


class PSRT(nn.Module):
    """``forward(lrhsi (B, C, h, w), hrmsi (B, c, H, W)) -> (B, C, H, W)`` with H = ratio * h."""

    def __init__(self, cfg: PSRTConfig) -> None:
        super().__init__()
        self.config = cfg
        self.embed = nn.Conv2d(cfg.bands + cfg.msi_bands, cfg.embed_dim, 3, padding=1)
        self.blocks = nn.Sequential(*(
            ShuffleReshuffleBlock(cfg.embed_dim, cfg.heads, win, cfg.mlp_ratio, cfg.qk_scale)
            for _ in range(cfg.stages) for win in cfg.windows))
        self.head = nn.Sequential(nn.Conv2d(cfg.embed_dim, cfg.bands, 3, padding=1),
                                  nn.LeakyReLU(0.2))
        self.multiple = max(cfg.windows)

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        check_inputs(lrhsi, hrmsi, self.config.bands, self.config.msi_bands, self.config.ratio)
        up = F.interpolate(lrhsi, size=hrmsi.shape[-2:], mode="bicubic", align_corners=False)
        x = torch.cat([up, hrmsi.to(up.dtype)], 1)
        h, w = x.shape[-2:]
        ph, pw = -h % self.multiple, -w % self.multiple
        x = F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x
        y = self.head(self.blocks(self.embed(x)))[..., :h, :w]
        return y + up


AUTHORS = "PSRT paper (authors' own results; different data, for sanity only)"


@register(
    "psrt", family="deep", domain="pm1", label="PSRT", paper=PAPER,
    recipe=TrainingRecipe(
        loss_fn=F.l1_loss, loss_name="l1", optimizer="adam", lr=1e-4, weight_decay=0.0,
        scheduler="cosine", epochs=2000, batch_size=32, crop_size=64, flips=False, rot90=False,
        source="paper/official code defaults as far as known: L1, Adam, 64-px HR patches "
               "(authors' CAVE h5 data); lr, epochs, batch and schedule not verified",
        budget_steps=14000),
    published=(
        Published(source=AUTHORS, dataset="CAVE 31 bands, x4", psnr=50.47, sam=2.19, msi_bands=3),
        Published(source=AUTHORS, dataset="Chikusei, x4", psnr=47.99, msi_bands=3),
        Published(source=AUTHORS, dataset="Pavia University, x4", psnr=36.77, msi_bands=4),
    ),
    notes="windows 8/4/2 x 2 stages; inputs replicate-padded to a multiple of 8 internally",
)
def psrt(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> PSRT:
    """PSRT with the authors' CAVE widths (embed 32, 8 heads, windows 8/4/2, 2 stages)."""
    return PSRT(PSRTConfig(bands=bands, msi_bands=msi_bands, ratio=ratio, **cfg))
