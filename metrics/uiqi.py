"""Universal image quality index Q (Wang & Bovik 2002) on 32x32 blocks, per band; 1 is best.

Blocks: non-overlapping block_size x block_size tiles from the top-left corner (the tiling of
Vivone's q2n.m, Q_shift = Q_blocks_size = 32); rows and columns that do not fill a tile are left
out. Vivone's Q.m instead slides the 32x32 window one pixel at a time (img_qi 'valid'); the two
agree on uniform images and differ slightly elsewhere. Each tile's Q is
4*cov*mu_x*mu_y / ((var_x + var_y)(mu_x^2 + mu_y^2)), with img_qi's two special cases: a tile
flat in both images scores 2*mu_x*mu_y/(mu_x^2 + mu_y^2), and a tile where that is 0/0 too
scores 1. Q is averaged over tiles, then over bands.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F

from metrics._blocks import per_band
from metrics._checks import check_pair, check_positive_int, fmt_shape
from metrics.conventions import check_convention, in_convention


def _tiles(x: torch.Tensor, block: int) -> torch.Tensor:
    """(B,C,H,W) -> (B,C,H//block,block,W//block,block) view of the full tiles."""
    b, c, h, w = x.shape
    nh, nw = h // block, w // block
    return x[:, :, : nh * block, : nw * block].reshape(b, c, nh, block, nw, block)


def _uiqi_bands(pred: torch.Tensor, target: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B,c,H,W) pair -> (B,c) Q averaged over each band's tiles."""
    x, y = _tiles(pred, block_size), _tiles(target, block_size)
    b, c, nh, _, nw, _ = x.shape
    x0, y0 = x[:, :, :, :1, :, :1], y[:, :, :, :1, :, :1]
    # Shifted one-pass moments: relative to its first pixel a flat tile is exactly 0, so the
    # special cases below see exact zeros rather than rounding noise.
    xs = (x - x0).view(b, c, nh * block_size, nw * block_size)
    ys = (y - y0).view(b, c, nh * block_size, nw * block_size)
    mx_s, my_s = F.avg_pool2d(xs, block_size), F.avg_pool2d(ys, block_size)
    cov = F.avg_pool2d(xs * ys, block_size) - mx_s * my_s
    var_sum = F.avg_pool2d(xs.mul_(xs).addcmul_(ys, ys), block_size) - mx_s**2 - my_s**2
    mu_x, mu_y = x0[:, :, :, 0, :, 0] + mx_s, y0[:, :, :, 0, :, 0] + my_s
    mean_sq = mu_x * mu_x + mu_y * mu_y
    den = var_sum * mean_sq
    ones = torch.ones_like(den)
    q = torch.where(den != 0, 4 * cov * mu_x * mu_y / torch.where(den != 0, den, ones), ones)
    flat = (var_sum <= 0) & (mean_sq != 0)
    q = torch.where(flat, 2 * mu_x * mu_y / torch.where(flat, mean_sq, ones), q)
    return q.mean(dim=(2, 3))


def _check_uiqi_size(shape: torch.Size, block_size: int) -> None:
    if min(shape[2:]) < block_size:
        raise ValueError(
            f"uiqi needs H and W >= block_size={block_size}, got shape {fmt_shape(shape)}"
        )


def _uiqi_update(pred: torch.Tensor, target: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B,C,H,W) pair -> (B,C) Q averaged over each band's tiles."""
    _check_uiqi_size(pred.shape, block_size)
    return per_band(partial(_uiqi_bands, block_size=block_size), pred, target, "window")


def _uiqi_compute(q_per_band: torch.Tensor) -> torch.Tensor:
    """(B,C) -> (B,) mean over bands."""
    return q_per_band.mean(dim=1)


def uiqi(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    block_size: int = 32,
    convention: str = "standard",
) -> torch.Tensor:
    """Q index per image: Wang-Bovik UIQI on non-overlapping tiles, averaged over tiles and bands.

    pred, target: (B,C,H,W), H and W >= block_size. Returns (B,) in [-1, 1]. Under `paper`
    both are min-max scaled by the target's global min/max first.

    Example:
        >>> import torch
        >>> target = torch.rand(1, 2, 64, 64, generator=torch.Generator().manual_seed(0))
        >>> uiqi(target, target).round(decimals=4)
        tensor([1.])
    """
    check_pair(pred, target)
    block_size = check_positive_int(block_size, "block_size")
    check_convention(convention)
    pred, target = in_convention(pred, target, convention)
    return _uiqi_compute(_uiqi_update(pred, target, block_size))
