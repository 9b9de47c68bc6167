"""Fusformer: J.-F. Hu, T.-Z. Huang, L.-J. Deng, H.-X. Dou, D. Hong, G. Vivone, "Fusformer: A
Transformer-Based Fusion Network for Hyperspectral Image Super-Resolution", IEEE GRSL 19, 2022,
https://doi.org/10.1109/LGRS.2022.3194257 (authors' code: github.com/J-FHu/Fusformer).

Every HR pixel of [bicubic-upsampled LR-HSI, HR-MSI] is a token; a linear embedding (dim 48),
an encoder of 2 layers (attention, MLP) and a decoder of 2 layers (attention, attention, MLP),
pre-norm residual, 3 heads of 16, LeakyReLU MLPs of width 48; a conv head (3x3, LeakyReLU, 3x3)
predicts the residual added to the upsampled LR-HSI.

Attention is spatial, over pixels, as in the paper. That is O(N^2) in the pixel count; the authors
train on 64x64 crops and test 512x512 CAVE images cut into 64x64 patches. Here attention is
global when both sides are <= ``attn_tile`` (64: the paper's training form exactly) and otherwise
runs within attn_tile x attn_tile tiles (zero-padded, padded keys masked), so memory stays
O(N * attn_tile^2) at any size; everything else sees the whole image. The authors' clamps to
[0, 1] are left out (the entry runs in the pm1 domain) and so is their unused positional
embedding parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from methods._inputs import check_inputs
from methods.registry import Published, TrainingRecipe, register

PAPER = ('J.-F. Hu, T.-Z. Huang, L.-J. Deng, H.-X. Dou, D. Hong, G. Vivone, "Fusformer: A '
         'Transformer-Based Fusion Network for Hyperspectral Image Super-Resolution", '
         'IEEE GRSL 19, 2022')


class PixelAttention(nn.Module):
    """Multi-head self-attention over the pixels of (B, H, W, dim), global or within tiles."""

    def __init__(self, dim: int, heads: int, head_dim: int, tile: int) -> None:
        super().__init__()
        self.heads, self.head_dim, self.tile = heads, head_dim, tile
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=False)
        self.out = nn.Linear(heads * head_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, d = x.shape
        th, tw = (h, w) if h <= self.tile and w <= self.tile else (self.tile, self.tile)
        ph, pw = -h % th, -w % tw
        mask = None
        if ph or pw:
            x = F.pad(x, (0, 0, 0, pw, 0, ph))
            valid = F.pad(x.new_ones(1, h, w, 1), (0, 0, 0, pw, 0, ph)).bool()
            mask = tiles(valid, th, tw)[:, :, 0].expand(b, -1, -1).reshape(-1, 1, 1, th * tw)
        t = tiles(x, th, tw)  # (B * nT, th * tw, d)
        q, k, v = self.qkv(t).view(t.shape[0], -1, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = self.out(y.transpose(1, 2).reshape(t.shape[0], -1, self.heads * self.head_dim))
        y = untile(y, b, h + ph, w + pw, th, tw)
        return y[:, :h, :w]


def tiles(x: torch.Tensor, th: int, tw: int) -> torch.Tensor:
    """(B, H, W, D) with H % th == W % tw == 0 -> (B * nT, th * tw, D)."""
    b, h, w, d = x.shape
    x = x.view(b, h // th, th, w // tw, tw, d).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, th * tw, d)


def untile(x: torch.Tensor, b: int, h: int, w: int, th: int, tw: int) -> torch.Tensor:
    """Inverse of :func:`tiles`: (B * nT, th * tw, D) -> (B, H, W, D)."""
    x = x.view(b, h // th, w // tw, th, tw, -1).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, -1)


class PreNormResidual(nn.Module):
    def __init__(self, dim: int, fn: nn.Module) -> None:
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fn(self.norm(x))


def mlp(dim: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Linear(hidden, dim))


@dataclass
class FusformerConfig:
    bands: int
    msi_bands: int
    ratio: int = 4
    dim: int = 48
    heads: int = 3
    head_dim: int = 16
    mlp_dim: int = 48
    encoder_depth: int = 2
    decoder_depth: int = 2
    attn_tile: int = 64


class Fusformer(nn.Module):
    """``forward(lrhsi (B, C, h, w), hrmsi (B, c, H, W)) -> (B, C, H, W)`` with H = ratio * h."""

    def __init__(self, cfg: FusformerConfig) -> None:
        super().__init__()
        if cfg.attn_tile < 1:
            raise ValueError(f"attn_tile must be >= 1, got {cfg.attn_tile}")
        self.config = cfg

        def attention() -> PreNormResidual:
            return PreNormResidual(cfg.dim, PixelAttention(cfg.dim, cfg.heads, cfg.head_dim,
                                                           cfg.attn_tile))

        def feed_forward() -> PreNormResidual:
            return PreNormResidual(cfg.dim, mlp(cfg.dim, cfg.mlp_dim))

        self.embed = nn.Linear(cfg.bands + cfg.msi_bands, cfg.dim)
        layers: list[nn.Module] = []
        for _ in range(cfg.encoder_depth):
            layers += [attention(), feed_forward()]
        for _ in range(cfg.decoder_depth):
            layers += [attention(), attention(), feed_forward()]
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(cfg.dim, cfg.dim, 3, padding=1), nn.LeakyReLU(),
                                  nn.Conv2d(cfg.dim, cfg.bands, 3, padding=1))

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        check_inputs(lrhsi, hrmsi, self.config.bands, self.config.msi_bands, self.config.ratio)
        up = F.interpolate(lrhsi, size=hrmsi.shape[-2:], mode="bicubic", align_corners=False)
        tokens = self.embed(torch.cat([up, hrmsi.to(up.dtype)], 1).permute(0, 2, 3, 1))
        features = self.layers(tokens).permute(0, 3, 1, 2)
        return up + self.head(features)


PUBLISHED_SOURCE = "CSAKD/S3RNet README tables (HSSDCT lab)"
PUBLISHED_DATASET = "AVIRIS 172 bands, x4, 256x256"


@register(
    "fusformer", family="deep", domain="pm1", label="Fusformer", paper=PAPER,
    recipe=TrainingRecipe(
        loss_fn=F.l1_loss, loss_name="l1", optimizer="adam", lr=1e-3, weight_decay=0.0,
        scheduler="step", step_size=200, gamma=0.1, epochs=1000, batch_size=32, crop_size=64,
        flips=False, rot90=False,
        source="paper/official code defaults as far as known: L1, Adam 1e-3, StepLR(200, 0.1) "
               "from a public copy of the authors' train.py; batch 32 and ~1000 epochs from its "
               "commented defaults; 64-px HR patches (authors' CAVE h5)",
        budget_steps=4200),
    published=(
        Published(source=PUBLISHED_SOURCE, dataset=PUBLISHED_DATASET, params_m=0.18,
                  flops_g=11.74, psnr=34.217, sam=2.012, msi_bands=4, counter="unknown (GMACs)"),
        Published(source=PUBLISHED_SOURCE, dataset=PUBLISHED_DATASET, params_m=0.18,
                  flops_g=11.74, psnr=38.637, sam=1.678, msi_bands=6, counter="unknown (GMACs)"),
    ),
    notes=("pixel-token attention, global up to 64x64 and tiled 64x64 beyond (authors test in "
           "64x64 patches); published 11.74 G at 256x256 matches linear+conv MACs only, "
           "without the attention matmuls"),
)
def fusformer(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> Fusformer:
    """Fusformer with the authors' widths (dim 48, 3x16 heads, 2 + 2 layers)."""
    return Fusformer(FusformerConfig(bands=bands, msi_bands=msi_bands, ratio=ratio, **cfg))
