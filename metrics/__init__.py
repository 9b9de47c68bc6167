"""Quality metrics for fused hyperspectral cubes, as pure functions on (B,C,H,W) tensors.

Every function takes pred and target (B,C,H,W), float32 or float64, on any device, and returns
one value per image (or per band / per pixel where its name says so), computed on the inputs'
device and dtype. Each takes `convention="standard" | "paper"` (docs/metrics.md,
`metrics.conventions`); `compute_all` gives every metric of a convention at once, as one dict of
Python numbers per image.

Decisions worth knowing:

- PSNR: identical bands give inf (no cap), so an image with one exact band averages to inf.
- SAM: degrees. |cos| that rounds above 1 is clamped (both conventions). `standard` leaves out
  pixels with zero norm in pred or target, counts them (`sam_excluded_pixels`) and marks them NaN
  in `sam_map`; `paper` raises ValueError on them (the authors' mean would be NaN).
- SSIM matches torchmetrics' `structural_similarity_index_measure` (Gaussian 11/1.5, reflect
  padding, no crop), averaged per band then over bands.
- UIQI (Q): Wang-Bovik Q on non-overlapping 32x32 tiles (not Vivone's sliding window), with
  img_qi's special cases for flat tiles.
- Undefined values raise ValueError instead of returning NaN: a zero-mean target band (ERGAS), a
  constant band (CC), a constant target under `paper` (its min-max scaling), a zero scaled band
  peak under `paper` (PSNR), every pixel excluded (SAM).
- Bad input (shape, dims, dtype, device, non-finite values, empty axes, ratio < 1,
  data_range <= 0, unknown convention) raises ValueError naming the argument.
"""

from metrics.cc import cc
from metrics.conventions import CONVENTIONS
from metrics.ergas import ergas
from metrics.error_maps import abs_error_map
from metrics.psnr import psnr, psnr_per_band
from metrics.rmse import rmse
from metrics.sam import sam, sam_excluded_pixels, sam_map
from metrics.ssim import ssim
from metrics.suite import PAPER_KEYS, STANDARD_KEYS, compute_all
from metrics.uiqi import uiqi

__all__ = [
    "CONVENTIONS",
    "PAPER_KEYS",
    "STANDARD_KEYS",
    "abs_error_map",
    "cc",
    "compute_all",
    "ergas",
    "psnr",
    "psnr_per_band",
    "rmse",
    "sam",
    "sam_excluded_pixels",
    "sam_map",
    "ssim",
    "uiqi",
]
