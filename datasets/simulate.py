"""Wald's-protocol simulator: LR-HSI = shift(decimate_r(PSF * GT) + n), HR-MSI = SRF . GT + n.

Conventions (every one is recorded in ``Scene.meta.degradation``):

- PSF: a Gaussian, ``size`` x ``size``, centred at ((size-1)/2, (size-1)/2), summing to 1. The
  default sigma puts the PSF's MTF at 0.3 at the LR-HSI's Nyquist frequency (the usual Gaussian
  model of an MS sensor's MTF in Wald's protocol): sigma = r * sqrt(-2 ln 0.3) / pi, 1.98 HR pixels
  at r = 4. The default size is the smallest integer >= 6 sigma with the parity of r (12 at r = 4).
- Decimation is block-centred: LR pixel i covers HR pixels r*i .. r*i + r - 1 and samples the
  blurred image at HR coordinate r*i + (r-1)/2. This is the grid that bicubic upsampling with
  align_corners=False assumes, and it keeps LR/HR aligned under flips and rot90. It needs a PSF
  whose size has the parity of r. Borders are reflect-padded.
- SRF: ``srf.srf_matrix`` (pyrsr responses, Gaussian HSI bands, rows summing to 1).
- Noise: AWGN per image at ``snr_db`` = 10 log10(mean(x^2) / sigma^2), on the LR-HSI and HR-MSI
  alike (the authors' training-noise definition). Each product draws from its own generator,
  seeded from (seed, product name), so one product never changes another's noise.
- Misalignment: the (noisy) LR-HSI is shifted by k LR pixels down and right; vacated rows and
  columns repeat the edge.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from datasets.normalise import minmax_normalise
from datasets.scene import Scene, SceneMeta
from datasets.srf import srf_matrix, srf_settings

__all__ = [
    "add_awgn", "blur_decimate", "default_psf", "degrade_spatial", "degrade_spectral",
    "derived_seed", "gaussian_psf", "psf_size", "shift", "simulate_scene", "srf_matrix",
    "srf_settings",
]

MTF_AT_NYQUIST = 0.3
DECIMATION = ("block-centred: LR pixel i covers HR pixels r*i..r*i+r-1 and samples the blurred "
              "image at r*i+(r-1)/2; reflect padding")
NOISE = "AWGN per image, sigma^2 = mean(x^2) / 10^(snr_db/10)"
MISALIGNMENT = "LR-HSI shifted by k LR pixels down and right, edges repeated"


def psf_size(sigma: float, ratio: int) -> int:
    """The smallest kernel side >= 6 ``sigma`` (HR pixels) with the parity of ``ratio``."""
    size = math.ceil(6.0 * sigma)
    return size + 1 if size % 2 != ratio % 2 else size


def default_psf(ratio: int) -> tuple[int, float]:
    """(size, sigma in HR pixels) of the default Gaussian PSF for ``ratio`` (see module doc)."""
    if ratio < 1:
        raise ValueError(f"ratio must be >= 1, got {ratio}")
    sigma = ratio * math.sqrt(-2.0 * math.log(MTF_AT_NYQUIST)) / math.pi
    return psf_size(sigma, ratio), sigma


def gaussian_psf(size: int, sigma: float, centre: float | None = None) -> np.ndarray:
    """(size, size) float64 Gaussian kernel peaking at tap (centre, centre), default
    ((size-1)/2, (size-1)/2), summing to 1."""
    if size < 1 or sigma <= 0:
        raise ValueError(f"psf size must be >= 1 and sigma > 0, got size={size}, sigma={sigma}")
    u = np.arange(size, dtype=np.float64) - ((size - 1) / 2.0 if centre is None else centre)
    g = np.exp(-0.5 * (u / sigma) ** 2)
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


BOUNDARIES = {  # name -> numpy.pad mode of the HR index arrays (None: zeros)
    "reflect": "reflect",      # mirror without repeating the edge (cv2 default, torch 'reflect')
    "symmetric": "symmetric",  # mirror repeating the edge (scipy.ndimage 'reflect', MATLAB 'symmetric')
    "periodic": "wrap",        # circular (FFT-based blurs, MATLAB psf2otf)
    "replicate": "edge",       # edge value repeated
    "zero": None,              # zeros outside the image
}


def box_psf(size: int) -> np.ndarray:
    """(size, size) float64 box kernel (block mean), summing to 1."""
    if size < 1:
        raise ValueError(f"box size must be >= 1, got {size}")
    return np.full((size, size), 1.0 / size**2)


def centred_start(size: int, ratio: int) -> int:
    """The window start that centres a ``size`` kernel on each LR pixel's block (block-centred
    decimation): -(size - ratio) / 2, which needs ``size`` and ``ratio`` of the same parity."""
    if size % 2 != ratio % 2:
        raise ValueError(f"psf size {size} and ratio {ratio} must have the same parity for the "
                         "block-centred decimation grid")
    return -(size - ratio) // 2


def _padded_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    return np.pad(np.arange(n), (before, after), mode=mode)


def blur_decimate(gt: torch.Tensor, psf: np.ndarray, ratio: int, start: int | None = None,
                  boundary: str = "reflect") -> torch.Tensor:
    """(..., C, H, W) -> (..., C, H/r, W/r): convolve each band with ``psf`` and sample.

    LR pixel (i, j) is the convolution evaluated over the HR window whose first row and column
    are r*i + ``start`` and r*j + ``start`` (k taps each, k the kernel side), so its centre sits at
    HR coordinate r*i + start + (k-1)/2. ``start`` None: block-centred (``centred_start``).
    Pixels outside the image come from ``boundary`` (``BOUNDARIES``). Computed in float64 and
    returned in the input's dtype.
    """
    k = psf.shape[0]
    if psf.ndim != 2 or psf.shape[1] != k:
        raise ValueError(f"psf must be square (k, k), got {psf.shape}")
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {sorted(BOUNDARIES)}, got {boundary!r}")
    start = centred_start(k, ratio) if start is None else start
    *lead, H, W = gt.shape
    if H % ratio or W % ratio:
        raise ValueError(f"image size {H}x{W} must be a multiple of ratio {ratio}")
    x = gt.reshape(-1, 1, H, W).to(torch.float64)
    before = max(0, -start)
    after_h = max(0, ratio * (H // ratio - 1) + start + k - H)
    after_w = max(0, ratio * (W // ratio - 1) + start + k - W)
    if BOUNDARIES[boundary] is None:
        x = F.pad(x, (before, after_w, before, after_h))
    elif before or after_h or after_w:
        mode = BOUNDARIES[boundary]
        rows = torch.from_numpy(_padded_index(H, before, after_h, mode))
        cols = torch.from_numpy(_padded_index(W, before, after_w, mode))
        x = x[..., rows, :][..., cols]
    first = start + before  # the window start in the padded image
    x = x[..., first:, first:]
    kernel = torch.from_numpy(np.ascontiguousarray(psf[::-1, ::-1]))[None, None]
    out = F.conv2d(x, kernel, stride=ratio)[..., :H // ratio, :W // ratio]
    return out.reshape(*lead, H // ratio, W // ratio).to(gt.dtype)


def add_awgn(x: torch.Tensor, snr_db: float, generator: torch.Generator) -> torch.Tensor:
    """``x`` plus white Gaussian noise at ``snr_db`` = 10 log10(mean(x^2) / sigma^2), one sigma
    for the whole tensor (a scene, or a training batch as the authors do); computed in float64
    on ``x``'s device, whose generator ``generator`` is."""
    power = float(x.detach().to(torch.float64).pow(2).mean())
    sigma = math.sqrt(power / 10.0 ** (snr_db / 10.0))
    noise = torch.randn(x.shape, generator=generator, dtype=torch.float64, device=x.device) * sigma
    return (x.to(torch.float64) + noise).to(x.dtype)


def shift(x: torch.Tensor, k: int | tuple[int, int]) -> torch.Tensor:
    """Shift (..., H, W) content by k pixels down and right (or by (dy, dx)); edges repeat."""
    dy, dx = (k, k) if isinstance(k, int) else k
    H, W = x.shape[-2:]
    if abs(dy) >= H or abs(dx) >= W:
        raise ValueError(f"shift ({dy}, {dx}) must be smaller than the image size {H}x{W}")
    rows = (torch.arange(H) - dy).clamp(0, H - 1)
    cols = (torch.arange(W) - dx).clamp(0, W - 1)
    return x[..., rows, :][..., cols]


def derived_seed(seed: int, tag: str) -> int:
    """A 63-bit seed for one product (``tag``), independent of every other product's."""
    state = np.random.SeedSequence([int(seed), zlib.crc32(tag.encode())]).generate_state(2)
    return int((int(state[0]) << 32 | int(state[1])) >> 1)


def _generator(seed: int, tag: str) -> torch.Generator:
    return torch.Generator().manual_seed(derived_seed(seed, tag))


def degrade_spatial(gt: torch.Tensor, psf: np.ndarray, ratio: int, snr_db: float | None = None,
                    misalign_px: int = 0, seed: int = 0, start: int | None = None,
                    boundary: str = "reflect") -> torch.Tensor:
    """(C, H, W) unit-domain GT -> (C, H/r, W/r) LR-HSI: blur and sample (``blur_decimate``'s
    ``start``/``boundary``), noise, then shift."""
    lr = blur_decimate(gt, psf, ratio, start, boundary)
    if snr_db is not None:
        lr = add_awgn(lr, snr_db, _generator(seed, "lrhsi"))
    return shift(lr, misalign_px) if misalign_px else lr


def degrade_spectral(gt: torch.Tensor, srf: np.ndarray, snr_db: float | None = None,
                     seed: int = 0) -> torch.Tensor:
    """(C, H, W) unit-domain GT -> (c, H, W) HR-MSI = SRF . GT (+ noise)."""
    if srf.shape[1] != gt.shape[-3]:
        raise ValueError(f"srf has {srf.shape[1]} columns but gt has {gt.shape[-3]} bands")
    hr = torch.einsum("cb,bhw->chw", torch.from_numpy(srf), gt.to(torch.float64)).to(gt.dtype)
    if snr_db is not None:
        hr = add_awgn(hr, snr_db, _generator(seed, f"hrmsi{srf.shape[0]}"))
    return hr


def degradation_record(*, ratio: int, psf_size: int, psf_sigma: float, sensor: str,
                       msi_bands: int | Sequence[str], snr_db: float | None, misalign_px: int,
                       seed: int) -> dict:
    """The ``Scene.meta.degradation`` dict: every simulator setting, as plain JSON values."""
    return {
        "model": "wald",
        "ratio": ratio,
        "psf": {"kind": "gaussian", "size": psf_size, "sigma_hr_px": psf_sigma},
        "decimation": DECIMATION,
        "lr_centre_hr_px": (ratio - 1) / 2,  # LR pixel i's centre is at HR coordinate r*i + this
        "srf": srf_settings(sensor, msi_bands),
        "snr_db": snr_db,
        "noise": NOISE if snr_db is not None else "none",
        "misalign_px": misalign_px,
        "misalignment": MISALIGNMENT,
        "seed": seed,
    }


def simulate_scene(
    gt: torch.Tensor | np.ndarray,
    wavelengths: np.ndarray,
    fwhm: np.ndarray,
    ratio: int = 4,
    msi_bands: int | Sequence[str] = 4,
    sensor: str = "landsat8_oli",
    snr_db: float | None = None,
    misalign_px: int = 0,
    seed: int = 0,
    psf_size: int | None = None,
    psf_sigma: float | None = None,
    name: str = "simulated",
    units: str = "",
    source: str = "",
    licence: str = "",
) -> Scene:
    """Scene from a (C, H, W) cube in any units: min-max it to [0, 1], then simulate both inputs.

    ``wavelengths``/``fwhm``: (C,) in nm. ``units``: what the raw cube's values are (recorded).
    """
    gt = torch.as_tensor(gt)
    if gt.ndim != 3:
        raise ValueError(f"gt must be (C, H, W), got shape {tuple(gt.shape)}")
    if len(wavelengths) != gt.shape[0] or len(fwhm) != gt.shape[0]:
        raise ValueError(f"gt has {gt.shape[0]} bands but {len(wavelengths)} wavelengths and "
                         f"{len(fwhm)} FWHM values")
    unit, scale, offset = minmax_normalise(gt)
    size, sigma = default_psf(ratio)
    size = psf_size or size
    sigma = psf_sigma or sigma
    psf = gaussian_psf(size, sigma)
    srf = srf_matrix(wavelengths, fwhm, sensor, msi_bands)
    meta = SceneMeta(
        ratio=ratio,
        wavelengths_nm=np.asarray(wavelengths, dtype=np.float64),
        fwhm_nm=np.asarray(fwhm, dtype=np.float64),
        srf=srf, psf=psf,
        units=f"min-max normalised per scene to [0, 1] (original: {units or 'unknown units'})",
        scale=scale, offset=offset, source=source, licence=licence,
        degradation=degradation_record(ratio=ratio, psf_size=size, psf_sigma=sigma, sensor=sensor,
                                       msi_bands=msi_bands, snr_db=snr_db,
                                       misalign_px=misalign_px, seed=seed),
    )
    return Scene(
        name=name,
        lrhsi=degrade_spatial(unit, psf, ratio, snr_db, misalign_px, seed),
        hrmsi=degrade_spectral(unit, srf, snr_db, seed),
        gt=unit,
        meta=meta,
    )
