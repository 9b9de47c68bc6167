"""Write the paper's layout from one cube (``python -m datasets.prepare --cube X --out DATA``) or
from a registered dataset's protocol (``--dataset cave:x8-gauss --root CAVE --out DATA``).

From a protocol, every scene of the chosen splits is written as made by the protocol (its GT in
the protocol's unit domain, ``gt_domain`` "unit" in degradation.json with each entry's scale and
offset; the LR-HSI under every misalignment key; the HR-MSI under ``hrmsiN``, N the response's
band count), and split.json holds the protocol's split definition.

From one cube:
The cube is cut into tiles of spatially disjoint train/val/test regions (``split.plan_stripes``).
Each tile's GT is written in raw units; its LR-HSI (every misalignment key) and HR-MSI (4 and 6
bands) are simulated from the tile min-max normalised to [0, 1], exactly as
``simulate.simulate_scene`` does with seed ``derived_seed(seed, entry)``. Next to the lists go
``split.json`` (how the split was made) and ``degradation.json`` (how the inputs were made). Every
file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence

import numpy as np
import torch
from tqdm import tqdm

from datasets.cubes import Cube, parse_band_ranges, read_cube
from datasets.errors import DataError
from datasets.layout import (
    DEGRADATION_FILE,
    HRMSI_KEYS,
    LRHSI_KEYS,
    SPLIT_FILE,
    write_entry,
    write_list,
)
from datasets.limits import warn_small_tiles
from datasets.normalise import minmax_normalise
from datasets.registry import get, parse_name, spec
from datasets.scene import degradation_model
from datasets.simulate import (
    default_psf,
    degradation_record,
    degrade_spatial,
    degrade_spectral,
    derived_seed,
    gaussian_psf,
    shift,
    srf_settings,
)
from datasets.split import SPLITS, plan_stripes
from datasets.srf import SENSORS, srf_matrix
from fileio import write_text


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy()


def prepare(cube: Cube, out: str, tile: int = 64, ratio: int = 4, train_stride: int | None = None,
            val_fraction: float = 0.1, test_fraction: float = 0.2, axis: str = "auto",
            sensor: str = "landsat8_oli", snr_db: float | None = None,
            psf_size: int | None = None, psf_sigma: float | None = None, seed: int = 0,
            name: str | None = None, units: str = "", source: str = "", licence: str = "",
            progress: bool = True) -> dict:
    """Write the layout under ``out``; returns the split record (also written as split.json)."""
    if tile % ratio:
        raise ValueError(f"--tile {tile} must be a multiple of --ratio {ratio}")
    H, W, _ = cube.data.shape
    plan = plan_stripes(H, W, tile, train_stride, val_fraction, test_fraction, axis)
    size, sigma = default_psf(ratio)
    size, sigma = psf_size or size, psf_sigma or sigma
    psf = gaussian_psf(size, sigma)
    srfs = {f"hrmsi{c}": srf_matrix(cube.wavelengths_nm, cube.fwhm_nm, sensor, c) for c in (4, 6)}
    stem = name or os.path.splitext(os.path.basename(cube.path))[0]
    entries = {s: [f"{s}/{stem}_{y}_{x}" for y, x in plan.tiles[s]] for s in plan.tiles}
    os.makedirs(out, exist_ok=True)
    jobs = [(s, e, yx) for s in plan.tiles for e, yx in zip(entries[s], plan.tiles[s], strict=True)]
    for split, entry, (y, x) in tqdm(jobs, desc="tiles", unit="tile", disable=not progress):
        raw = np.ascontiguousarray(cube.data[y:y + tile, x:x + tile, :], dtype=np.float32)
        try:
            unit, _, _ = minmax_normalise(torch.from_numpy(raw.transpose(2, 0, 1).copy()))
        except ValueError as err:
            raise DataError(cube.path, f"{split} tile at row {y}, column {x}: {err}",
                            "tiles with a value range", cube.key) from err
        tile_seed = derived_seed(seed, entry)
        lr0 = degrade_spatial(unit, psf, ratio, snr_db, 0, tile_seed)
        lrhsi = {k: _hwc(shift(lr0, m) if m else lr0) for m, k in enumerate(LRHSI_KEYS)}
        hrmsi = {k: _hwc(degrade_spectral(unit, srfs[k], snr_db, tile_seed)) for k in HRMSI_KEYS}
        write_entry(out, entry, raw, lrhsi, hrmsi)
    for split in SPLITS:
        if split in entries:
            write_list(os.path.join(out, f"{split}.txt"), entries[split])
    record = degradation_record(ratio=ratio, psf_size=size, psf_sigma=sigma, sensor=sensor,
                                msi_bands=4, snr_db=snr_db, misalign_px=0, seed=seed)
    del record["srf"]
    record["tile_seed"] = "derived_seed(seed, entry) per entry"
    degradation = {
        "ratio": ratio,
        "wavelengths_nm": cube.wavelengths_nm.tolist(),
        "fwhm_nm": cube.fwhm_nm.tolist(),
        "fwhm_source": cube.fwhm_source,
        "psf": psf.tolist(),
        "srf": {k: {"matrix": m.tolist(), "settings": srf_settings(sensor, m.shape[0])}
                for k, m in srfs.items()},
        "degradation": record,
        "units": units or f"raw units of {os.path.basename(cube.path)}",
        "source": source or os.path.basename(cube.path),
        "licence": licence,
        "gt": "raw units, float32, per tile; inputs simulated from the tile min-max normalised "
              "to [0, 1]",
    }
    split_record = {
        "scheme": "stripes",
        "description": plan.describe(),
        "axis": plan.axis,
        "tile": tile,
        "ratio": ratio,
        "train_stride": plan.train_stride,
        "fractions": {"val": val_fraction, "test": test_fraction},
        "regions": {s: list(r) for s, r in plan.regions.items()},
        "cube": {"path": os.path.basename(cube.path), "key": cube.key,
                 "shape_hwc": list(cube.data.shape)},
        "tiles": {s: [{"entry": e, "row": y, "col": x}
                      for e, (y, x) in zip(entries[s], plan.tiles[s], strict=True)]
                  for s in plan.tiles},
        "disjoint": "checked: no tile of one split shares a pixel with a tile of another",
        "seed": seed,
    }
    write_text(os.path.join(out, DEGRADATION_FILE), json.dumps(degradation, indent=1))
    write_text(os.path.join(out, SPLIT_FILE), json.dumps(split_record, indent=1))
    return split_record


def _entry(scene_name: str, split: str) -> str:
    return f"{split}/{scene_name.rsplit('/', 1)[-1]}"


def prepare_protocol(name: str, root: str, out: str, splits: Sequence[str] | None = None,
                     shrink: int = 1, seed: int = 0, progress: bool = True) -> dict:
    """Write the scenes of ``name`` (``dataset:protocol``) read from ``root`` as the layout under
    ``out``; returns the split record (also written as split.json)."""
    dataset, protocol_name = parse_name(name)
    entry_spec = spec(name)
    protocol = next(p for p in entry_spec.protocols
                    if p.name == (protocol_name or entry_spec.protocols[0].name)).shrunk(shrink)
    chosen = list(splits or protocol.split.names)
    unknown = [s for s in chosen if s not in protocol.split.names]
    if unknown:
        raise ValueError(f"{name} has splits {list(protocol.split.names)}, not {unknown}")
    os.makedirs(out, exist_ok=True)
    entries: dict[str, list[str]] = {}
    scale_offset: dict[str, tuple] = {}
    first = None
    for split in chosen:
        scenes = get(f"{dataset}:{protocol.name}", split=split, root=root,
                              shrink=shrink, seed=seed)
        entries[split] = []
        for i in tqdm(range(len(scenes)), desc=split, unit="scene", disable=not progress):
            scene = scenes[i]
            first = first or scene
            entry = _entry(scene.name, split)
            lrhsi = {k: _hwc(shift(scene.lrhsi, m) if m else scene.lrhsi)
                     for m, k in enumerate(LRHSI_KEYS)}
            write_entry(out, entry, _hwc(scene.gt), lrhsi, {f"hrmsi{scene.msi_bands}":
                                                            _hwc(scene.hrmsi)})
            entries[split].append(entry)
            scale_offset[entry] = (np.asarray(scene.meta.scale).tolist(),
                                   np.asarray(scene.meta.offset).tolist())
        write_list(os.path.join(out, f"{split}.txt"), entries[split])
    if first is None:
        raise ValueError(f"{name}: the splits {chosen} hold no scene")
    meta = first.meta
    key = f"hrmsi{first.msi_bands}"
    degradation = {
        "ratio": meta.ratio,
        "wavelengths_nm": np.asarray(meta.wavelengths_nm).tolist(),
        "fwhm_nm": np.asarray(meta.fwhm_nm).tolist(),
        "fwhm_source": "the band spacing",
        "psf": np.asarray(meta.psf).tolist(),
        "srf": {key: {"matrix": np.asarray(meta.srf).tolist(),
                      "settings": meta.degradation["srf"]}},
        "degradation": degradation_model(meta.degradation),
        "units": meta.units,
        "source": meta.source,
        "licence": meta.licence,
        "gt": "the protocol's unit domain, float32, per entry (scale/offset in "
              "entry_scale_offset: original = value * scale + offset)",
        "gt_domain": "unit",
        "entry_scale_offset": scale_offset,
    }
    split_record = {
        "scheme": "protocol",
        "protocol": f"{dataset}:{protocol.label}",
        "description": protocol.description,
        "definition": protocol.split.record(),
        "root": str(root),
        "tiles": {s: [{"entry": e} for e in es] for s, es in entries.items()},
        "seed": seed,
    }
    write_text(os.path.join(out, DEGRADATION_FILE), json.dumps(degradation, indent=1))
    write_text(os.path.join(out, SPLIT_FILE), json.dumps(split_record, indent=1))
    return split_record


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        allow_abbrev=False,
        prog="python -m datasets.prepare",
        description="Write the paper's layout (with its lists, split.json and degradation.json) "
                    "from a registered dataset's protocol (--dataset NAME:PROTOCOL --root R), or "
                    "from one cube (--cube): tile it into spatially disjoint train/val/test "
                    "regions and simulate each tile's LR-HSI and HR-MSI.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--cube", help="cube file: .mat, .npy, .npz or ENVI .hdr/.img")
    source.add_argument("--dataset", help="a registered dataset:protocol (python -m datasets list)")
    p.add_argument("--out", required=True, help="output root of the layout")
    p.add_argument("--root", default=None, help="with --dataset: the unpacked download")
    p.add_argument("--splits", default=None,
                   help="with --dataset: comma-separated splits to write (default: all)")
    p.add_argument("--shrink", type=int, default=1,
                   help="with --dataset: divide the protocol's windows and crops by N, for a "
                        "small sample of a download (recorded)")
    p.add_argument("--key", default=None,
                   help="array name in a .mat/.npz; None: the only 3-D array (or 'cube')")
    p.add_argument("--layout", default="auto", choices=("auto", "hwc", "chw"),
                   help="axis order of the cube array")
    p.add_argument("--wavelengths", default=None,
                   help="band table (centre_nm [fwhm_nm ...] per row, e.g. a .spc); None: from "
                        "the ENVI header or wavelengths_nm/fwhm_nm arrays in the cube file")
    p.add_argument("--drop-bands", default="",
                   help="1-based rows of the band table to drop, e.g. 104-108,150-163,220")
    p.add_argument("--tile", type=int, default=64, help="HR tile size (multiple of --ratio)")
    p.add_argument("--train-stride", type=int, default=None,
                   help="stride of train tiles (smaller than --tile overlaps them); None: --tile")
    p.add_argument("--val-fraction", type=float, default=0.1, help="share of the split axis")
    p.add_argument("--test-fraction", type=float, default=0.2, help="share of the split axis")
    p.add_argument("--axis", default="auto", choices=("auto", "rows", "cols"),
                   help="axis cut into train/val/test stripes (auto: the longer one)")
    p.add_argument("--ratio", type=int, default=4, help="HR/LR size ratio")
    p.add_argument("--sensor", default="landsat8_oli", choices=sorted(SENSORS),
                   help="MSI sensor whose responses make hrmsi4/hrmsi6")
    p.add_argument("--snr-db", type=float, default=None, help="AWGN SNR in dB; None: no noise")
    p.add_argument("--psf-size", type=int, default=None,
                   help="Gaussian PSF size; None: from --ratio (12 at 4)")
    p.add_argument("--psf-sigma", type=float, default=None,
                   help="Gaussian PSF sigma in HR pixels; None: from --ratio (1.98 at 4)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (per entry: derived from it)")
    p.add_argument("--name", default=None, help="entry name stem; None: the cube's file name")
    p.add_argument("--units", default="", help="what the cube's values are (recorded)")
    p.add_argument("--source", default="", help="citation of the cube (recorded)")
    p.add_argument("--licence", default="", help="licence of the cube (recorded)")
    p.add_argument("--overwrite", action="store_true", help="write into an existing layout")
    p.add_argument("--debug", action="store_true", help="print the traceback of an error")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if os.path.exists(os.path.join(args.out, SPLIT_FILE)) and not args.overwrite:
            raise ValueError(f"{args.out} already holds a layout ({SPLIT_FILE}); pass --overwrite")
        if args.tile % args.ratio == 0:
            for warning in warn_small_tiles(args.tile // args.ratio, args.ratio):
                print(warning, file=sys.stderr)
        if args.dataset:
            if args.root is None:
                raise ValueError("--dataset needs --root (the unpacked download)")
            splits = args.splits.split(",") if args.splits else None
            record = prepare_protocol(args.dataset, args.root, args.out, splits, args.shrink,
                                      args.seed)
            counts = ", ".join(f"{s} {len(t)}" for s, t in record["tiles"].items())
            print(f"wrote {args.out}: {counts} scenes of {record['protocol']}")
            return 0
        cube = read_cube(args.cube, args.key, args.wavelengths,
                         parse_band_ranges(args.drop_bands), args.layout)
        record = prepare(cube, args.out, args.tile, args.ratio, args.train_stride,
                         args.val_fraction, args.test_fraction, args.axis, args.sensor,
                         args.snr_db, args.psf_size, args.psf_sigma, args.seed, args.name,
                         args.units, args.source, args.licence)
    except Exception as err:  # noqa: BLE001 - one line, the traceback with --debug
        print(f"error: {err}" if isinstance(err, DataError | ValueError)
              else f"error: {type(err).__name__}: {err}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return 1
    counts = ", ".join(f"{s} {len(t)}" for s, t in record["tiles"].items())
    print(f"wrote {args.out}: {counts} tiles; {record['description']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
