"""Reader for the paper's layout (see ``layout.py``), registered as the dataset ``paper``.

Value convention: GT.npz.npy holds raw units; each Scene's GT is min-max normalised per scene to
[0, 1] with ``meta.scale``/``meta.offset`` recorded. A layout written from a named protocol
(``datasets.prepare --dataset name:protocol``) says so in degradation.json (``gt_domain``
"unit"): its GT is already in the protocol's unit domain, and each entry's scale and offset are
in the record. LR-HSI and HR-MSI are returned as stored,
assumed to be in [0, 1] already (the authors map them by (x - 0.5) * 2 on that assumption). When
``<root>/degradation.json`` exists (written by ``datasets.prepare``), ``meta`` gets the wavelengths,
FWHM, PSF, SRF and degradation settings from it; otherwise they stay None (unknown).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import lru_cache

import numpy as np
import torch

from datasets.errors import DataError
from datasets.layout import (
    DEGRADATION_FILE,
    GT_FILE,
    entry_dir,
    hrmsi_key,
    lrhsi_key,
    read_anchor,
    read_entry,
    read_list,
)
from datasets.normalise import minmax_normalise
from datasets.registry import SceneList, register_dataset
from datasets.scene import Scene, SceneMeta
from datasets.simulate import derived_seed

INPUTS_AS_STORED = "LR-HSI and HR-MSI as stored, assumed in [0, 1]"


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32))


def read_degradation(root: str) -> dict | None:
    """The contents of ``<root>/degradation.json``, or None when there is none."""
    path = os.path.join(root, DEGRADATION_FILE)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise DataError(path, f"cannot be read ({err})", "a JSON object") from err


def entry_meta(record: dict | None, msi_bands: int, misalignment: int, ratio: int) -> SceneMeta:
    """SceneMeta for one entry from a degradation record (None: the layout says nothing more)."""
    if record is None:
        note = f"no {DEGRADATION_FILE}: SRF/PSF unknown"
        return SceneMeta(ratio=ratio, degradation={"inputs": INPUTS_AS_STORED,
                                                   "misalign_px": misalignment, "note": note})
    degradation = dict(record["degradation"])
    degradation.update(misalign_px=misalignment, inputs=INPUTS_AS_STORED)
    degradation["srf"] = record["srf"][hrmsi_key(msi_bands)]["settings"]
    return SceneMeta(
        ratio=ratio,
        wavelengths_nm=np.asarray(record["wavelengths_nm"], dtype=np.float64),
        fwhm_nm=np.asarray(record["fwhm_nm"], dtype=np.float64),
        srf=np.asarray(record["srf"][hrmsi_key(msi_bands)]["matrix"], dtype=np.float64),
        psf=np.asarray(record["psf"], dtype=np.float64),
        source=record.get("source", ""),
        licence=record.get("licence", ""),
        degradation=degradation,
    )


def default_msi_bands(record: dict | None) -> int:
    """4 (the authors' hrmsi4), or the band count of the layout's only HR-MSI key."""
    keys = sorted((record or {}).get("srf", {}))
    if "hrmsi4" in keys or len(keys) != 1:
        return 4
    return int(keys[0].removeprefix("hrmsi"))


def _gt_size(root: str, entry: str) -> tuple[int, int]:
    path = os.path.join(entry_dir(root, entry), GT_FILE)
    try:
        shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
    except (OSError, ValueError) as err:
        raise DataError(path, f"cannot be read ({err})", "a valid .npy file") from err
    if len(shape) != 3:
        raise DataError(path, f"array has shape {shape}", "a 3-D (H, W, C) array")
    return shape[0], shape[1]


class PaperLayout(SceneList):
    """Scenes of ``list_file`` under ``root``; with ``tile``, each entry is cut into HR tiles.

    msi_bands: 4 or 6 (key hrmsi4/hrmsi6), or N for a protocol's layout (key hrmsiN); None: 4, or
    the layout's only HR-MSI key. misalignment: 0..3 (key lrhsi or lrhsi1..3).
    tile: None for whole images, or an HR tile size (a multiple of the ratio): each entry gives
    its non-overlapping tiles from the top-left, named ``<entry>@<y>,<x>``.
    """

    def __init__(self, root: str, list_file: str, msi_bands: int | None = None,
                 misalignment: int = 0, tile: int | None = None) -> None:
        self.record = read_degradation(root)
        msi_bands = default_msi_bands(self.record) if msi_bands is None else msi_bands
        hrmsi_key(msi_bands), lrhsi_key(misalignment)  # validate early
        self.root, self.list_file = root, list_file
        self.msi_bands, self.misalignment, self.tile = msi_bands, misalignment, tile
        self.entries = read_list(list_file, root)
        if tile is None:
            self.index = [(e, 0, 0) for e in self.entries]
            names = self.entries
        else:
            if tile < 1:
                raise ValueError(f"tile must be a positive HR size, got {tile}")
            self.index = [(e, y, x) for e in self.entries
                          for H, W in [_gt_size(root, e)]
                          for y in range(0, H - tile + 1, tile)
                          for x in range(0, W - tile + 1, tile)]
            names = [f"{e}@{y},{x}" for e, y, x in self.index]
        super().__init__(names, self._scene)
        self._entry = lru_cache(maxsize=1)(self._read_entry)

    def _read_entry(self, entry: str) -> Scene:
        gt, lr, hr = read_entry(self.root, entry, self.msi_bands, self.misalignment)
        ratio = gt.shape[0] // lr.shape[0]
        meta = entry_meta(self.record, self.msi_bands, self.misalignment, ratio)
        original = (self.record or {}).get("units", f"raw units of {GT_FILE}")
        if (self.record or {}).get("gt_domain") == "unit":
            unit = _chw(gt)
            scale, offset = self.record.get("entry_scale_offset", {}).get(entry, (1.0, 0.0))
            units = original
        else:
            unit, scale, offset = minmax_normalise(gt, hwc=True)
            units = f"min-max normalised per scene to [0, 1] (original: {original})"
        meta = replace(meta, scale=scale, offset=offset, units=units)
        if self.record is not None and self.record.get("gt_domain") != "unit":
            meta.degradation["tile_seed"] = derived_seed(meta.degradation["seed"], entry)
        co = read_anchor(self.root, entry, self.msi_bands, self.misalignment, gt.shape)
        return Scene(name=entry, lrhsi=_chw(lr), hrmsi=_chw(hr), gt=unit, meta=meta,
                     anchor=None if co is None else _chw(co))

    def _scene(self, i: int) -> Scene:
        entry, y, x = self.index[i]
        scene = self._entry(entry)
        if self.tile is None:
            return scene
        r, t = scene.meta.ratio, self.tile
        if t % r:
            raise ValueError(f"tile {t} must be a multiple of the ratio {r} of {entry}")
        return replace(scene, name=self.names[i],
                       gt=scene.gt[:, y:y + t, x:x + t].contiguous(),
                       hrmsi=scene.hrmsi[:, y:y + t, x:x + t].contiguous(),
                       lrhsi=scene.lrhsi[:, y // r:(y + t) // r, x // r:(x + t) // r].contiguous(),
                       anchor=None if scene.anchor is None
                       else scene.anchor[:, y:y + t, x:x + t].contiguous())


@register_dataset(
    "paper",
    description="the HSSDCT/QRCODE layout (GT.npz.npy, hrmsi.npz, lrhsi.npz) under root, per list",
    splits=("train", "val", "test"),
)
def paper(split: str = "test", root: str | None = None, list: str | None = None,
          msi_bands: int | None = None, misalignment: int = 0,
          tile: int | None = None) -> PaperLayout:
    """Options: root (required), list (default ``<root>/<split>.txt``), msi_bands (4 | 6 | N),
    misalignment (0..3), tile (None | HR size); see ``PaperLayout``."""
    if root is None:
        raise ValueError("dataset 'paper' needs root=<directory of the layout>")
    return PaperLayout(root, list or os.path.join(root, f"{split}.txt"), msi_bands, misalignment,
                       tile)
