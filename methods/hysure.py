"""HySure: hyperspectral superresolution by subspace regularisation and vector total variation.

Paper: M. Simões, J. Bioucas-Dias, L. B. Almeida, J. Chanussot, "A convex formulation for
hyperspectral image superresolution via subspace-based regularization", IEEE TGRS
53(6):3373-3388, 2015, https://doi.org/10.1109/TGRS.2014.2375320 (arXiv:1411.4005).

The HR image is Z = E X, with E (C x p) the first p left singular vectors of the LR-HSI
("SVD" basis of the authors' code) and X (p x N) found by

    min_X  1/2 ||Y_h - E X B M||^2 + λ_m/2 ||Y_m - R E X||^2 + λ_φ Σ_pixels ||(X D_h, X D_v)||_2

(B: blur by the PSF, M: decimation, R: the SRF, D_h, D_v: circular differences; the last term is
isotropic vector TV). The ADMM/SALSA splitting of the paper: V1 = XB, V2 = X, V3 = X D_h,
V4 = X D_v, with scaled multipliers D1..D4. The X step is solved exactly with FFTs; V2 and its
multiplier are linear per pixel and stay in the Fourier domain, so each iteration costs three
forward and three inverse 2-D FFTs of p channels. The data are divided by the LR-HSI maximum
first, as in the authors' code, and the output is multiplied back.

Defaults are those of the authors' released HS+MS demo (alfaiate/HySure, demo_pavia_hs_ms.m,
data_fusion.m): p = 10 (capped at C), λ_φ = 5e-4, λ_m = 1, μ = 0.05, 200 iterations, X initialised
at zero, and a missing SRF estimated by least squares with their band-difference penalty λ_R = 10
(no sign constraint). Yokoya et al.'s comparison (IEEE GRSM 2017) ran it with p = 30, λ_φ = 1e-3.
The blur is circular here (FFT) where the scenes use mirror borders; the difference is confined
to a few border pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from methods._classical import ClassicalFusion, Sensors, check_positive_ints
from methods.registry import register

PAPER = ("Simões, Bioucas-Dias, Almeida, Chanussot, IEEE TGRS 53(6):3373-3388, 2015 (HySure); "
         "settings of the authors' code (github.com/alfaiate/HySure)")


def circular_otf(kernel: np.ndarray, anchor: tuple[int, int], shape: tuple[int, int]) -> torch.Tensor:
    """rfft2 of the (H, W) circular filter g with g * x = correlation of x with ``kernel``.

    ``anchor`` is the kernel pixel that lands on the output pixel: g[(a - u) mod H] = kernel[u].
    """
    g = np.zeros(shape)
    rows = (anchor[0] - np.arange(kernel.shape[0])) % shape[0]
    cols = (anchor[1] - np.arange(kernel.shape[1])) % shape[1]
    np.add.at(g, (rows[:, None], cols[None, :]), kernel)
    return torch.fft.rfft2(torch.from_numpy(g).float())


def vector_soft_threshold(a: torch.Tensor, b: torch.Tensor,
                          tau: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Shrink the per-pixel vector (a[:, i], b[:, i]) (2p values) towards 0 by ``tau`` (its norm)."""
    norm = torch.sqrt(torch.sum(a * a, dim=0) + torch.sum(b * b, dim=0))
    shrunk = torch.clamp_min(norm - tau, 0.0)
    factor = shrunk / (shrunk + tau)
    return a * factor, b * factor


def hysure_admm(yh_up: torch.Tensor, mask: torch.Tensor, yym: torch.Tensor, ire_inv: torch.Tensor,
                fb: torch.Tensor, iters: int, mu: float, lambda_phi: float,
                lambda_m: float) -> torch.Tensor:
    """SALSA iterations; returns X (p, H, W).

    yh_up: E'Y_h on the sampled pixels, zero elsewhere (p, H, W); mask: (H, W) sampled pixels;
    yym: E'R'Y_m (p, H, W); ire_inv: (λ_m E'R'RE + μI)^-1 (p, p); fb: rfft2 of the blur.
    """
    p, h, w = yh_up.shape
    size = (h, w)
    fdh = circular_otf(np.array([[1.0, -1.0]]), (0, 0), size)
    fdv = circular_otf(np.array([[1.0], [-1.0]]), (0, 0), size)
    denom = fb.abs() ** 2 + fdh.abs() ** 2 + fdv.abs() ** 2 + 1.0
    w_b, w_i, w_h, w_v = fb.conj() / denom, 1.0 / denom, fdh.conj() / denom, fdv.conj() / denom
    f_yym = torch.fft.rfft2(yym)
    zeros = torch.zeros_like(yh_up)
    v1 = v3 = v4 = d1 = d3 = d4 = zeros
    f_v2 = f_d2 = torch.fft.rfft2(zeros)
    for _ in range(iters):
        f_x = (torch.fft.rfft2(v1 + d1) * w_b + (f_v2 + f_d2) * w_i
               + torch.fft.rfft2(v3 + d3) * w_h + torch.fft.rfft2(v4 + d4) * w_v)
        nu1 = torch.fft.irfft2(f_x * fb, s=size) - d1
        v1 = torch.where(mask, (yh_up + mu * nu1) / (1.0 + mu), nu1)
        f_nu2 = f_x - f_d2
        # ire_inv is real: it acts on the real and imaginary parts alike
        rhs = torch.view_as_real(lambda_m * f_yym + mu * f_nu2)
        f_v2 = torch.view_as_complex((ire_inv @ rhs.reshape(p, -1)).reshape(rhs.shape))
        nu3 = torch.fft.irfft2(f_x * fdh, s=size) - d3
        nu4 = torch.fft.irfft2(f_x * fdv, s=size) - d4
        v3, v4 = vector_soft_threshold(nu3, nu4, lambda_phi / mu)
        d1, f_d2, d3, d4 = v1 - nu1, f_v2 - f_nu2, v3 - nu3, v4 - nu4
    return torch.fft.irfft2(f_x, s=size)


class HySureFusion(ClassicalFusion):
    """HySure's fusion step (Simões 2015) with the scene's (or estimated) SRF and PSF."""

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        prm = self.params
        bands, h, w = lrhsi.shape
        c, hr_h, hr_w = hrmsi.shape
        scale = max(float(lrhsi.max()), 1e-12)
        yh, ym = lrhsi.reshape(bands, -1) / scale, hrmsi.reshape(c, -1) / scale
        p = min(prm["subspace"], bands)
        basis = np.linalg.svd(yh, full_matrices=False)[0][:, :p]  # (C, p)

        rows = np.arange(h) * self.ratio + sensors.offset
        cols = np.arange(w) * self.ratio + sensors.offset
        yh_up = np.zeros((p, hr_h, hr_w))
        yh_up[:, rows[:, None], cols[None, :]] = (basis.T @ yh).reshape(p, h, w)
        mask = np.zeros((hr_h, hr_w), dtype=bool)
        mask[rows[:, None], cols[None, :]] = True
        re = sensors.srf @ basis  # (c, p)
        ire_inv = np.linalg.inv(prm["lambda_m"] * re.T @ re + prm["mu"] * np.eye(p))
        yym = (re.T @ ym).reshape(p, hr_h, hr_w)
        kh, kw = sensors.psf.shape
        fb = circular_otf(sensors.psf, ((kh - 1) // 2, (kw - 1) // 2), (hr_h, hr_w))

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a)).float()

        x = hysure_admm(t(yh_up), torch.from_numpy(mask), t(yym), t(ire_inv), fb, prm["iters"],
                        prm["mu"], prm["lambda_phi"], prm["lambda_m"])
        return (basis @ x.double().numpy().reshape(p, -1)).reshape(bands, hr_h, hr_w) * scale


@dataclass(frozen=True)
class HySureConfig:
    """subspace: p (capped at C); lambda_phi: VTV weight; lambda_m: MSI data weight; mu: ADMM
    penalty; iters: ADMM iterations; srf_nonneg, srf_smooth: how a missing SRF is estimated
    (HySure's own estimate: unconstrained, band-difference penalty λ_R = 10)."""

    subspace: int = 10
    lambda_phi: float = 5e-4
    lambda_m: float = 1.0
    mu: float = 0.05
    iters: int = 200
    srf_nonneg: bool = False
    srf_smooth: float = 10.0

    def __post_init__(self) -> None:
        check_positive_ints(self, "subspace", "iters")
        if self.mu <= 0 or self.lambda_phi < 0 or self.lambda_m < 0 or self.srf_smooth < 0:
            raise ValueError(f"need mu > 0 and lambda_phi, lambda_m, srf_smooth >= 0, got "
                             f"{self.mu}, {self.lambda_phi}, {self.lambda_m}, {self.srf_smooth}")


@register("hysure", family="classical", label="HySure", paper=PAPER, needs=("srf", "psf"),
          min_lr_side=3,
          notes="Authors' released settings (HS+MS demo): p = 10, λφ = 5e-4, λm = 1, μ = 0.05, "
                "200 ADMM iterations, SRF by band-smooth LS (λR = 10); SVD subspace of the "
                "LR-HSI. Yokoya 2017's comparison used p = 30, λφ = 1e-3.")
def hysure(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> HySureFusion:
    return HySureFusion(bands, msi_bands, ratio, HySureConfig(**cfg))
