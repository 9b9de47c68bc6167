"""Score a trained checkpoint on full images, per scene, under both metric conventions.

    python -m benchmarks.evaluate --method hssdct --checkpoint runs/hssdct/best.pth \
        --root DATA --list test.txt --out metrics.csv --save-fused fused/
    python -m benchmarks.evaluate --method hssdct --checkpoint best.pth --dataset indian_pines

The checkpoint may be one of ours (the model is rebuilt from its saved config), a bare state_dict
or {'model': state_dict} (built from the data's band counts and --model-cfg), or the authors'
released HSSDCT weights (their key names; nf/gc read from the shapes). The CSV has one row per
scene and convention (``paper``: GT min-max scale, RMSE in original units; ``standard``: [0, 1]).
--save-fused writes <scene>.npz per scene: ``fused`` (C, H, W) in the scene's unit domain, and
``scale``/``offset`` (original = fused * scale + offset).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

import fileio
import methods
from benchmarks.checkpoints import build_args
from benchmarks.cli import HelpFormatter, report_error
from benchmarks.provenance import resolve_device
from benchmarks.quality import score_scene
from benchmarks.schema import file_stem
from benchmarks.training.sources import (
    add_data_args,
    add_model_args,
    parse_model_cfg,
    scenes_for,
)
from datasets import Scene
from fileio.checkpoints import read_checkpoint, state_dict_of


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.evaluate", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--method", required=True, help="registry name")
    p.add_argument("--checkpoint", required=True, type=Path, help="weights file (.pth)")
    add_data_args(p)
    p.add_argument("--list", help="list file of the entries to score (with --root)")
    p.add_argument("--split", default="test", help="split of --dataset to score")
    p.add_argument("--out", type=Path, default=None,
                   help="per-scene CSV (default: metrics-<split or list>.csv next to --checkpoint)")
    p.add_argument("--save-fused", type=Path, default=None, metavar="DIR",
                   help="also write each fused cube as DIR/<scene>.npz")
    add_model_args(p)
    return p.parse_args(argv)


def build_model(spec: methods.MethodSpec, checkpoint: Path, scene: Scene,
                model_cfg: dict[str, Any]) -> torch.nn.Module:
    """The entry's model with the checkpoint's weights, built as the checkpoint says (else from
    the scene's band counts and ``model_cfg``)."""
    obj = read_checkpoint(checkpoint)
    built = {"bands": scene.bands, "msi_bands": scene.msi_bands,
             "ratio": int(scene.meta.ratio), **build_args(spec, obj, str(checkpoint)), **model_cfg}
    for key in ("bands", "msi_bands"):
        if built[key] != getattr(scene, key):
            raise ValueError(f"checkpoint {checkpoint} is for {key}={built[key]}, but scene "
                             f"{scene.name!r} has {getattr(scene, key)}")
    bands, msi_bands, ratio = built.pop("bands"), built.pop("msi_bands"), built.pop("ratio")
    model = spec.build_model(bands, msi_bands, ratio, **built)
    spec.load_state(model, state_dict_of(obj, f"checkpoint {checkpoint}"), str(checkpoint))
    return model


def evaluate(spec: methods.MethodSpec, model: torch.nn.Module, scenes: Any, device: torch.device,
             save_fused: Path | None = None, progress: bool = True) -> pd.DataFrame:
    """One row per scene and convention; a scene that fails gives rows with status=error."""
    model.to(device).eval()
    rows: list[dict[str, Any]] = []
    names = getattr(scenes, "names", None) or [s.name for s in scenes]
    for index in tqdm(range(len(names)), desc=f"{spec.name}: scenes", disable=not progress):
        result = score_scene(spec, model, lambda i=index: scenes[i], names[index], device)
        rows += result.rows({"method": spec.name})
        if not result.ok:
            tqdm.write(f"scene {result.name}: {result.error}")
        elif save_fused is not None:
            fileio.write_npz(save_fused / f"{file_stem(result.name)}.npz",
                             fused=result.fused.numpy(),
                             scale=np.asarray(result.scene.meta.scale, dtype=np.float64),
                             offset=np.asarray(result.scene.meta.offset, dtype=np.float64))
    return pd.DataFrame(rows)


def iter_loadable(scenes: Any) -> Any:
    """The scenes that load, skipping (not raising for) those that do not."""
    for i in range(len(scenes)):
        try:
            yield scenes[i]
        except Exception:  # noqa: BLE001 - evaluate() gives that scene its error rows
            continue


def default_out(args: argparse.Namespace) -> Path:
    """metrics-<split or list file stem>.csv in the checkpoint's directory."""
    scored = Path(args.list).stem if args.list else args.split
    return args.checkpoint.parent / f"metrics-{scored}.csv"


def summary(rows: pd.DataFrame) -> str:
    ok = rows[rows["status"] == "ok"]
    if ok.empty:
        return "no scene was scored"
    keys = [k for k in ("psnr", "sam", "ergas", "rmse", "ssim") if k in ok]
    means = ok.groupby("convention")[keys].mean().reset_index()
    return f"means over {ok['scene'].nunique()} scene(s):\n" + means.to_markdown(
        index=False, floatfmt=".4f")


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every scene was scored, 1 when some scene gave error rows (all other
    scenes are still scored and written), 2 when nothing could be evaluated (one line on stderr;
    ``--debug`` adds the traceback)."""
    args = parse_args(argv)
    try:
        spec = methods.get(args.method)
        scenes = scenes_for(args, args.split, args.list)
        if len(scenes) == 0:
            raise ValueError("no scenes to evaluate")
        device = resolve_device(args.device)
        first = next((s for s in iter_loadable(scenes)), None)
        if first is None:
            raise ValueError(f"none of the {len(scenes)} scenes could be loaded")
        model = build_model(spec, args.checkpoint, first, parse_model_cfg(args.model_cfg))
        rows = evaluate(spec, model, scenes, device, args.save_fused)
        rows.insert(1, "checkpoint", str(args.checkpoint))
        args.out = args.out or default_out(args)
        fileio.write_csv(args.out, rows)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)
    print(summary(rows))
    print(f"per-scene metrics in {args.out}")
    failed = rows.loc[rows["status"] == "error", "scene"].unique()
    if len(failed):
        print(f"error: {len(failed)} scene(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
