"""Structural similarity (Wang et al. 2004), per band, averaged over bands; 1 is best.

Matches torchmetrics' `structural_similarity_index_measure` (1.x) with its defaults
(gaussian_kernel=True, sigma 1.5, kernel 11, k1 0.01, k2 0.03) and data_range given: each band is
reflect-padded by 5, filtered with the 11x11 Gaussian, and the SSIM map is averaged over all H*W
pixels (no border crop). SSIM needs 4 filtered maps, not 5: the means of x and y, of x*y, and of
x^2 + y^2 (only the sum of the two variances enters). They are built once, channels-last (the
layout in which oneDNN's grouped convolutions are fastest), and filtered by two 1-D Gaussian
passes grouped over channels.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F

from metrics._blocks import per_band
from metrics._checks import check_data_range, check_pair, fmt_shape
from metrics.conventions import check_convention, in_convention

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03
PAD = WINDOW // 2


def _gaussian_1d(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """(WINDOW,) normalised Gaussian taps with standard deviation SIGMA pixels."""
    d = torch.arange(-PAD, PAD + 1, dtype=dtype, device=device)
    g = torch.exp(-((d / SIGMA) ** 2) / 2)
    return g / g.sum()


def _ssim_bands(pred: torch.Tensor, target: torch.Tensor, data_range: float) -> torch.Tensor:
    """(B,c,H,W) pair -> (B,c) SSIM map averaged over each band's H*W pixels."""
    b, c, h, w = pred.shape
    n = b * c  # every band of every image is one channel
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    # (1, H+10, W+10, 4n) channels-last buffer: x, y, x^2 + y^2, x*y, reflect-padded.
    buf = pred.new_empty((1, h + 2 * PAD, w + 2 * PAD, 4 * n))
    x, y, sq, xy = buf[0].split(n, dim=2)
    pads = (PAD, PAD, PAD, PAD)
    x.copy_(F.pad(pred.reshape(n, h, w), pads, mode="reflect").permute(1, 2, 0))
    y.copy_(F.pad(target.reshape(n, h, w), pads, mode="reflect").permute(1, 2, 0))
    torch.mul(x, x, out=sq).addcmul_(y, y)
    torch.mul(x, y, out=xy)

    g = _gaussian_1d(pred.dtype, pred.device)
    # The second pass adds C2/2 to E[xy] and C2 to E[x^2 + y^2] as a bias, for the formula below.
    bias = torch.zeros(4 * n, dtype=pred.dtype, device=pred.device)
    bias[2 * n : 3 * n], bias[3 * n :] = c2, c2 / 2
    maps = buf.permute(0, 3, 1, 2)  # (1, 4n, H+10, W+10) with channels-last strides
    maps = F.conv2d(maps, g.view(1, 1, WINDOW, 1).expand(4 * n, 1, WINDOW, 1), groups=4 * n)
    maps = F.conv2d(maps, g.view(1, 1, 1, WINDOW).expand(4 * n, 1, 1, WINDOW), bias, groups=4 * n)
    mu_x, mu_y, e_sq_c2, e_xy_c2 = maps[0].split(n, dim=0)

    # SSIM = (2 mu_x mu_y + C1)(2 cov + C2) / ((mu_x^2 + mu_y^2 + C1)(var_x + var_y + C2))
    #      = 4 (mu_x mu_y + C1/2)(cov + C2/2) / (...), in place, in the dead input buffer.
    # clamp_min(C2) is torchmetrics' clamp of the variances at 0 (here of their sum).
    scratch = buf[0, PAD : PAD + h, PAD : PAD + w].permute(2, 0, 1)
    mu_xy = torch.mul(mu_x, mu_y, out=scratch[:n])
    mu_sq = torch.mul(mu_x, mu_x, out=scratch[n : 2 * n]).addcmul_(mu_y, mu_y)
    num = e_xy_c2.sub_(mu_xy).mul_(mu_xy.add_(c1 / 2))
    den = e_sq_c2.sub_(mu_sq).clamp_min_(c2).mul_(mu_sq.add_(c1))
    return (4 * num.div_(den).mean(dim=(1, 2))).view(b, c)


def _check_ssim_size(shape: torch.Size) -> None:
    if min(shape[2:]) <= PAD:
        raise ValueError(
            f"ssim needs H and W > {PAD} for its reflect padding, got shape {fmt_shape(shape)}"
        )


def _ssim_update(pred: torch.Tensor, target: torch.Tensor, data_range: float) -> torch.Tensor:
    """(B,C,H,W) pair -> (B,C) SSIM map averaged over each band's H*W pixels."""
    _check_ssim_size(pred.shape)
    return per_band(partial(_ssim_bands, data_range=data_range), pred, target, "window")


def _ssim_compute(ssim_per_band: torch.Tensor) -> torch.Tensor:
    """(B,C) -> (B,) mean over bands."""
    return ssim_per_band.mean(dim=1)


def ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    convention: str = "standard",
    data_range: float = 1.0,
) -> torch.Tensor:
    """SSIM per image: Gaussian-window SSIM of each band, averaged over bands.

    pred, target: (B,C,H,W), H and W > 5. Returns (B,), 1 for identical images. data_range is the
    value span (C1 = (0.01*data_range)^2, C2 = (0.03*data_range)^2). Under `paper` both are
    min-max scaled by the target's global min/max first, and data_range applies to that scale.

    Example:
        >>> import torch
        >>> target = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
        >>> ssim(target, target)
        tensor([1.])
    """
    check_pair(pred, target)
    data_range = check_data_range(data_range)
    check_convention(convention)
    pred, target = in_convention(pred, target, convention)
    return _ssim_compute(_ssim_update(pred, target, data_range))
