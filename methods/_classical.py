"""Shared pieces of the classical fusion entries (GSA, SFIM-HS, MTF-GLP-HS, CNMF, HySure).

Sensor model (Wald's protocol; docs/data-layout.md, "Degradation model") for a high-resolution
cube Z (C, H, W):

    LR-HSI = decimate_r(PSF * Z)        HR-MSI = SRF · Z

``PSF * Z`` is a correlation with the (k, k) kernel anchored at ((k-1)//2, (k-1)//2), with
mirror padding at the borders; ``decimate_r`` keeps rows and columns ``offset, offset + r, ...``.
The centre of LR pixel i therefore sits at HR coordinate ``i*r + offset + centroid(PSF) - anchor``,
and upsampling puts the LR samples back there (bicubic, A = -0.75).

When a Scene carries no SRF or PSF, ``fit_sensors`` estimates them from the two inputs:
- PSF: an isotropic Gaussian whose width and sampling phase (offset, odd/even kernel) minimise
  ||decimate(PSF * HR-MSI) - SRF · LR-HSI||^2 over the interior LR pixels. Without an SRF, the SRF
  is profiled out (least-squares residual of the degraded MSI bands on the LR-HSI bands, with a
  light band-difference penalty), so blur and SRF are fitted jointly. A given PSF still has its
  sampling phase fitted (r candidates): methods receive the kernel, not the decimation grid.
- SRF: non-negative least squares of each HR-MSI band, degraded by that PSF, on the LR-HSI bands
  (as CNMF's estR: Yokoya, Mayumi, Iwasaki, IEEE JSTARS 6(2):419-426, 2013); plain least squares
  with ``srf_nonneg=False``; HySure adds its band-difference penalty (``srf_smooth``).
The suite's simulator (``datasets.simulate``, block-centred: LR pixel i centred at HR r*i + (r-1)/2)
is, in these terms, offset r/2 - 1 with an even kernel for even r, offset (r-1)/2 with an odd one
for odd r.

Everything here works on numpy float64 cubes (C, H, W); ``ClassicalFusion`` is the glue between
the registry's batched tensors and the per-scene numpy work of each method.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize
import torch
import torch.nn.functional as F

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))  # 2.3548
PROFILE_SMOOTH = 1e-3  # band-difference penalty of the profiled SRF, per unit mean Gram diagonal
PAN_MODES = ("regression", "select")  # hypersharpening pans: per-band regression or best MSI band


def as_array(x: Any, name: str) -> np.ndarray:
    """A tensor or array as float64 numpy; ValueError naming ``name`` if it holds NaN or inf."""
    arr = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def gaussian_1d(sigma: float, even: bool = False) -> np.ndarray:
    """(k,) Gaussian of std ``sigma`` (pixels), centred at (k-1)/2, summing to 1.

    k covers +-3 sigma: odd k centres the blur on a pixel, even k half a pixel further on.
    """
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    half = max(1, math.ceil(3.0 * sigma))
    size = 2 * half + 2 if even else 2 * half + 1
    x = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-0.5 * (x / sigma) ** 2)
    return g / g.sum()


def gaussian_kernel(sigma: float, even: bool = False) -> np.ndarray:
    """(k, k) isotropic Gaussian: the outer product of ``gaussian_1d(sigma, even)``."""
    g = gaussian_1d(sigma, even)
    return np.outer(g, g)


def _pad(cube: np.ndarray, kh: int, kw: int, offset: int) -> torch.Tensor:
    """(C, H, W) -> (C, 1, H', W') mirror-padded for a (kh, kw) kernel anchored at (k-1)//2."""
    ah, aw = (kh - 1) // 2, (kw - 1) // 2
    x = torch.from_numpy(np.ascontiguousarray(cube, dtype=np.float64))[:, None]
    pads = (aw, kw - 1 - aw, ah, kh - 1 - ah)
    mode = "reflect" if max(pads) < min(cube.shape[-2:]) else "replicate"
    return F.pad(x, pads, mode=mode)[..., offset:, offset:]


def correlate(cube: np.ndarray, psf: np.ndarray, ratio: int = 1, offset: int = 0) -> np.ndarray:
    """(C, H, W) -> (C, ~(H-offset)/ratio, ~(W-offset)/ratio): PSF correlation, then decimation.

    Mirror padding; the kernel is anchored at ((k-1)//2, (k-1)//2); rows and columns offset,
    offset + ratio, ... are kept. ratio=1, offset=0 is a plain blur.
    """
    w = torch.from_numpy(np.ascontiguousarray(psf, dtype=np.float64))[None, None]
    return F.conv2d(_pad(cube, *psf.shape, offset), w, stride=ratio)[:, 0].numpy()


def correlate_separable(cube: np.ndarray, g: np.ndarray, ratio: int = 1,
                        offset: int = 0) -> np.ndarray:
    """``correlate(cube, np.outer(g, g), ratio, offset)`` in two 1-D passes (same result)."""
    w = torch.from_numpy(np.ascontiguousarray(g, dtype=np.float64))
    x = _pad(cube, g.size, g.size, offset)
    x = F.conv2d(x, w[None, None, :, None], stride=(ratio, 1))
    return F.conv2d(x, w[None, None, None, :], stride=(1, ratio))[:, 0].numpy()


def upsample(cube: np.ndarray, ratio: int, centre: tuple[float, float]) -> np.ndarray:
    """(C, h, w) -> (C, r*h, r*w) by bicubic interpolation (A = -0.75, border clamped).

    ``centre``: HR (row, col) coordinate of LR pixel (0, 0); LR pixel i lands on i*r + centre.
    centre = ((r-1)/2, (r-1)/2) reproduces ``F.interpolate(mode="bicubic", align_corners=False)``.
    """
    _, h, w = cube.shape
    rows = (np.arange(ratio * h) - centre[0]) / ratio
    cols = (np.arange(ratio * w) - centre[1]) / ratio
    gy = 2.0 * rows / max(h - 1, 1) - 1.0
    gx = 2.0 * cols / max(w - 1, 1) - 1.0
    grid = np.stack(np.meshgrid(gx, gy, indexing="xy"), axis=-1)[None]
    x = torch.from_numpy(np.ascontiguousarray(cube, dtype=np.float64))[None]
    out = F.grid_sample(x, torch.from_numpy(grid), mode="bicubic", padding_mode="border",
                        align_corners=True)
    return out[0].numpy()


@dataclass(frozen=True)
class Sensors:
    """The spectral and spatial responses that link a scene's two inputs.

    srf: (c, C) spectral response (HR-MSI = srf · Z), or None when the method does not use it and
    the Scene has none. psf: (k, k) blur, sums to 1.
    offset: first kept HR row/column of the decimation. The *_source fields say whether each was
    given by the Scene or estimated; psf_sigma is the fitted Gaussian std (HR pixels) or None.
    """

    srf: np.ndarray | None
    psf: np.ndarray
    ratio: int
    offset: int
    srf_source: str = "given"
    psf_source: str = "given"
    psf_sigma: float | None = None

    @property
    def centre(self) -> tuple[float, float]:
        """HR coordinate (row, col) of the centre of LR pixel (0, 0)."""
        kh, kw = self.psf.shape
        rows = np.arange(kh) @ self.psf.sum(axis=1) - (kh - 1) // 2
        cols = np.arange(kw) @ self.psf.sum(axis=0) - (kw - 1) // 2
        return self.offset + float(rows), self.offset + float(cols)

    def degrade(self, cube: np.ndarray) -> np.ndarray:
        """(C, H, W) -> (C, H/r, W/r): blur and decimate, as the LR-HSI was made."""
        return correlate(cube, self.psf, self.ratio, self.offset)

    def upsample(self, cube: np.ndarray) -> np.ndarray:
        """(C, h, w) -> (C, r*h, r*w), LR samples put back at their PSF centres."""
        return upsample(cube, self.ratio, self.centre)

    def summary(self) -> dict[str, Any]:
        """What a result row needs to know about how the responses were obtained."""
        return {"srf": self.srf_source, "psf": self.psf_source, "psf_sigma": self.psf_sigma,
                "psf_size": int(self.psf.shape[0]), "decimation_offset": self.offset}


def estimate_srf(lrhsi: np.ndarray, msi_lr: np.ndarray, nonneg: bool = True,
                 smooth: float = 0.0) -> np.ndarray:
    """(C, h, w), (c, h, w) -> (c, C): regress each LR MSI band on the LR-HSI bands.

    Minimises ||A r - b||^2 + smooth ||D r||^2 per MSI band (A: pixels x HS bands, D: first
    differences across HS bands, HySure's spectral prior); ``nonneg`` adds r >= 0 (Lawson-Hanson
    NNLS on the stacked system), otherwise the problem is solved as ordinary least squares.
    """
    n_bands = lrhsi.shape[0]
    a = lrhsi.reshape(n_bands, -1).T
    b = msi_lr.reshape(msi_lr.shape[0], -1).T
    if smooth > 0:
        a = np.concatenate([a, math.sqrt(smooth) * np.diff(np.eye(n_bands), axis=0)])
        b = np.concatenate([b, np.zeros((n_bands - 1, b.shape[1]))])
    if not nonneg:
        return np.linalg.lstsq(a, b, rcond=None)[0].T
    return np.stack([scipy.optimize.nnls(a, b[:, j], maxiter=50 * n_bands)[0]
                     for j in range(b.shape[1])])


def _interior(cube: np.ndarray) -> np.ndarray:
    """Drop one LR pixel at each border when the image is big enough (less padding bias)."""
    return cube[:, 1:-1, 1:-1] if min(cube.shape[-2:]) > 8 else cube


def misfit(lrhsi: np.ndarray, srf: np.ndarray | None) -> Callable[[np.ndarray], float]:
    """Cost of a degraded HR-MSI (c, h, w) as an explanation of the LR-HSI, borders left out.

    With an SRF: ||degraded - SRF · LR-HSI||^2. Without one, the SRF is profiled out: the residual
    of the regression of each degraded band on the LR-HSI bands with a band-difference penalty
    (HySure's spectral prior) of PROFILE_SMOOTH x the mean diagonal of the bands' Gram matrix, so
    that blur and SRF are fitted jointly. Without the penalty, C free regressors absorb a wrong
    blur on scenes with about as few LR pixels as bands (Indian Pines tiles: 196 and 200).
    """
    if srf is not None:
        target = _interior(np.tensordot(srf, lrhsi, axes=1))
        return lambda degraded: float(np.sum((_interior(degraded) - target) ** 2))
    a = _interior(lrhsi).reshape(lrhsi.shape[0], -1).T
    d = np.diff(np.eye(a.shape[1]), axis=0)
    gram = a.T @ a
    gram_inv = np.linalg.pinv(gram + PROFILE_SMOOTH * np.trace(gram) / len(gram) * d.T @ d)

    def residual(degraded: np.ndarray) -> float:
        b = _interior(degraded).reshape(degraded.shape[0], -1).T
        atb = a.T @ b
        return float(np.sum(b * b) - np.sum(atb * (gram_inv @ atb)))

    return residual


def fit_gaussian_psf(lrhsi: np.ndarray, hrmsi: np.ndarray, ratio: int,
                     srf: np.ndarray | None = None) -> tuple[float, int, bool]:
    """Gaussian (sigma, offset, even) that best links degrade(HR-MSI) to the LR-HSI (``misfit``).

    The sampling phase (r offsets x odd/even kernel) is chosen at the current sigma (first FWHM =
    r), then sigma by a bounded Brent search in [0.2, 2r] HR pixels; the phase is checked again at
    the fitted sigma and, if it moved, sigma is fitted once more.
    """
    cost_of = misfit(lrhsi, srf)
    phases = [(offset, even) for even in (False, True) for offset in range(ratio)]

    def cost(sigma: float, offset: int, even: bool) -> float:
        return cost_of(correlate_separable(hrmsi, gaussian_1d(sigma, even), ratio, offset))

    sigma, phase = ratio / FWHM_PER_SIGMA, None
    for _ in range(2):
        best = min(phases, key=lambda p: cost(sigma, *p))
        if best == phase:
            break
        phase = best
        sigma = float(scipy.optimize.minimize_scalar(
            cost, bounds=(0.2, 2.0 * ratio), args=phase, method="bounded",
            options={"xatol": 1e-3}).x)
    return sigma, phase[0], phase[1]


def fit_offset(lrhsi: np.ndarray, hrmsi: np.ndarray, ratio: int, psf: np.ndarray,
               srf: np.ndarray | None = None) -> int:
    """The decimation offset (0..r-1) under which a given PSF best links the two inputs."""
    cost_of = misfit(lrhsi, srf)
    return int(np.argmin([cost_of(correlate(hrmsi, psf, ratio, o)) for o in range(ratio)]))


def fit_sensors(lrhsi: np.ndarray, hrmsi: np.ndarray, ratio: int, srf: np.ndarray | None = None,
                psf: np.ndarray | None = None, srf_nonneg: bool = True, srf_smooth: float = 0.0,
                need_srf: bool = True) -> Sensors:
    """The scene's Sensors: given responses are used as they are, missing ones are estimated.

    lrhsi (C, h, w), hrmsi (c, r*h, r*w); srf (c, C) or None; psf (k, k) or None. The PSF (or
    the given PSF's sampling phase) is fitted first, with the SRF profiled out when it is missing;
    the SRF is then estimated on the HR-MSI degraded by that PSF (``estimate_srf`` with
    ``srf_nonneg`` and ``srf_smooth``), unless ``need_srf`` is False.
    """
    if psf is None:
        sigma, offset, even = fit_gaussian_psf(lrhsi, hrmsi, ratio, srf)
        psf, psf_source, psf_sigma = gaussian_kernel(sigma, even), "gaussian_fit", sigma
    else:
        offset, psf_source, psf_sigma = fit_offset(lrhsi, hrmsi, ratio, psf, srf), "given", None
    if srf is not None:
        return Sensors(srf, psf, ratio, offset, "given", psf_source, psf_sigma)
    if not need_srf:
        return Sensors(None, psf, ratio, offset, "not used", psf_source, psf_sigma)
    srf = estimate_srf(lrhsi, correlate(hrmsi, psf, ratio, offset), srf_nonneg, srf_smooth)
    return Sensors(srf, psf, ratio, offset, "estimated", psf_source, psf_sigma)


def regression_pans(lrhsi: np.ndarray, msi_lr: np.ndarray) -> np.ndarray:
    """(c+1, C) coefficients X: each HS band ~ X[:c]ᵀ · MSI + X[c], least squares on the LR grid.

    This is the "hypersharpening" synthetic pan of Selva et al. (IEEE JSTARS 2015), used by
    Yokoya et al. (2017) for SFIM-HS and GLP-HS (their mode 2).
    """
    a = np.concatenate([msi_lr.reshape(msi_lr.shape[0], -1), np.ones((1, msi_lr[0].size))]).T
    return np.linalg.lstsq(a, lrhsi.reshape(lrhsi.shape[0], -1).T, rcond=None)[0]


def apply_pans(coef: np.ndarray, msi: np.ndarray) -> np.ndarray:
    """(c+1, C) coefficients, (c, H, W) MSI -> (C, H, W) synthetic pans."""
    return np.tensordot(coef[:-1].T, msi, axes=1) + coef[-1][:, None, None]


def band_groups(lrhsi: np.ndarray, msi_lr: np.ndarray) -> np.ndarray:
    """(C,) index of the MSI band most correlated with each HS band on the LR grid (Yokoya 2017)."""
    hs = lrhsi.reshape(lrhsi.shape[0], -1)
    ms = msi_lr.reshape(msi_lr.shape[0], -1)
    hs = hs - hs.mean(axis=1, keepdims=True)
    ms = ms - ms.mean(axis=1, keepdims=True)
    hs = hs / np.maximum(np.linalg.norm(hs, axis=1, keepdims=True), 1e-12)
    ms = ms / np.maximum(np.linalg.norm(ms, axis=1, keepdims=True), 1e-12)
    return np.argmax(ms @ hs.T, axis=0)


def pans_and_lowpass(lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors,
                     pan: str) -> tuple[np.ndarray, np.ndarray]:
    """(C, H, W) pans for every HS band and their low-pass versions up(degrade(pan)).

    ``pan``: "regression" (``regression_pans``) or "select" (the MSI band of ``band_groups``).
    The pans are linear in the MSI bands, so only the c MSI bands are ever filtered.
    """
    msi_lr = sensors.degrade(hrmsi)
    msi_low = sensors.upsample(msi_lr)
    if pan == "regression":
        coef = regression_pans(lrhsi, msi_lr)
        return apply_pans(coef, hrmsi), apply_pans(coef, msi_low)
    groups = band_groups(lrhsi, msi_lr)
    return hrmsi[groups], msi_low[groups]


class ClassicalFusion(torch.nn.Module):
    """Base of the classical entries: checks inputs, gets the Sensors, fuses sample by sample.

    Called as ``m(lrhsi (B, C, h, w), hrmsi (B, c, r*h, r*w), srf=None, psf=None) -> (B, C, H, W)``
    on [0, 1] values; srf (c, C) and psf (k, k) are numpy arrays or tensors shared by the batch.
    ``config`` (a dataclass) holds every setting; ``sensors`` holds, after a call, the Sensors used
    per sample. Subclasses implement ``fuse_arrays(lrhsi (C, h, w), hrmsi (c, H, W), sensors) ->
    (C, H, W)`` in numpy,
    and set ``uses_srf = False`` when only the PSF matters to them (a given SRF then still helps
    fit the PSF's sampling phase, and a missing one is not estimated).
    """

    uses_srf = True

    def __init__(self, bands: int, msi_bands: int, ratio: int, config: Any) -> None:
        super().__init__()
        for name, value in (("bands", bands), ("msi_bands", msi_bands), ("ratio", ratio)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.bands, self.msi_bands, self.ratio = int(bands), int(msi_bands), int(ratio)
        self.config = config
        self.sensors: list[Sensors] = []

    @property
    def params(self) -> dict[str, Any]:
        """The settings as a dict."""
        return dataclasses.asdict(self.config)

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        raise NotImplementedError

    def _check(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> None:
        if lrhsi.ndim != 4 or hrmsi.ndim != 4:
            raise ValueError(f"lrhsi and hrmsi must be (B, C, h, w) and (B, c, H, W), got "
                             f"{tuple(lrhsi.shape)} and {tuple(hrmsi.shape)}")
        b, c_hs, h, w = lrhsi.shape
        if c_hs != self.bands:
            raise ValueError(f"lrhsi has {c_hs} bands, the method was built for {self.bands}")
        if hrmsi.shape[1] != self.msi_bands:
            raise ValueError(f"hrmsi has {hrmsi.shape[1]} bands, the method was built for "
                             f"{self.msi_bands}")
        expected = (b, self.msi_bands, self.ratio * h, self.ratio * w)
        if tuple(hrmsi.shape) != expected:
            raise ValueError(f"hrmsi must be {expected} for lrhsi {tuple(lrhsi.shape)} at ratio "
                             f"{self.ratio}, got {tuple(hrmsi.shape)}")

    def _side(self, srf: Any, psf: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
        srf_np = None if srf is None else as_array(srf, "srf")
        if srf_np is not None and srf_np.shape != (self.msi_bands, self.bands):
            raise ValueError(f"srf must be (msi_bands, bands) = ({self.msi_bands}, {self.bands}), "
                             f"got {srf_np.shape}")
        psf_np = None if psf is None else as_array(psf, "psf")
        if psf_np is not None:
            if psf_np.ndim != 2 or psf_np.sum() <= 0:
                raise ValueError(f"psf must be a 2-D kernel with a positive sum, got shape "
                                 f"{psf_np.shape} and sum {psf_np.sum():.3g}")
            psf_np = psf_np / psf_np.sum()
        return srf_np, psf_np

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor, srf: Any = None,
                psf: Any = None) -> torch.Tensor:
        self._check(lrhsi, hrmsi)
        srf_np, psf_np = self._side(srf, psf)
        nonneg = bool(getattr(self.config, "srf_nonneg", True))
        smooth = float(getattr(self.config, "srf_smooth", 0.0))
        outs, self.sensors = [], []
        for i in range(lrhsi.shape[0]):
            lr, hr = as_array(lrhsi[i], "lrhsi"), as_array(hrmsi[i], "hrmsi")
            sensors = fit_sensors(lr, hr, self.ratio, srf_np, psf_np, nonneg, smooth, self.uses_srf)
            self.sensors.append(sensors)
            outs.append(self.fuse_arrays(lr, hr, sensors))
        return torch.from_numpy(np.stack(outs)).to(dtype=lrhsi.dtype, device=lrhsi.device)


def check_positive_ints(config: Any, *names: str) -> None:
    """ValueError unless each named field of ``config`` is a positive integer."""
    for name in names:
        value = getattr(config, name)
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
