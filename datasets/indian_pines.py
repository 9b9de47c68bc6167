"""AVIRIS Indian Pines (1992, 145 x 145, 200 corrected bands), vendored as data/indian_pines.npz.

Split (fixed, spatially disjoint; ratio 4):
- train: columns 0-63, HR tiles 64 x 64 (LR 16 x 16) at rows 0, 16, ..., 80 (6 tiles, overlapping
  each other inside the train region);
- test: columns 65-144, HR tiles 40 x 40 (LR 10 x 10) at rows 0, 52, 105 and columns 65, 105 (6
  tiles that share no pixel). Six small tiles rather than two 64 x 64 ones, so that per-scene
  paired differences between methods have a sample to bootstrap; 40 is the smallest multiple of
  the ratio whose LR side (10) every registered method accepts.
Column 64 separates them, so no test pixel is in any train tile. Each tile is min-max normalised
on its own (raw units: AVIRIS at-sensor radiance DN), and its LR-HSI/HR-MSI are simulated on the
fly from it (default ratio 4, Landsat-8 OLI B2-B5). Without noise the scenes are deterministic;
with ``snr_db``, each tile's noise is seeded from (seed, tile name).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import torch

from datasets.errors import DataError
from datasets.registry import SceneList, register_dataset
from datasets.scene import Scene
from datasets.simulate import derived_seed, simulate_scene

DATA_FILE = "indian_pines.npz"
SHAPE = (200, 145, 145)  # (C, H, W) as stored
TILES = {"train": 64, "test": 40}  # HR tile side per split
TRAIN_COLUMNS = (0, 64)  # [start, stop)
TEST_COLUMNS = (65, 145)
SPLITS: dict[str, tuple[tuple[int, int], ...]] = {  # (row, column) of each tile's top-left
    "train": tuple((y, 0) for y in range(0, 81, 16)),
    "test": tuple((y, x) for y in (0, 52, 105) for x in (65, 105)),
}
SOURCE = "AVIRIS Indian Pines, 12 June 1992 (Purdue University Research Repository)"
UNITS = "AVIRIS at-sensor radiance, scaled integer DN"


@lru_cache(maxsize=1)
def load_cube() -> tuple[np.ndarray, np.ndarray, np.ndarray, str, str]:
    """(cube (200, 145, 145) uint16, wavelengths (200,) nm, FWHM (200,) nm, citation, licence)."""
    ref = resources.files("datasets") / "data" / DATA_FILE
    with resources.as_file(ref) as path:
        try:
            with np.load(path, allow_pickle=False) as z:
                cube, wl, fwhm = z["cube"], z["wavelengths_nm"], z["fwhm_nm"]
                citation, licence = str(z["citation"]), str(z["licence"])
        except (OSError, ValueError, KeyError) as err:
            raise DataError(str(path), f"cannot be read ({err})",
                            "the vendored Indian Pines npz") from err
    if cube.shape != SHAPE or wl.shape != (SHAPE[0],) or fwhm.shape != (SHAPE[0],):
        raise DataError(str(path), f"cube {cube.shape}, {wl.shape[0]} wavelengths",
                        f"cube {SHAPE} and {SHAPE[0]} wavelengths", "cube")
    return cube, wl, fwhm, citation, licence


@register_dataset(
    "indian_pines",
    description="AVIRIS Indian Pines 145x145x200 (real), 64x64 train and 40x40 test tiles, "
                "simulated LR-HSI/HR-MSI",
    splits=tuple(SPLITS),
    source=SOURCE,
    licence="CC0 1.0",
)
def indian_pines(split: str = "test", ratio: int = 4, msi_bands: int = 4,
                 sensor: str = "landsat8_oli", snr_db: float | None = None, misalign_px: int = 0,
                 seed: int = 0, psf_size: int | None = None,
                 psf_sigma: float | None = None) -> SceneList:
    """Tiles of ``split`` with inputs simulated by ``simulate.simulate_scene`` and these options."""
    if split not in SPLITS:
        raise ValueError(f"indian_pines has splits {list(SPLITS)}, got {split!r}")
    tiles, side = SPLITS[split], TILES[split]
    names = [f"indian_pines/{split}/r{y}_c{x}" for y, x in tiles]

    def load(i: int) -> Scene:
        cube, wl, fwhm, citation, licence = load_cube()
        y, x = tiles[i]
        gt = torch.from_numpy(cube[:, y:y + side, x:x + side].astype(np.float32))
        tile_seed = derived_seed(seed, names[i])
        scene = simulate_scene(
            gt, wl, fwhm, ratio=ratio, msi_bands=msi_bands, sensor=sensor, snr_db=snr_db,
            misalign_px=misalign_px, seed=tile_seed, psf_size=psf_size,
            psf_sigma=psf_sigma, name=names[i], units=UNITS, source=f"{SOURCE}; {citation}",
            licence=licence,
        )
        scene.meta.degradation.update(seed=seed, tile_seed=tile_seed)
        scene.meta.degradation["split"] = {
            "name": split, "tile_rc": [y, x], "tile": side,
            "train_columns": list(TRAIN_COLUMNS), "test_columns": list(TEST_COLUMNS),
        }
        return scene

    return SceneList(names, load)
