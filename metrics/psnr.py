"""Peak signal-to-noise ratio, per band and averaged over bands, in dB."""

from __future__ import annotations

import torch

from metrics._blocks import per_band
from metrics._checks import check_data_range, check_pair, images_where
from metrics._stats import band_sse
from metrics.conventions import check_convention, minmax_by_target


def _psnr_update(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(B,C,H,W) pair -> (B,C) per-band sum of squared errors, and the pixels per band."""
    return per_band(band_sse, pred, target, "stream"), pred.shape[2] * pred.shape[3]


def _paper_peaks(target: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) min-max scaled target -> (B,C) per-band maxima; raises where one is 0."""
    peak = target.amax(dim=(2, 3))
    if bool((peak == 0).any()):
        raise ValueError(
            "PSNR undefined under convention='paper': "
            f"{int((peak == 0).sum())} target band(s) in image(s) {images_where(peak == 0)} "
            "have max 0 after min-max scaling (log10 of 0)"
        )
    return peak


def _psnr_compute(sse: torch.Tensor, n_pixels: int, peak: float | torch.Tensor) -> torch.Tensor:
    """(B,C) per-band SSE -> (B,C) PSNR in dB, 10*log10(peak^2 / MSE); inf where MSE = 0."""
    peak = torch.as_tensor(peak, dtype=sse.dtype, device=sse.device)
    return 10 * torch.log10(peak**2 / (sse / n_pixels))


def psnr_per_band(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    convention: str = "standard",
    data_range: float = 1.0,
) -> torch.Tensor:
    """PSNR of each band of each image, in dB.

    pred, target: (B,C,H,W) float32/float64, same device. Returns (B,C), inf where a band is exact.

    - standard: 10*log10(data_range^2 / MSE_b).
    - paper: both min-max scaled by the target image's global min/max, then
      10*log10(max(target_b)^2 / MSE_b), the peak being each band's own scaled maximum;
      data_range is ignored.

    Example:
        >>> import torch
        >>> target = torch.full((1, 2, 4, 4), 0.5)
        >>> pred = target + torch.tensor([0.1, 0.01]).view(1, 2, 1, 1)
        >>> psnr_per_band(pred, target).round(decimals=2)
        tensor([[20., 40.]])
    """
    check_pair(pred, target)
    check_convention(convention)
    if convention == "paper":
        pred, target = minmax_by_target(pred, target)
        peak: float | torch.Tensor = _paper_peaks(target)
    else:
        peak = check_data_range(data_range)
    sse, n_pixels = _psnr_update(pred, target)
    return _psnr_compute(sse, n_pixels, peak)


def psnr(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    convention: str = "standard",
    data_range: float = 1.0,
) -> torch.Tensor:
    """PSNR per image in dB: the per-band PSNR (see `psnr_per_band`) averaged over bands.

    pred, target: (B,C,H,W). Returns (B,). Identical images give inf (no cap), and so does any
    image with one exact band, since the average over bands then is inf.

    Example:
        >>> import torch
        >>> target = torch.full((2, 3, 8, 8), 0.5)
        >>> psnr(target + 0.01, target).round(decimals=2)
        tensor([40., 40.])
    """
    return psnr_per_band(pred, target, convention=convention, data_range=data_range).mean(dim=1)
