"""One entry point: every metric of a convention for each image of a batch, as Python numbers."""

from __future__ import annotations

from functools import partial

import torch

from metrics._blocks import band_blocks, per_band
from metrics._checks import check_data_range, check_pair, check_ratio
from metrics._stats import band_mean, band_sse
from metrics.cc import _cc_compute, _cc_from_moments, _cc_moments
from metrics.conventions import check_convention, minmax_by_target
from metrics.ergas import _ergas_compute
from metrics.psnr import _paper_peaks, _psnr_compute
from metrics.rmse import _rmse_compute
from metrics.sam import _raise_if_undefined, _sam_angles, _sam_compute, _sam_sums, _sam_update
from metrics.ssim import _check_ssim_size, _ssim_bands, _ssim_compute
from metrics.uiqi import _check_uiqi_size, _uiqi_bands, _uiqi_compute

STANDARD_KEYS = ("psnr", "sam", "sam_excluded_pixels", "ergas", "rmse", "ssim", "uiqi", "cc")
PAPER_KEYS = ("psnr", "sam", "ergas", "rmse")
UIQI_BLOCK = 32


def _standard(pred: torch.Tensor, target: torch.Tensor, ratio: float, data_range: float) -> dict:
    _check_ssim_size(pred.shape)
    _check_uiqi_size(pred.shape, UIQI_BLOCK)
    ssim_bands = partial(_ssim_bands, data_range=data_range)
    uiqi_bands = partial(_uiqi_bands, block_size=UIQI_BLOCK)
    # One pass over band blocks: every metric's per-band statistic (and SAM's per-pixel sums
    # over bands) is taken from a block while it is in cache; the windowed filters subdivide it
    # further (metrics._blocks).
    rows, sam_sums = [], None
    for s in band_blocks(pred, "stream"):
        p, t = pred[:, s], target[:, s]
        windowed = [per_band(fn, p, t, "window") for fn in (uiqi_bands, ssim_bands)]
        rows.append(
            torch.cat((torch.stack((band_sse(p, t), band_mean(t), *windowed)), _cc_moments(p, t)))
        )
        block_sums = _sam_sums(p, t)
        sam_sums = block_sums if sam_sums is None else sam_sums.add_(block_sums)
    sse, target_mean, q, ssim_b, cc_xy, cc_xx, cc_yy = torch.cat(rows, dim=2)  # each (B,C)
    angle, defined = _sam_angles(sam_sums)
    n_pixels = pred.shape[2] * pred.shape[3]
    return {
        "psnr": _psnr_compute(sse, n_pixels, data_range).mean(dim=1),
        "sam": _sam_compute(angle, defined),
        "sam_excluded_pixels": (~defined).sum(dim=(1, 2)),
        "ergas": _ergas_compute(sse / n_pixels, target_mean, ratio),
        "rmse": _rmse_compute(sse, n_pixels),
        "ssim": _ssim_compute(ssim_b),
        "uiqi": _uiqi_compute(q),
        "cc": _cc_compute(_cc_from_moments(torch.stack((cc_xy, cc_xx, cc_yy)), constant_pred="nan")),
    }


def _paper(pred: torch.Tensor, target: torch.Tensor, ratio: float) -> dict:
    n_pixels = pred.shape[2] * pred.shape[3]
    rmse_raw = _rmse_compute(per_band(band_sse, pred, target, "stream"), n_pixels)
    pred, target = minmax_by_target(pred, target)
    sse = per_band(band_sse, pred, target, "stream")
    angle, defined = _sam_update(pred, target)
    _raise_if_undefined(defined)
    return {
        "psnr": _psnr_compute(sse, n_pixels, _paper_peaks(target)).mean(dim=1),
        "sam": _sam_compute(angle, defined),
        "ergas": _ergas_compute(sse / n_pixels, band_mean(target), ratio),
        "rmse": rmse_raw,
    }


def compute_all(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    convention: str = "standard",
    ratio: float = 4,
    data_range: float = 1.0,
) -> list[dict[str, float | int | str]]:
    """Every metric of one convention, per image, sharing the work between metrics.

    pred, target: (B,C,H,W) float32/float64. Returns B dicts, each with "convention" and:

    - standard: psnr (dB), sam (degrees), sam_excluded_pixels (int), ergas, rmse, ssim,
      uiqi (Q on 32x32 tiles, so H and W must be >= 32), cc; the values `psnr`, `sam`, ... give
      with the same arguments.
    - paper: psnr (dB), sam (degrees), ergas, rmse (target's original units), as computed by
      the authors' evaluation code; data_range is not used. SSIM, Q and CC are not part of it
      (call `ssim(..., convention="paper")` etc. for them on the min-max scale).

    Values are Python floats (inf for an exact PSNR). A constant band in pred makes that image's
    CC NaN (its other metrics stand: a flat output band is the method's result, to be scored);
    anything else undefined (a zero-mean target band for ERGAS, a constant target band for CC,
    zero-norm pixels for paper SAM) raises ValueError.

    Example:
        >>> import torch
        >>> target = torch.rand(1, 4, 32, 32, generator=torch.Generator().manual_seed(0))
        >>> row = compute_all(target, target)[0]
        >>> row["convention"], row["psnr"], row["sam"], row["ergas"], row["sam_excluded_pixels"]
        ('standard', inf, 0.0, 0.0, 0)
    """
    check_pair(pred, target)
    ratio = check_ratio(ratio)
    data_range = check_data_range(data_range)
    if check_convention(convention) == "paper":
        values, keys = _paper(pred, target, ratio), PAPER_KEYS
    else:
        values, keys = _standard(pred, target, ratio, data_range), STANDARD_KEYS
    columns = {k: values[k].tolist() for k in keys}
    return [
        {"convention": convention, **{k: columns[k][i] for k in keys}} for i in range(pred.shape[0])
    ]
