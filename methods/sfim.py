"""SFIM-HS: smoothing-filter-based intensity modulation with hypersharpening.

Paper: J. G. Liu, "Smoothing filter-based intensity modulation: a spectral preserve image fusion
technique for improving spatial details", Int. J. Remote Sens. 21(18):3461-3472, 2000,
https://doi.org/10.1080/014311600750037499. Hypersharpening pans: M. Selva, B. Aiazzi, F. Butera,
L. Chiarantini, S. Baronti, IEEE JSTARS 8(6):3008-3024, 2015. HS form as compared in Yokoya,
Grohnfeldt, Chanussot, IEEE GRSM 5(2):29-56, 2017.

For each HS band b, a pan P_b is synthesised from the HR-MSI (``pan="regression"``: least squares
of the LR HS band on the degraded MSI bands and a constant, Yokoya's mode 2; ``pan="select"``: the
MSI band most correlated with it, mode 1). The band is modulated by the pan's ratio to its own
low-pass version:  fused_b = up(HS_b) · P_b / up(degrade(P_b)).
Yokoya's code expands both by nearest neighbour; here both are expanded by bicubic interpolation at
the PSF centres (no block artefacts), and the low-pass is the scene's PSF (given or fitted).
Denominators are floored at ``eps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from methods._classical import PAN_MODES, ClassicalFusion, Sensors, pans_and_lowpass
from methods.registry import register

PAPER = ("Liu, Int. J. Remote Sens. 21(18):3461-3472, 2000 (SFIM); hypersharpening: Selva et al., "
         "IEEE JSTARS 8(6):3008-3024, 2015; HS form of Yokoya et al., IEEE GRSM 5(2):29-56, 2017")


class SFIMFusion(ClassicalFusion):
    """SFIM per HS band with a hypersharpening pan."""

    uses_srf = False

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        pans, pans_low = pans_and_lowpass(lrhsi, hrmsi, sensors, self.config.pan)
        return sensors.upsample(lrhsi) * pans / np.maximum(pans_low, self.config.eps)


@dataclass(frozen=True)
class SFIMConfig:
    """pan: "regression" | "select"; eps: floor of the low-pass pan in the ratio."""

    pan: str = "regression"
    eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.pan not in PAN_MODES:
            raise ValueError(f"pan must be one of {PAN_MODES}, got {self.pan!r}")
        if self.eps <= 0:
            raise ValueError(f"eps must be positive, got {self.eps}")


@register("sfim", family="classical", label="SFIM-HS", paper=PAPER, needs=("srf", "psf"),
          notes="Per-band regression pan (Yokoya 2017 mode 2); bicubic expansion at the PSF "
                "centres.")
def sfim(bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> SFIMFusion:
    return SFIMFusion(bands, msi_bands, ratio, SFIMConfig(**cfg))
