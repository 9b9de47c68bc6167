"""Synthetic paper-size scenes: measured library spectra mixed by smooth random abundance maps.

Each scene: pick ``endmembers`` distinct material classes (earthlib LEVEL_3) among the library's
measured spectra (its PROSAIL-simulated canopy spectra are left out), one spectrum per class;
resample them to the 172 AVIRIS-like bands of ``wavelengths.aviris172_bands`` (Gaussian band of
each centre/FWHM integrated on a 1 nm grid, the library's 10 nm samples interpolated linearly,
also across its water-vapour gaps); draw ``endmembers`` white-noise maps, smooth them with a
Gaussian of ``smoothness`` pixels (periodic borders), standardise them, and take a softmax across
maps (``sharpness`` sets how pure regions are) to get abundances that sum to one. GT = spectra x
abundances, in reflectance. Everything comes from ``numpy.random.default_rng([seed, split, i])``,
so a scene is fixed by (seed, split, index). At the defaults a scene is the paper's size: GT
172 x 256 x 256, LR-HSI 172 x 64 x 64, HR-MSI 4 x 256 x 256.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from datasets.registry import SceneList, register_dataset
from datasets.scene import Scene
from datasets.simulate import simulate_scene
from datasets.srf import FWHM_TO_SIGMA
from datasets.wavelengths import aviris172_bands

SPLIT_IDS = {"train": 0, "val": 1, "test": 2}
UNITS = "reflectance (linear mixture of earthlib spectra)"
LICENCE = "MIT (earthlib spectral library)"


@lru_cache(maxsize=1)
def measured_library() -> tuple[np.ndarray, np.ndarray, list[str], list[str], str]:
    """(wavelengths nm (L,), spectra (N, L), names, LEVEL_3 classes, earthlib version)."""
    import earthlib

    lib = earthlib.full_library
    measured = (lib.metadata["SOURCE"] != "prosail").to_numpy()
    wl = np.asarray(lib.sensor.band_centers, dtype=np.float64) * 1000.0
    names = [n for n, keep in zip(lib.names, measured, strict=True) if keep]
    classes = lib.metadata["LEVEL_3"].to_numpy()[measured].tolist()
    spectra = np.asarray(lib.data[measured], dtype=np.float64)
    return wl, spectra, names, classes, earthlib.__version__


def resample(spectra: np.ndarray, wl: np.ndarray, centres: np.ndarray,
             fwhm: np.ndarray) -> np.ndarray:
    """(N, L) spectra sampled at ``wl`` nm -> (N, C) values of Gaussian bands (centre, FWHM)."""
    reach = 3 * fwhm.max()
    grid = np.arange(np.floor(centres.min() - reach), np.ceil(centres.max() + reach) + 1)
    dense = np.stack([np.interp(grid, wl, s) for s in spectra])
    sigma = fwhm * FWHM_TO_SIGMA
    weights = np.exp(-0.5 * ((grid[None, :] - centres[:, None]) / sigma[:, None]) ** 2)
    weights /= weights.sum(1, keepdims=True)
    return dense @ weights.T


def abundances(rng: np.random.Generator, k: int, size: int, smoothness: float,
               sharpness: float) -> np.ndarray:
    """(k, size, size) smooth abundance maps, non-negative and summing to one per pixel."""
    z = gaussian_filter(rng.standard_normal((k, size, size)), sigma=(0, smoothness, smoothness),
                        mode="wrap")
    z = (z - z.mean(axis=(1, 2), keepdims=True)) / z.std(axis=(1, 2), keepdims=True)
    e = np.exp(sharpness * (z - z.max(axis=0, keepdims=True)))
    return e / e.sum(axis=0, keepdims=True)


def synthetic_cube(rng: np.random.Generator, size: int, endmembers: int, smoothness: float,
                   sharpness: float) -> tuple[np.ndarray, list[str]]:
    """((172, size, size) float32 reflectance GT, names of the chosen library spectra)."""
    wl, spectra, names, classes, _ = measured_library()
    kinds = sorted(set(classes))
    if not 1 <= endmembers <= len(kinds):
        raise ValueError(f"endmembers must be 1..{len(kinds)} (distinct classes), got {endmembers}")
    picked = []
    for kind in rng.choice(kinds, size=endmembers, replace=False):
        members = [i for i, c in enumerate(classes) if c == kind]
        picked.append(members[int(rng.integers(len(members)))])
    centres, fwhm = aviris172_bands()
    ends = resample(spectra[picked], wl, centres, fwhm)  # (k, 172)
    abund = abundances(rng, endmembers, size, smoothness, sharpness)
    gt = (ends.T @ abund.reshape(endmembers, -1)).reshape(-1, size, size)
    return gt.astype(np.float32), [names[i] for i in picked]


@register_dataset(
    "synthetic",
    description="paper-size scenes (GT 172x256x256, LR 64x64) from earthlib spectra, by seed",
    source="earthlib spectral library (measured spectra), smooth random abundances",
    licence=LICENCE,
)
def synthetic(split: str = "test", n: int = 1, seed: int = 0, size: int = 256, ratio: int = 4,
              msi_bands: int = 4, sensor: str = "landsat8_oli", endmembers: int = 6,
              smoothness: float = 12.0, sharpness: float = 3.0, snr_db: float | None = None,
              misalign_px: int = 0) -> SceneList:
    """``n`` scenes of ``size`` x ``size`` (HR), deterministic in (seed, split, index)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    names = [f"synthetic/{split}/seed{seed}_{i}" for i in range(n)]

    def load(i: int) -> Scene:
        rng = np.random.default_rng([seed, SPLIT_IDS[split], i])
        gt, picked = synthetic_cube(rng, size, endmembers, smoothness, sharpness)
        centres, fwhm = aviris172_bands()
        version = measured_library()[4]
        scene = simulate_scene(
            torch.from_numpy(gt), centres, fwhm, ratio=ratio, msi_bands=msi_bands, sensor=sensor,
            snr_db=snr_db, misalign_px=misalign_px, seed=int(rng.integers(2**62)),
            name=names[i], units=UNITS, licence=LICENCE,
            source=f"synthetic: earthlib {version} spectra {picked} mixed by smooth random "
                   "abundances; bands: AVIRIS-Classic 172 (92AV3C centres)",
        )
        scene.meta.degradation["synthetic"] = {
            "seed": seed, "split": split, "index": i, "endmembers": picked,
            "smoothness_px": smoothness, "sharpness": sharpness,
        }
        return scene

    return SceneList(names, load)
