"""What training reaches on this machine in a fixed time: each deep method trains with its recipe
on a dataset's train split for --minutes of training steps, validating at log-spaced steps on the
held-out split; the curves, a table (best PSNR/SAM, time to beat bicubic) and a figure go to --out.

    python -m benchmarks.learning                          # every deep method, 15 min each
    python -m benchmarks.learning --methods ssrnet,psrt --minutes 2 --out results/learning-quick

Each method's training run (checkpoints, curve.csv, manifest.json) lives under --runs/<method>;
its weights can be reused with ``benchmarks.run --weights RUNS``. Recipe deviations, stated in
meta.json: crops per scene per epoch = the recipe's batch size (so every batch is full on a small
train split), and the recipe's schedule is cut by the time budget, not run to its end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import datasets
import fileio
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg, report_error
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


def train_one(name: str, args: argparse.Namespace, train: list[Scene], val: list[Scene],
              data: dict[str, Any]) -> pd.DataFrame:
    """Train ``name`` for the time budget; returns its curve."""
    spec = methods.get(name)
    first = train[0]
    recipe = spec.recipe
    config = TrainConfig.from_recipe(
        spec, bands=first.bands, msi_bands=first.msi_bands, ratio=int(first.meta.ratio),
        repeat=recipe.batch_size, max_train_s=args.minutes * 60, val_per_decade=args.per_decade,
        device=args.device, workers=0, out=str(args.runs / name), data=data)
    trainer = Trainer(spec, config, train, val)
    summary = trainer.fit()
    print(f"[{name}] {summary['steps']} steps in {summary['train_s']:.0f} s of training; best "
          f"val PSNR {summary['best_val'].get('psnr_paper', float('nan')):.2f} dB, SAM "
          f"{summary['best_val'].get('sam_paper', float('nan')):.2f} deg (paper convention)")
    return trainer.curve.frame()


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
    for name in names:
        path = args.out / CURVES / f"{name}.csv"
        if args.resume and path.exists():
            curves[name] = pd.read_csv(path)
            print(f"[{name}] curve kept from {path} (--resume)")
            continue
        curves[name] = train_one(name, args, train, val, data)
        fileio.write_csv(path, curves[name])
    labels = {n: methods.get(n).label for n in curves}
    table = learning_table(curves, baseline, labels)
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
        "recipe_deviations": ["crops per scene per epoch = the recipe's batch size",
                              "the recipe's schedule is cut by the time budget"]})
    print(note)
    print(table.to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
