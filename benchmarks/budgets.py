"""How the ``train`` profile's step budgets (``TrainingRecipe.budget_steps``) are derived: one GPU
hour shared equally by the deep methods, each method's GPU step time estimated from the MACs of
one training step at its recipe's batch and crop on the training data.

    python -m benchmarks.budgets --learning results/reference/learning

Estimated GPU seconds per step = ``--overhead-s`` + 3 x 2 x MACs / ``--gpu-flops`` (backward
~ 2x forward; 1 MAC = 2 FLOPs). MACs are fvcore's count of one forward pass at the training input
(the dataset's bands and MSI bands, the recipe's crop cut to the scenes), times the batch. The
CPU seconds per step measured by the learning study are printed next to the estimate. Both GPU
constants are assumptions until a GPU run measures them; the table says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

import datasets
import fileio
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg, report_error
from benchmarks.measure import build_for, count_once
from benchmarks.shapes import InputShape
from benchmarks.training.data import fit_crop_size


def step_macs(name: str, shape: InputShape, batch: int) -> float:
    """fvcore MACs of one forward pass at ``shape``, times ``batch``."""
    spec = methods.get(name)
    return float(count_once(build_for(name, {}, shape), spec, shape, "fvcore")["macs"]) * batch


def nice_steps(steps: float) -> int:
    """``steps`` rounded down to two significant digits (at least 1)."""
    if steps < 10:
        return max(1, int(steps))
    digits = len(str(int(steps))) - 2
    return int(steps // 10**digits) * 10**digits


def budget_table(names: list[str], dataset: str, learning: Path | None, *, hour_s: float,
                 gpu_flops: float, overhead_s: float) -> pd.DataFrame:
    """One row per method: batch, crop, forward GMACs per step, measured CPU s/step (from the
    learning study's curves, when given), estimated GPU s/step, budget steps, GPU minutes."""
    scene = datasets.get(dataset, split="train")[0]
    height, width = scene.gt.shape[-2:]
    ratio = int(scene.meta.ratio)
    share_s = hour_s / len(names)
    rows = []
    for name in names:
        recipe = methods.get(name).recipe
        crop = fit_crop_size(recipe.crop_size, height, width, ratio)
        shape = InputShape(scene.bands, scene.msi_bands, crop // ratio, ratio)
        macs = step_macs(name, shape, recipe.batch_size)
        gpu_s = overhead_s + 6 * macs / gpu_flops
        cpu_s = float("nan")
        curve_path = None if learning is None else learning / "curves" / f"{name}.csv"
        if curve_path is not None and curve_path.exists():
            last = pd.read_csv(curve_path).iloc[-1]
            cpu_s = float(last["train_s"]) / float(last["step"])
        steps = nice_steps(share_s / gpu_s)
        rows.append({"method": name, "batch": recipe.batch_size, "crop (HR px)": crop,
                     "GMACs per step (fwd)": round(macs / 1e9, 2),
                     "CPU s/step (measured)": round(cpu_s, 3),
                     "GPU s/step (estimated)": round(gpu_s, 4),
                     "budget_steps": steps, "GPU min (estimated)": round(steps * gpu_s / 60, 1)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.budgets", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--methods", default="deep", help="comma-separated names, or 'deep'")
    p.add_argument("--dataset", default="indian_pines")
    p.add_argument("--learning", type=Path, default=Path("results/reference/learning"),
                   help="a learning study's output (for the measured CPU s/step)")
    p.add_argument("--hour-s", type=float, default=3600.0, help="GPU seconds for all methods")
    p.add_argument("--gpu-flops", type=float, default=20e12,
                   help="assumed sustained FLOP/s of one GPU on these training steps")
    p.add_argument("--overhead-s", type=float, default=0.02,
                   help="assumed fixed seconds per step (kernel launches, optimizer, data)")
    p.add_argument("--out", type=Path, default=None, help="also write the table here (.md)")
    add_debug_arg(p)
    args = p.parse_args(argv)
    try:
        names = ([n for n in methods.list_methods() if methods.get(n).family == "deep"]
                 if args.methods == "deep" else [n.strip() for n in args.methods.split(",")])
        table = budget_table(names, args.dataset, args.learning, hour_s=args.hour_s,
                             gpu_flops=args.gpu_flops, overhead_s=args.overhead_s)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)
    note = (f"{args.hour_s:.0f} GPU s shared by {len(table)} methods on {args.dataset}; GPU s/step "
            f"= {args.overhead_s:g} s + 6 x MACs / {args.gpu_flops:.3g} FLOP/s (assumed, not "
            "measured); CPU s/step from the learning study (measured).")
    text = note + "\n\n" + table.to_markdown(index=False) + "\n"
    if args.out is not None:
        fileio.write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
