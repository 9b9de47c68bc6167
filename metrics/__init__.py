"""Quality metrics for fused hyperspectral cubes, as pure functions on (B,C,H,W) tensors.

Each function takes `convention="standard" | "paper"` (see `metrics.conventions` and DESIGN.md
"Metric conventions") and returns one value per image; `compute_all` gives every metric of a
convention at once, as one dict of Python numbers per image.
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
