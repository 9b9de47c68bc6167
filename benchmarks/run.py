"""Benchmark runner: cost and quality of every registered method, measured the same way.

    python -m benchmarks.run --methods hssdct,bicubic --dataset indian_pines --profile smoke

Writes ``rows.csv`` (long format, see benchmarks/schema.py), ``run.json`` (provenance) and
``published.json`` (the registry's published figures) into ``--out``, atomically after each
method, then the tables and figures (benchmarks.report). ``--resume`` skips finished methods.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

import datasets
import methods
from benchmarks import io, provenance
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.measure import InputShape, is_module, measure_counts, params_of, speed_in_child
from benchmarks.quality import fuse, per_band_psnr, score
from benchmarks.schema import COLUMNS, file_stem

PAPER_INPUT = InputShape(bands=172, msi_bands=4, lr=64, ratio=4)


@dataclass(frozen=True)
class Profile:
    """How much measuring a run does. ``smoke`` fits a CPU in minutes; ``paper`` is the full job."""

    name: str
    cost_try_full: bool       # count at the paper input first (else extrapolate from small sizes)
    cost_small_lrs: tuple[int, int]
    latency_lr: int           # LR side of the latency input (HR = ratio x)
    latency_budget_s: float
    latency_min_iters: int    # timed calls at least (after one warm-up)
    train_steps: int          # deep methods without a checkpoint (smoke only)
    train_batch: int
    train_crop: int


PROFILES = {
    "smoke": Profile("smoke", cost_try_full=False, cost_small_lrs=(16, 32), latency_lr=16,
                     latency_budget_s=3.0, latency_min_iters=3, train_steps=12, train_batch=1,
                     train_crop=48),
    "paper": Profile("paper", cost_try_full=True, cost_small_lrs=(16, 32), latency_lr=64,
                     latency_budget_s=60.0, latency_min_iters=5, train_steps=0, train_batch=0,
                     train_crop=0),
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults and keeps the description's line breaks."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--methods", default="all",
                   help="comma-separated registry names, or 'all' (see python -m methods list)")
    p.add_argument("--dataset", default="indian_pines", help="dataset name (python -m datasets list)")
    p.add_argument("--split", default="test", help="split scored for quality")
    p.add_argument("--root", help="dataset root (for --dataset paper: the paper's layout)")
    p.add_argument("--list", help="list file of --split under --root (default <root>/<split>.txt)")
    p.add_argument("--device", default="auto", help="cpu | cuda | auto")
    p.add_argument("--profile", choices=sorted(PROFILES), default="smoke")
    p.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH",
                   help="weights for a deep method (repeatable)")
    p.add_argument("--out", type=Path, default=None, help="run directory (default results/<run-id>)")
    p.add_argument("--resume", action="store_true", help="skip methods already finished in --out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-rss-gb", type=float, default=12.0,
                   help="memory cap of each counter's child process")
    p.add_argument("--counter-timeout-s", type=float, default=900.0)
    p.add_argument("--figure-scenes", type=int, default=1,
                   help="how many test scenes keep their fused cubes for figures")
    p.add_argument("--no-cost", action="store_true",
                   help="skip params/FLOPs/latency/memory (quality only)")
    p.add_argument("--no-report", action="store_true", help="skip the figures (tables are always written)")
    return p.parse_args(argv)


def _run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _checkpoints(items: list[str]) -> dict[str, Path]:
    found = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--checkpoint expects NAME=PATH, got {item!r}")
        if not Path(path).is_file():
            raise ValueError(f"--checkpoint {name}: no such file {path}")
        found[name] = Path(path)
    return found


def _method_names(text: str) -> list[str]:
    registered = methods.list()
    if text == "all":
        return registered
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in registered]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; registered: {', '.join(registered)}")
    return names


class Run:
    """One benchmark run: its directory, its rows, and its provenance."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.profile = PROFILES[args.profile]
        self.device = provenance.resolve_device(args.device)
        self.out: Path = args.out or Path("results") / _run_id()
        self.run_id = self.out.name
        self.checkpoints = _checkpoints(args.checkpoint)
        self.names = _method_names(args.methods)
        rows_path = self.out / "rows.csv"
        if rows_path.exists() and not args.resume:
            raise ValueError(f"{rows_path} exists; pass --resume to continue it or choose --out")
        self.rows = pd.read_csv(rows_path) if rows_path.exists() else pd.DataFrame(columns=COLUMNS)
        self.common = {
            "run_id": self.run_id, "device": self.device.type,
            "device_name": provenance.device_name(self.device), "dtype": "float32",
            "threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "git_sha": provenance.git_sha(), "seed": args.seed,
        }
        self.started = datetime.now(UTC).isoformat()

    # ---- bookkeeping -------------------------------------------------------------------------
    def done(self, name: str) -> bool:
        mine = self.rows[self.rows["method"] == name] if len(self.rows) else self.rows
        return len(mine) > 0 and bool((mine["status"] == "ok").all())

    def commit(self, name: str, rows: list[dict[str, Any]]) -> None:
        kept = self.rows[self.rows["method"] != name] if len(self.rows) else self.rows
        new = pd.DataFrame(rows).reindex(columns=COLUMNS)
        self.rows = new if kept.empty else pd.concat([kept, new], ignore_index=True)
        io.write_csv(self.out / "rows.csv", self.rows)
        self.write_meta(finished=False)

    def write_meta(self, finished: bool) -> None:
        meta = {**{k: self.common[k] for k in ("run_id", "device", "device_name", "git_sha", "seed")},
                "profile": asdict(self.profile), "dataset": self.args.dataset,
                "split": self.args.split, "versions": provenance.versions(),
                "omp_wait_policy": provenance.openmp_wait_policy(),
                "methods": self.names, "started": self.started,
                "finished": datetime.now(UTC).isoformat() if finished else None,
                "matmul_gflops": self.common.get("matmul_gflops"),
                "args": {k: str(v) for k, v in vars(self.args).items()}}
        io.write_json(self.out / "run.json", meta)
        published = {}
        for name in self.names:
            spec = methods.get(name)
            published[name] = {"label": spec.label, "family": spec.family, "paper": spec.paper,
                               "notes": spec.notes, "published": [asdict(p) for p in spec.published]}
        io.write_json(self.out / "published.json", published)


def measure_cost(run: Run, name: str) -> dict[str, Any]:
    """Params and the three counters at the paper's input; failures go to ``cost_error``."""
    shape = PAPER_INPUT
    cost: dict[str, Any] = {"cost_lr_shape": shape.lr_text(), "cost_hr_shape": shape.hr_text()}
    total, trainable = params_of(name, {}, shape)
    cost.update(params_total=total, params_trainable=trainable)
    if methods.get(name).family == "classical" or not is_module(name, shape):
        cost["cost_error"] = "not counted: numpy/scipy work outside torch, which no FLOP counter sees"
        return cost
    errors, extrapolated = [], []
    columns = {"fvcore": ("gmacs_fvcore", "macs"), "flop_counter": ("gflops_counter", "reported"),
               "hooks": ("gmacs_hooks", "macs")}
    found = measure_counts(name, {}, shape, list(columns), small_lrs=run.profile.cost_small_lrs,
                           try_full=run.profile.cost_try_full, max_rss_gb=run.args.max_rss_gb,
                           timeout_s=run.args.counter_timeout_s)
    for counter, res in found.items():
        if isinstance(res, str):
            errors.append(f"{counter}: {res}"[:500])
            continue
        column, unit = columns[counter]
        cost[column] = res[unit] / 1e9
        cost[f"uncounted_{counter}"] = json.dumps(res["uncounted"], sort_keys=True)
        extrapolated.append(res["extrapolated"])
        if counter == "hooks":
            cost["gmacs_analytic"] = sum(res["analytic"].values()) / 1e9
            cost["analytic_detail"] = json.dumps({k: v / 1e9 for k, v in res["analytic"].items()})
    cost["cost_extrapolated"] = any(extrapolated)
    if errors:
        cost["cost_error"] = "; ".join(errors)
    return cost


def measure_speed(run: Run, name: str, gflops: float | None) -> dict[str, Any]:
    """Latency and peak memory at the profile's input; ``gflops`` (at the paper input) gives the
    roofline fraction."""
    shape = PAPER_INPUT.with_lr(run.profile.latency_lr)
    speed: dict[str, Any] = {"latency_lr_shape": shape.lr_text(), "latency_hr_shape": shape.hr_text(),
                             "matmul_gflops": run.common["matmul_gflops"]}
    try:
        res = run_isolated(speed_in_child, {"name": name, "cfg": {}, "shape": shape,
                                            "device": str(run.device),
                                            "budget_s": run.profile.latency_budget_s,
                                            "min_iters": run.profile.latency_min_iters},
                           timeout_s=run.args.counter_timeout_s, max_rss_gb=run.args.max_rss_gb)
    except ChildError as exc:
        speed["speed_error"] = f"latency: {exc}"[:500]
        return speed
    speed.update(latency_median_s=res["median_s"], latency_p90_s=res["p90_s"],
                 latency_iqr_s=res["iqr_s"], latency_n=res["n"], peak_mem_gb=res["peak_mem_gb"],
                 mem_kind=res["mem_kind"])
    if gflops and np.isfinite(gflops):
        scale = (shape.hr / PAPER_INPUT.hr) ** 2  # counts are at the paper input; affine in pixels
        achieved = gflops * scale / res["median_s"]
        speed["roofline_fraction"] = achieved / run.common["matmul_gflops"]
    return speed


def prepare_weights(run: Run, spec: methods.MethodSpec, model: Any, train_scenes: Any) -> str:
    """Load a checkpoint or train for the profile's budget; returns the budget text for the rows."""
    if spec.family != "deep":
        return "none (no training)"
    if spec.name in run.checkpoints:
        from benchmarks.checkpoints import load_weights

        load_weights(spec, model, run.checkpoints[spec.name])
        return f"checkpoint {run.checkpoints[spec.name].name}"
    if run.profile.train_steps <= 0:
        raise ValueError(f"{spec.name}: --profile {run.profile.name} needs --checkpoint "
                         f"{spec.name}=PATH (no training budget in this profile)")
    from benchmarks.training import train_for_budget

    if "anchor" in spec.needs:
        train_scenes = [replace(s, anchor=scene_anchor(run, spec, s)) for s in train_scenes]
    report = train_for_budget(model, spec, train_scenes, steps=run.profile.train_steps,
                              batch_size=run.profile.train_batch, crop_size=run.profile.train_crop,
                              device=run.device, seed=run.args.seed)
    return (f"smoke: {report['steps']} steps, batch {run.profile.train_batch}, crop "
            f"{run.profile.train_crop}, {report['wall_s']:.0f} s")


def run_method(run: Run, name: str, scenes: Any, train_scenes: Any) -> list[dict[str, Any]]:
    """Every row of one method; any failure becomes status=error rows, never an exception."""
    t0 = time.perf_counter()
    spec = methods.get(name)
    base = {**run.common, "method": name, "label": spec.label, "family": spec.family,
            "dataset": run.args.dataset}
    try:
        cost = {"cost_error": "not measured (--no-cost)"} if run.args.no_cost else measure_cost(run, name)
        if not run.args.no_cost:
            speed = measure_speed(run, name, cost.get("gflops_counter"))
            errors = [e for e in (cost.get("cost_error"), speed.pop("speed_error", None)) if e]
            cost.update(speed)
            if errors:
                cost["cost_error"] = "; ".join(errors)
    except Exception as exc:  # noqa: BLE001 - recorded in the rows
        cost = {"cost_error": f"{type(exc).__name__}: {exc}"[:500]}
    base.update(cost)
    try:
        first = scenes[0]
        torch.manual_seed(run.args.seed)
        model = methods.build(name, first.bands, first.msi_bands, int(first.meta.ratio))
        if isinstance(model, torch.nn.Module):
            model.to(run.device)
        base["train_budget"] = prepare_weights(run, spec, model, train_scenes)
        if isinstance(model, torch.nn.Module):
            model.eval()
        base["method_params"] = json.dumps({**spec.defaults, **getattr(model, "params", {})},
                                           default=str)
    except Exception as exc:  # noqa: BLE001
        error = f"{type(exc).__name__}: {exc}"
        tqdm.write(f"[{name}] failed before scoring: {error}")
        traceback.print_exc(file=sys.stderr)
        return [{**base, "scene": "*", "convention": c, "status": "error", "error": error[:1000],
                 "wall_s": time.perf_counter() - t0} for c in ("standard", "paper")]
    rows = []
    for index, scene in enumerate(tqdm(scenes, desc=f"{name}: scenes", leave=False)):
        scene_base = {**base, "scene": scene.name,
                      "degradation": json.dumps(scene.meta.degradation, default=str)}
        try:
            t_fuse = time.perf_counter()
            anchor = scene_anchor(run, spec, scene)
            fused = fuse(model, spec, scene, run.device, anchor)
            fuse_s = time.perf_counter() - t_fuse
            scores = score(fused, scene)
        except Exception as exc:  # noqa: BLE001
            error = f"{type(exc).__name__}: {exc}"
            tqdm.write(f"[{name}] scene {scene.name}: {error}")
            rows += [{**scene_base, "convention": c, "status": "error", "error": error[:1000]}
                     for c in ("standard", "paper")]
            continue
        for convention, values in scores.items():
            rows.append({**scene_base, **values, "convention": convention, "status": "ok",
                         "fuse_s": fuse_s})
        save_figure_data(run, name, scene, fused, index)
    for row in rows:
        row["wall_s"] = time.perf_counter() - t0
    return rows


def scene_anchor(run: Run, spec: methods.MethodSpec, scene: Any) -> torch.Tensor | None:
    """The convex anchor for methods that need one: the Scene's own, else our CNMF, cached."""
    if "anchor" not in spec.needs:
        return None
    if scene.anchor is not None:
        return scene.anchor
    cache = run.out / "anchors" / f"{file_stem(scene.name)}.npz"
    if cache.exists():
        return torch.from_numpy(np.load(cache)["anchor"])
    cnmf = methods.get("cnmf")
    anchor = fuse(methods.build("cnmf", scene.bands, scene.msi_bands, int(scene.meta.ratio)),
                  cnmf, scene, torch.device("cpu"))
    io.write_npz(cache, anchor=anchor.numpy())
    return anchor


def save_figure_data(run: Run, name: str, scene: Any, fused: torch.Tensor, index: int) -> None:
    band_rows = pd.DataFrame({"method": name, "scene": scene.name,
                              "band": np.arange(scene.bands),
                              "wavelength_nm": (scene.meta.wavelengths_nm
                                                if scene.meta.wavelengths_nm is not None
                                                else np.full(scene.bands, np.nan)),
                              "psnr": per_band_psnr(fused, scene)})
    path = run.out / "per_band.csv"
    old = pd.read_csv(path) if path.exists() else pd.DataFrame()
    if len(old):
        old = old[~((old["method"] == name) & (old["scene"] == scene.name))]
    io.write_csv(path, pd.concat([old, band_rows], ignore_index=True))
    if index >= run.args.figure_scenes:
        return
    fused_dir = run.out / "fused"
    stem = file_stem(scene.name)
    io.write_npz(fused_dir / f"{stem}__{name}.npz", fused=fused.numpy())
    gt_path = fused_dir / f"{stem}__gt.npz"
    if not gt_path.exists():
        wl = scene.meta.wavelengths_nm
        io.write_npz(gt_path, gt=scene.gt.numpy(),
                     wavelengths_nm=np.asarray(wl if wl is not None else np.arange(scene.bands)))


def report(out: Path, figures: bool) -> str:
    """Write the tables (and figures) from the rows; return Table 1 as Markdown."""
    from benchmarks.report import load_run, table1_markdown, write_figures, write_tables

    result = load_run(out)
    write_tables(result)
    if figures:
        for notice in write_figures(result).skipped:
            tqdm.write(f"figure skipped: {notice}")
    return table1_markdown(result)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run = Run(args)
        options = {k: v for k, v in (("root", args.root), ("list", args.list)) if v}
        scenes = datasets.get(args.dataset, split=args.split, **options)
        train_options = {k: v for k, v in options.items() if k != "list"}
        needs_training = run.profile.train_steps > 0 and any(
            methods.get(n).family == "deep" and n not in run.checkpoints for n in run.names)
        train_scenes = (datasets.get(args.dataset, split="train", **train_options)
                        if needs_training else [])
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    from benchmarks.cost.roofline import matmul_rate

    run.common["matmul_gflops"] = np.nan if args.no_cost else matmul_rate(run.device) / 1e9
    run.write_meta(finished=False)
    print(f"run {run.run_id}: {len(run.names)} methods on {args.dataset}/{args.split} "
          f"({len(scenes)} scenes), profile {args.profile}, {run.common['device_name']}")
    for name in tqdm(run.names, desc="methods"):
        if args.resume and run.done(name):
            tqdm.write(f"[{name}] already done, skipped (--resume)")
            continue
        run.commit(name, run_method(run, name, scenes, train_scenes))
    run.write_meta(finished=True)
    print(report(run.out, figures=not args.no_report))
    print(f"results in {run.out}")
    errors = run.rows[run.rows["status"] == "error"]
    if len(errors):
        print(f"{errors['method'].nunique()} method(s) had errors: "
              f"{', '.join(sorted(errors['method'].unique()))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
