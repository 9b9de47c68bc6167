"""Degradations applied to a Scene that is already made: noise on its two inputs, and a wrong PSF
in what the scene tells a method. Each returns a new Scene and records what it did in
``meta.degradation``; the ground truth never changes.

- ``with_noise``: AWGN on the LR-HSI and the HR-MSI at one SNR, by ``simulate.add_awgn``'s
  definition, for scenes whose inputs were not simulated here (a dataset that takes ``snr_db``
  should get it as an option instead: there the noise comes before the misalignment shift).
- ``with_told_psf``: the kernel in ``meta.psf`` replaced by a Gaussian whose sigma is ``factor``
  times the true one, or removed (``factor=None``: the method has to estimate it). The inputs stay
  as they were made, so a method that takes the PSF is told a blur narrower or wider than the one
  that made the LR-HSI.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from datasets.scene import Scene
from datasets.simulate import NOISE, add_awgn, derived_seed, gaussian_psf, psf_size

__all__ = ["true_psf_sigma", "with_noise", "with_told_psf"]


def with_noise(scene: Scene, snr_db: float, seed: int = 0) -> Scene:
    """``scene`` with AWGN at ``snr_db`` added to both inputs; the noise of each input is seeded
    from (seed, scene name, input), so it does not depend on the order scenes are loaded in."""
    def generator(product: str) -> torch.Generator:
        return torch.Generator().manual_seed(derived_seed(seed, f"{scene.name}/{product}"))

    lrhsi = add_awgn(scene.lrhsi, snr_db, generator("added-noise/lrhsi"))
    hrmsi = add_awgn(scene.hrmsi, snr_db, generator("added-noise/hrmsi"))
    degradation = {**scene.meta.degradation,
                   "added_noise": {"snr_db": snr_db, "noise": NOISE, "seed": seed,
                                   "inputs": ["lrhsi", "hrmsi"]}}
    return replace(scene, lrhsi=lrhsi, hrmsi=hrmsi,
                   meta=replace(scene.meta, degradation=degradation))


def true_psf_sigma(scene: Scene) -> float:
    """The sigma (HR pixels) of the Gaussian PSF that made ``scene``'s LR-HSI, from its record.

    Raises ValueError when the scene records no Gaussian PSF (e.g. data made elsewhere)."""
    psf = scene.meta.degradation.get("psf")
    if not isinstance(psf, dict) or psf.get("kind") != "gaussian" or "sigma_hr_px" not in psf:
        raise ValueError(f"scene {scene.name!r} records no Gaussian PSF (meta.degradation['psf'] "
                         f"is {psf!r}), so a PSF mismatch cannot be made for it")
    return float(psf["sigma_hr_px"])


def with_told_psf(scene: Scene, factor: float | None) -> Scene:
    """``scene`` whose ``meta.psf`` is a Gaussian of ``factor`` x the true sigma (the kernel side
    from ``simulate.psf_size``), or None when ``factor`` is None (the method estimates it)."""
    sigma = true_psf_sigma(scene)
    ratio = int(scene.meta.ratio)
    if factor is None:
        told, record = None, {"told": "none (estimated by the method)", "true_sigma_hr_px": sigma}
    else:
        if factor <= 0:
            raise ValueError(f"PSF factor must be > 0, got {factor}")
        size = psf_size(factor * sigma, ratio)
        told = gaussian_psf(size, factor * sigma)
        record = {"told": "gaussian", "factor": factor, "sigma_hr_px": factor * sigma,
                  "size": size, "true_sigma_hr_px": sigma}
    degradation = {**scene.meta.degradation, "psf_told": record}
    return replace(scene, meta=replace(scene.meta, psf=told, degradation=degradation))
