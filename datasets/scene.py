"""The unit of data that flows through the suite: one fusion problem, with its provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class SceneMeta:
    """How a scene was made and what its values mean.

    ratio: spatial ratio r between HR-MSI and LR-HSI (H = r*h).
    wavelengths_nm / fwhm_nm: (C,) band centres and full widths at half maximum, in nm.
    srf: (c, C) spectral response matrix that made the HR-MSI (rows sum to 1), or None when the
        HR-MSI is a real acquisition or the response is unknown.
    psf: (k, k) blur kernel that made the LR-HSI (sums to 1), or None.
    units: what one unit of the tensors means (e.g. "min-max normalised radiance").
    scale, offset: original = value * scale + offset, per scene (floats) or per band ((C,) arrays).
    degradation: every simulator setting (SNR, misalignment, sensor, seeds), for the result rows.
    """

    ratio: int = 4
    wavelengths_nm: np.ndarray | None = None
    fwhm_nm: np.ndarray | None = None
    srf: np.ndarray | None = None
    psf: np.ndarray | None = None
    units: str = "normalised to [0, 1]"
    scale: float | np.ndarray = 1.0
    offset: float | np.ndarray = 0.0
    source: str = ""
    licence: str = ""
    degradation: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scene:
    """One fusion problem. Tensors are channels-first float32.

    lrhsi: (C, h, w) low-resolution hyperspectral image.
    hrmsi: (c, H, W) high-resolution multispectral image, H = ratio*h.
    gt: (C, H, W) reference, or None for a real acquisition without one.
    anchor: (C, H, W) a convex/low-rank estimate of the HR-HSI in the Scene's units (e.g. the
        dataset's CO-CNMF cube), for methods that need one; None when the data has none.
    """

    name: str
    lrhsi: torch.Tensor
    hrmsi: torch.Tensor
    gt: torch.Tensor | None
    meta: SceneMeta = field(default_factory=SceneMeta)
    anchor: torch.Tensor | None = None

    @property
    def bands(self) -> int:
        return int(self.lrhsi.shape[0])

    @property
    def msi_bands(self) -> int:
        return int(self.hrmsi.shape[0])


PER_SCENE_KEYS = frozenset({"seed", "tile_seed", "split", "synthetic"})


def degradation_model(degradation: dict[str, Any]) -> dict[str, Any]:
    """The settings every scene of a dataset shares (PSF, SRF, ratio, SNR, misalignment, ...):
    ``SceneMeta.degradation`` without its per-scene keys (seeds, split and tile, synthetic
    content), as JSON-ready values."""
    kept = {k: v for k, v in degradation.items() if k not in PER_SCENE_KEYS}
    return json.loads(json.dumps(kept, default=str, sort_keys=True))

