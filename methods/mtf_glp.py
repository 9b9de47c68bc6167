"""MTF-GLP-HS: MTF-matched generalized Laplacian pyramid with hypersharpening and regression gains.

Papers: B. Aiazzi, L. Alparone, S. Baronti, A. Garzelli, M. Selva, "MTF-tailored multiscale fusion
of high-resolution MS and Pan imagery", Photogramm. Eng. Remote Sens. 72(5):591-596, 2006,
https://doi.org/10.14358/PERS.72.5.591; G. Vivone et al., "A critical comparison among
pansharpening algorithms", IEEE TGRS 53(5):2565-2586, 2015. Hypersharpening: Selva et al., IEEE
JSTARS 8(6):3008-3024, 2015. HS form (GLP-HS) as compared in Yokoya, Grohnfeldt, Chanussot, IEEE
GRSM 5(2):29-56, 2017.

For each HS band b, with a pan P_b synthesised from the HR-MSI (``pan="regression"``: least squares
on the degraded MSI bands and a constant, Yokoya's mode 2; ``pan="select"``: the most correlated
MSI band) and the pyramid's low-pass L(P_b) = up(decimate(MTF * P_b)):

    fused_b = up(HS_b) + g_b (P_b - L(P_b)),   g_b = cov(up(HS_b), L(P_b)) / var(L(P_b)).

MTF-matched filter: for an HS-MS pair the MTF that matters is the HS sensor's, i.e. the scene's PSF,
given or fitted to the inputs as a Gaussian (the toolboxes fall back on a Gaussian with a Nyquist
gain of 0.3 when the MTF is unknown; here it is always known or fitted). Expansion is bicubic at the
PSF centres (Yokoya's code uses the 23-tap interpolator, which needs power-of-two ratios).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from methods._classical import PAN_MODES, ClassicalFusion, Sensors, pans_and_lowpass
from methods.registry import register

PAPER = ("Aiazzi, Alparone, Baronti, Garzelli, Selva, PE&RS 72(5):591-596, 2006 (MTF-GLP); "
         "Vivone et al., IEEE TGRS 53(5):2565-2586, 2015; HS form of Yokoya et al., "
         "IEEE GRSM 5(2):29-56, 2017")


def regression_gains(hs_up: np.ndarray, pans_low: np.ndarray) -> np.ndarray:
    """(C,) injection gains cov(up(HS_b), L(P_b)) / var(L(P_b)), band by band."""
    a = hs_up.reshape(hs_up.shape[0], -1)
    p = pans_low.reshape(pans_low.shape[0], -1)
    a = a - a.mean(axis=1, keepdims=True)
    p = p - p.mean(axis=1, keepdims=True)
    return np.sum(a * p, axis=1) / np.maximum(np.sum(p * p, axis=1), 1e-12)


class MTFGLPFusion(ClassicalFusion):
    """MTF-GLP per HS band with a hypersharpening pan and regression injection gains."""

    uses_srf = False

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        pans, pans_low = pans_and_lowpass(lrhsi, hrmsi, sensors, self.config.pan)
        hs_up = sensors.upsample(lrhsi)
        gains = regression_gains(hs_up, pans_low)
        return hs_up + gains[:, None, None] * (pans - pans_low)


@dataclass(frozen=True)
class MTFGLPConfig:
    """pan: "regression" (per-band least-squares pan) | "select" (most correlated MSI band)."""

    pan: str = "regression"

    def __post_init__(self) -> None:
        if self.pan not in PAN_MODES:
            raise ValueError(f"pan must be one of {PAN_MODES}, got {self.pan!r}")


@register("mtf_glp_hs", family="classical", label="MTF-GLP-HS", paper=PAPER,
          needs=("srf", "psf"),
          notes="MTF filter = the scene's PSF (given or Gaussian-fitted); regression pans and "
                "gains (Yokoya 2017 GLP-HS); bicubic expansion at the PSF centres.")
def mtf_glp_hs(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> MTFGLPFusion:
    return MTFGLPFusion(bands, msi_bands, ratio, MTFGLPConfig(**cfg))
