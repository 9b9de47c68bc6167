"""What training reaches on this machine in a fixed time: each deep method trains with its recipe
on a dataset's train split for --minutes of training steps, validating at log-spaced steps on the
held-out split; the curves, a table (best PSNR/SAM, time to beat bicubic) and a figure go to --out.

    python -m benchmarks.learning                          # every deep method, 15 min each
    python -m benchmarks.learning --methods ssrnet,psrt --minutes 2 --out results/learning-quick

Each method trains in a child process of its own, under --runs/<method> (checkpoints, curve.csv,
manifest.json); its weights can be reused with ``benchmarks.run --weights RUNS``. A batch that
runs out of memory (over --max-rss-gb) is halved and tried again; the table's note says so.
Recipe deviations, stated in meta.json: crops per scene per epoch = the batch size (so every batch
is full on a small train split), and the recipe's schedule is cut by the time budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import datasets
import fileio
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg, report_error
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.provenance import device_name, git_sha, resolve_device, versions
from benchmarks.report.learning import learning_table, plot_learning_curves
from benchmarks.scenes import SceneCache, add_anchors
from benchmarks.training.sources import held_out_split
from benchmarks.training.trainer import TrainConfig, Trainer, validate
from datasets import Scene

CURVES = "curves"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.learning", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--methods", default="deep",
                   help="comma-separated registry names, or 'deep' (every deep method)")
    p.add_argument("--dataset", default="indian_pines", help="a registered dataset with a train split")
    p.add_argument("--minutes", type=float, default=15.0,
                   help="training time per method (validation excluded)")
    p.add_argument("--per-decade", type=int, default=10,
                   help="validation points per decade of steps")
    p.add_argument("--out", type=Path, default=Path("results/learning"),
                   help="where the curves, table and figure go")
    p.add_argument("--runs", type=Path, default=Path("runs/learning"),
                   help="where each method's training run (checkpoints, manifest) goes")
    p.add_argument("--device", default="auto", help="cpu | cuda | auto")
    p.add_argument("--max-rss-gb", type=float, default=20.0,
                   help="memory cap of each training child; over it the batch is halved")
    p.add_argument("--resume", action="store_true",
                   help="keep the curves of methods already in --out and train the rest")
    add_debug_arg(p)
    return p.parse_args(argv)


def method_names(text: str) -> list[str]:
    if text == "deep":
        return [n for n in methods.list_methods() if methods.get(n).family == "deep"]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if methods.get(name).recipe is None:
            raise ValueError(f"{name!r} has no training recipe (family {methods.get(name).family})")
    return names


def with_anchors(scenes: list[Scene], device: torch.device, cache: Path) -> list[Scene]:
    found = SceneCache(scenes)
    add_anchors(found, device, cache)
    return [found.load(i) for i in range(len(found))]


def train_in_child(name: str, train: list[Scene], val: list[Scene], *, batch_size: int,
                   minutes: float, per_decade: int, device: str, out: str,
                   data: dict[str, Any]) -> dict[str, Any]:
    """Child entry point: train ``name`` for the time budget at ``batch_size``; its summary."""
    spec = methods.get(name)
    first = train[0]
    config = TrainConfig.from_recipe(
        spec, bands=first.bands, msi_bands=first.msi_bands, ratio=int(first.meta.ratio),
        batch_size=batch_size, repeat=batch_size, max_train_s=minutes * 60,
        val_per_decade=per_decade, device=device, workers=0, out=out, data=data)
    return Trainer(spec, config, train, val).fit()


def train_one(name: str, args: argparse.Namespace, train: list[Scene], val: list[Scene],
              data: dict[str, Any]) -> tuple[pd.DataFrame | None, str]:
    """Train ``name`` in a child process for the time budget; its curve (None when no point was
    reached) and a note on any deviation. A batch that runs out of memory is halved and tried
    again, and the note says so."""
    batch, notes, trained = methods.get(name).recipe.batch_size, [], False
    out = args.runs / name
    while not trained:
        if (out / "curve.csv").exists():
            (out / "curve.csv").unlink()  # a curve of a failed try must not be taken for this one
        try:
            summary = run_isolated(train_in_child, {
                "name": name, "train": train, "val": val, "batch_size": batch,
                "minutes": args.minutes, "per_decade": args.per_decade, "device": args.device,
                "out": str(out), "data": data},
                timeout_s=args.minutes * 120 + 1800, max_rss_gb=args.max_rss_gb)
            print(f"[{name}] {summary['steps']} steps at batch {batch} in "
                  f"{summary['train_s']:.0f} s of training; best val PSNR "
                  f"{summary['best_val'].get('psnr_paper', float('nan')):.2f} dB, SAM "
                  f"{summary['best_val'].get('sam_paper', float('nan')):.2f} deg (paper "
                  "convention)")
            trained = True
        except ChildError as exc:
            notes.append(f"batch {batch}: {exc.kind} ({exc.message})")
            print(f"[{name}] {notes[-1]}")
            if exc.kind != "oom" or batch == 1:
                break
            batch = max(1, batch // 2)
    if trained and notes:
        notes.append(f"trained at batch {batch}")
    curve = pd.read_csv(out / "curve.csv") if (out / "curve.csv").exists() else None
    return curve, "; ".join(notes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return study(args)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)


def study(args: argparse.Namespace) -> int:
    names = method_names(args.methods)
    device = resolve_device(args.device)
    val_split = held_out_split(args.dataset)
    if val_split is None:
        raise ValueError(f"dataset {args.dataset!r} has no val or test split to validate on")
    train = list(datasets.get(args.dataset, split="train"))
    val = list(datasets.get(args.dataset, split=val_split))
    if any("anchor" in methods.get(n).needs for n in names):
        train = with_anchors(train, device, args.runs / "anchors")
        val = with_anchors(val, device, args.runs / "anchors")
    bicubic = methods.get("bicubic")
    first = val[0]
    baseline = validate(bicubic.build_model(first.bands, first.msi_bands, int(first.meta.ratio)),
                        bicubic, val, device)
    data = {"dataset": args.dataset, "split": "train", "val_split": val_split}
    curves: dict[str, pd.DataFrame] = {}
    notes_path = args.out / "notes.json"
    notes: dict[str, str] = json.loads(notes_path.read_text()) if (
        args.resume and notes_path.exists()) else {}
    for name in names:
        path = args.out / CURVES / f"{name}.csv"
        if args.resume and (path.exists() or name in notes):
            if path.exists():
                curves[name] = pd.read_csv(path)
            print(f"[{name}] kept from {args.out} (--resume)")
            continue
        curve, notes[name] = train_one(name, args, train, val, data)
        if curve is not None:
            curves[name] = curve
            fileio.write_csv(path, curve)
        fileio.write_json(notes_path, notes)
    labels = {n: methods.get(n).label for n in names}
    table = learning_table({n: curves[n] for n in names if n in curves}, baseline, labels,
                           notes={n: notes.get(n, "") for n in names})
    fileio.write_csv(args.out / "table.csv", table)
    machine = device_name(device)
    note = (f"{args.dataset}: train split ({len(train)} scenes), validated on the {val_split} split "
            f"({len(val)} scenes); up to {args.minutes:g} min of training steps per method on "
            f"{machine}. Bicubic on the same scenes: PSNR {baseline['psnr_paper']:.2f} dB, SAM "
            f"{baseline['sam_paper']:.2f} deg (paper convention). 'beats bicubic' = the first "
            "validation point with PSNR above and SAM below bicubic's.")
    fileio.write_text(args.out / "table.md", note + "\n\n" + table.to_markdown(index=False) + "\n")
    plot_learning_curves(curves, baseline, args.out / "learning_curves.png", labels,
                         title=f"validation on {args.dataset}/{val_split}, {machine}")
    fileio.write_json(args.out / "meta.json", {
        "dataset": args.dataset, "val_split": val_split, "minutes": args.minutes,
        "per_decade": args.per_decade, "device": str(device), "device_name": machine,
        "git_sha": git_sha(), "versions": versions(), "bicubic": baseline,
        "recipe_deviations": ["crops per scene per epoch = the batch size",
                              "the recipe's schedule is cut by the time budget",
                              "a batch over --max-rss-gb is halved (notes per method)"],
        "max_rss_gb": args.max_rss_gb, "notes": notes})
    print(note)
    print(table.to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
