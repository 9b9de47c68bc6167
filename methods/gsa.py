"""GSA: Gram-Schmidt Adaptive component substitution, in its hyperspectral form.

Paper: B. Aiazzi, S. Baronti, M. Selva, "Improving component substitution pansharpening through
multivariate regression of MS+Pan data", IEEE TGRS 45(10):3230-3239, 2007,
https://doi.org/10.1109/TGRS.2007.901007. Hyperspectral form as compared in N. Yokoya,
C. Grohnfeldt, J. Chanussot, "Hyperspectral and multispectral data fusion: a comparative review of
the recent literature", IEEE GRSM 5(2):29-56, 2017, https://doi.org/10.1109/MGRS.2016.2637824.

HS form (Yokoya 2017): each HS band joins the group of the MSI band it correlates best with on
the LR grid; each group is pansharpened by GSA with that MSI band as its pan. Within a group:
1. the HS bands are upsampled (bicubic, at the PSF centres) and their means removed;
2. the intensity I = Σ_k α_k HS_k + α_0, with α from least squares of the pan, degraded to the LR
   grid, on the mean-removed LR HS bands and a constant (the "adaptive" part);
3. each band gets the detail g_k (pan - I), with g_k = cov(I, HS_k) / var(I) (Gram-Schmidt gain);
4. band means are restored to those of the upsampled HS bands.
The toolbox degrades the pan with MATLAB's imresize; here it is degraded with the scene's PSF
(given or fitted), which is the same physical model the LR-HSI was made with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from methods._classical import ClassicalFusion, Sensors, band_groups
from methods.registry import register

PAPER = ("Aiazzi, Baronti, Selva, IEEE TGRS 45(10):3230-3239, 2007 (GSA); HS form of Yokoya, "
         "Grohnfeldt, Chanussot, IEEE GRSM 5(2):29-56, 2017")


def gsa_group(hs_lr: np.ndarray, hs_up: np.ndarray, pan: np.ndarray, pan_lr: np.ndarray) -> np.ndarray:
    """GSA of n HS bands with one pan: hs_lr (n, h, w), hs_up (n, H, W), pan (H, W), pan_lr (h, w)."""
    n = hs_lr.shape[0]
    up_mean = hs_up.reshape(n, -1).mean(axis=1)
    up0 = hs_up.reshape(n, -1) - up_mean[:, None]
    lr0 = hs_lr.reshape(n, -1) - hs_lr.reshape(n, -1).mean(axis=1, keepdims=True)
    pan_mean = pan.mean()
    design = np.concatenate([lr0, np.ones((1, lr0.shape[1]))]).T
    alpha = np.linalg.lstsq(design, pan_lr.ravel() - pan_mean, rcond=None)[0]
    intensity = alpha[:n] @ up0 + alpha[n]
    intensity -= intensity.mean()
    gains = (up0 @ intensity) / max(float(intensity @ intensity), 1e-12)
    detail = pan.ravel() - pan_mean - intensity
    fused = up0 + gains[:, None] * detail[None] + up_mean[:, None]
    return fused.reshape(hs_up.shape)


class GSAFusion(ClassicalFusion):
    """GSA per MSI-band group (Yokoya 2017's HS adaptation of Aiazzi 2007)."""

    uses_srf = False

    def fuse_arrays(self, lrhsi: np.ndarray, hrmsi: np.ndarray, sensors: Sensors) -> np.ndarray:
        hs_up = sensors.upsample(lrhsi)
        msi_lr = sensors.degrade(hrmsi)
        groups = band_groups(lrhsi, msi_lr)
        out = np.empty_like(hs_up)
        for j in np.unique(groups):
            idx = groups == j
            out[idx] = gsa_group(lrhsi[idx], hs_up[idx], hrmsi[j], msi_lr[j])
        return out


@dataclass(frozen=True)
class GSAConfig:
    """GSA has no free parameters (the intensity weights and gains are regressions)."""


@register("gsa", family="classical", label="GSA", paper=PAPER, needs=("srf", "psf"),
          notes="HS bands grouped by their most correlated MSI band, GSA per group (Yokoya 2017 "
                "toolbox); bicubic upsampling at the PSF centres; pan degraded with the PSF.")
def gsa(bands: int, msi_bands: int, ratio: int = 4) -> GSAFusion:
    return GSAFusion(bands, msi_bands, ratio, GSAConfig())
