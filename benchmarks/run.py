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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

import datasets
import fileio
import methods
from benchmarks import provenance
from benchmarks.cli import HelpFormatter, checkpoint_paths, method_names, report_error
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.lock import run_lock
from benchmarks.measure import (
    extrapolate_counts,
    measure_counts,
    speed_and_counts_in_child,
    speed_in_child,
)
from benchmarks.progress import Progress
from benchmarks.quality import per_band_psnr, score_scene
from benchmarks.report.learning import CURVES
from benchmarks.report.paired import DEFAULT_REFERENCE
from benchmarks.scenes import SceneCache, add_anchors
from benchmarks.schema import ALL_SCENES, COLUMNS, REAL_QUALITY, UNTRAINED, file_stem
from benchmarks.shapes import PAPER_INPUT, InputShape
from benchmarks.threads import torch_threads
from datasets import Scene

STAGES = ("build", "train", "cost", "latency", "quality")
LOG_NAME = "run.log"


@dataclass(frozen=True)
class Profile:
    """How much measuring and training a run does. ``smoke`` fits a CPU in minutes; ``train``
    trains every deep method for its registry budget first; ``paper`` is the full cost job on
    given weights.

    training: "smoke" (each deep entry's ``quick_steps`` where it has them, which count as
    trained; else ``train_steps`` at ``train_batch``/``train_crop``, a pipeline check whose
    weights are untrained), "budget" (each entry's ``budget_steps`` with its recipe's batch and
    crop, weights and manifest written for reuse) or "none" (weights must be given).
    """

    name: str
    cost_try_full: bool       # count at the paper input first (else extrapolate from small sizes)
    cost_small_lrs: tuple[int, int]
    latency_lr: int           # LR side of the latency input (HR = ratio x)
    latency_budget_s: float
    latency_min_iters: int    # timed calls at least (after one warm-up)
    training: str
    train_steps: int = 0
    train_batch: int = 0
    train_crop: int = 0


PROFILES = {
    "smoke": Profile("smoke", cost_try_full=False, cost_small_lrs=(16, 32), latency_lr=16,
                     latency_budget_s=3.0, latency_min_iters=3, training="smoke", train_steps=8,
                     train_batch=1, train_crop=48),
    "train": Profile("train", cost_try_full=False, cost_small_lrs=(16, 32), latency_lr=16,
                     latency_budget_s=3.0, latency_min_iters=3, training="budget"),
    "paper": Profile("paper", cost_try_full=True, cost_small_lrs=(16, 32), latency_lr=64,
                     latency_budget_s=60.0, latency_min_iters=5, training="none"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--methods", "--method", default="all",
                   help="comma-separated registry names, or 'all' (see python -m methods list)")
    p.add_argument("--dataset", default="indian_pines", help="dataset name (python -m datasets list)")
    p.add_argument("--split", default="test", help="split scored for quality")
    p.add_argument("--root", help="dataset root (for --dataset paper: the paper's layout)")
    p.add_argument("--list", help="list file of --split under --root (default <root>/<split>.txt)")
    p.add_argument("--device", default="auto", help="cpu | cuda | auto")
    p.add_argument("--profile", choices=sorted(PROFILES), default="smoke",
                   help="smoke: minutes on a CPU (deep methods without quick steps stay "
                        "untrained); train: train each deep method for its registry budget "
                        "(about an hour on one GPU for all); paper: full-size counts, weights given")
    p.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH",
                   help="weights for a deep method (repeatable)")
    p.add_argument("--weights", type=Path, default=None, metavar="DIR",
                   help="trained weights with manifests (benchmarks.weights): a deep method "
                        "whose weights here fit the scenes is not trained; --profile train "
                        "writes what it trains here (default <out>/weights)")
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
    p.add_argument("--reference", default=None, metavar="NAME",
                   help="method of this run that the tables' paired columns (ΔPSNR, ΔSAM, "
                        "wins/ties/losses) compare with, kept in run.json (default: hssdct; one "
                        "without measured quality gives way to the best measured method)")
    p.add_argument("--keep-going", action="store_true",
                   help="exit 0 even when some method or scene failed (status=error rows; by "
                        "default such a run exits 1, so that scripts and CI see it)")
    p.add_argument("--debug", action="store_true",
                   help="print the traceback of an error that stops the run (the tracebacks of "
                        "error rows always go to <out>/run.log)")
    return p.parse_args(argv)


class StageClock:
    """Wall seconds per stage of one method (``STAGES``), each stage announced by ``progress``."""

    def __init__(self, method: str = "", progress: Progress | None = None) -> None:
        self.method = method
        self.progress = progress or Progress()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            with self.progress.stage(self.method, name, detail):
                yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

    def say(self, text: str) -> None:
        self.progress.say(self.method, text)


class BenchmarkRun:
    """One benchmark run: its directory, its rows, per-band rows, stage times and provenance."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.profile = PROFILES[args.profile]
        self.device = provenance.resolve_device(args.device)
        self.out: Path = args.out or Path("results") / provenance.run_stamp()
        self.run_id = self.out.name
        self.names = method_names(args.methods)
        self.checkpoints = checkpoint_paths(args.checkpoint, self.names)
        if args.reference is not None and args.reference not in self.names:
            raise ValueError(f"--reference {args.reference}: not one of this run's methods "
                             f"({', '.join(self.names)})")
        if args.weights is not None and not args.weights.is_dir() and (
                args.weights.exists() or self.profile.training != "budget"):
            raise ValueError(f"--weights {args.weights}: no such directory (only --profile train "
                             "creates it)")
        rows_path = self.out / "rows.csv"
        if rows_path.exists() and not args.resume:
            raise ValueError(f"{rows_path} exists; pass --resume to continue it or choose --out")
        self.rows = pd.read_csv(rows_path) if rows_path.exists() else pd.DataFrame(columns=COLUMNS)
        band_path = self.out / "per_band.csv"
        self.per_band = pd.read_csv(band_path) if band_path.exists() else pd.DataFrame()
        self.previous = previous = self._read_meta()
        # --resume without --reference keeps the reference that the run directory had
        self.reference = args.reference or previous.get("reference") or DEFAULT_REFERENCE
        self.setup: dict[str, Any] = {}
        self.stage_s: dict[str, dict[str, float]] = previous.get("stage_s", {})
        self.method_s: dict[str, float] = previous.get("method_s", {})
        self.common = {
            "run_id": self.run_id, "device": self.device.type,
            "device_name": provenance.device_name(self.device), "dtype": "float32",
            "threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "git_sha": provenance.git_sha(), "seed": args.seed,
        }
        self.started = datetime.now(UTC).isoformat()
        self.t0 = time.perf_counter()
        self.progress = Progress(self.t0)
        self.setup_s = 0.0
        self.report_s = 0.0

    def _read_meta(self) -> dict[str, Any]:
        path = self.out / "run.json"
        if not (self.args.resume and path.exists()):
            return {}
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}

    # ---- resume ------------------------------------------------------------------------------
    def check_resume(self, scenes: SceneCache) -> None:
        """Record what this run measures; with ``--resume``, refuse a run directory made with
        another dataset, split, degradation, profile or method configuration (ValueError naming
        each difference)."""
        try:
            first: Scene | None = scenes.first_loadable()
        except ValueError:  # every scene fails: each method's rows will say why
            first = None
        degradation = None if first is None else first.meta.degradation
        self.setup = {"dataset": self.args.dataset, "split": self.args.split,
                      "root": self.args.root, "list": self.args.list, "profile": self.profile.name,
                      "scenes": scenes.names,
                      "degradation": json.loads(json.dumps(degradation, default=str))}
        if not len(self.rows) or first is None:
            return
        before = self.previous.get("setup", {})
        changed = [f"{k}: {before.get(k)!r} then, {v!r} now" for k, v in self.setup.items()
                   if k in before and before[k] != v]
        for name in self.names:
            done = self.rows[self.rows["method"] == name]["method_params"].dropna()
            if len(done):
                now = _config_text(methods.get(name), first)
                if done.iloc[0] != now:
                    changed.append(f"{name} configuration: {done.iloc[0]} then, {now} now")
        if changed:
            raise ValueError(f"--resume {self.out}: this run differs from the one there, in "
                             + "; ".join(changed) + ". Choose another --out.")

    def log(self, text: str) -> None:
        """Append to ``run.log`` (tracebacks of the errors in the rows)."""
        with open(self.out / LOG_NAME, "a", encoding="utf-8") as f:
            f.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {text.rstrip()}\n")

    # ---- bookkeeping -------------------------------------------------------------------------
    def done(self, name: str) -> bool:
        mine = self.rows[self.rows["method"] == name] if len(self.rows) else self.rows
        return len(mine) > 0 and bool((mine["status"] == "ok").all())

    def commit(self, name: str, rows: list[dict[str, Any]], band_rows: list[pd.DataFrame],
               clock: StageClock, wall_s: float) -> None:
        """Replace ``name``'s rows and per-band rows; write both files and run.json atomically."""
        kept = self.rows[self.rows["method"] != name] if len(self.rows) else self.rows
        new = pd.DataFrame(rows).reindex(columns=COLUMNS)
        self.rows = new if kept.empty else pd.concat([kept, new], ignore_index=True)
        fileio.write_csv(self.out / "rows.csv", self.rows)
        if band_rows or len(self.per_band):
            kept = (self.per_band[self.per_band["method"] != name] if len(self.per_band)
                    else self.per_band)
            self.per_band = pd.concat([kept, *band_rows], ignore_index=True)
            fileio.write_csv(self.out / "per_band.csv", self.per_band)
        self.stage_s[name] = {k: round(v, 3) for k, v in clock.seconds.items()}
        self.method_s[name] = round(wall_s, 3)
        self.write_meta(finished=False)

    def write_meta(self, finished: bool) -> None:
        meta = {**{k: self.common[k] for k in ("run_id", "device", "device_name", "git_sha", "seed")},
                "profile": asdict(self.profile), "dataset": self.args.dataset,
                "split": self.args.split, "versions": provenance.versions(),
                "omp_wait_policy": provenance.openmp_wait_policy(),
                "methods": self.names, "reference": self.reference, "started": self.started,
                "finished": datetime.now(UTC).isoformat() if finished else None,
                "matmul_gflops": self.common.get("matmul_gflops"),
                "setup": self.setup,
                "setup_s": round(self.setup_s, 3), "report_s": round(self.report_s, 3),
                "wall_s": round(time.perf_counter() - self.t0, 3),
                "stage_s": self.stage_s, "method_s": self.method_s,
                "args": {k: str(v) for k, v in vars(self.args).items()}}
        fileio.write_json(self.out / "run.json", meta)
        published = {}
        for name in self.names:
            spec = methods.get(name)
            published[name] = {"label": spec.label, "family": spec.family, "paper": spec.paper,
                               "notes": spec.notes, "published": [asdict(p) for p in spec.published]}
        fileio.write_json(self.out / "published.json", published)


COUNTER_COLUMNS = {"fvcore": ("gmacs_fvcore", "macs"),
                   "flop_counter": ("gflops_counter", "reported"),
                   "hooks": ("gmacs_hooks", "macs")}


def measure_speed_and_cost(run: BenchmarkRun, spec: methods.MethodSpec, model: Any,
                           clock: StageClock) -> dict[str, Any]:
    """Latency and peak memory at the profile's input, the params and the three counters at the
    paper's input (172/4 bands: params depend on the band counts), measured in child processes
    with nothing else running; every failure goes to ``cost_error``.

    The smoke profile counts at two small sizes, cheap enough to share the latency's child (its
    peak memory is read before counting starts). The paper profile counts at full size in
    children of their own, so that a counter running out of memory loses nothing else."""
    speed_shape, cost_shape = PAPER_INPUT.with_lr(run.profile.latency_lr), PAPER_INPUT
    speed_kwargs = {"name": spec.name, "cfg": {}, "shape": speed_shape, "device": str(run.device),
                    "budget_s": run.profile.latency_budget_s,
                    "min_iters": run.profile.latency_min_iters}
    limits = {"timeout_s": run.args.counter_timeout_s, "max_rss_gb": run.args.max_rss_gb}
    found: dict[str, Any] = {"latency_lr_shape": speed_shape.lr_text(),
                             "latency_hr_shape": speed_shape.hr_text(),
                             "matmul_gflops": run.common["matmul_gflops"],
                             "cost_lr_shape": cost_shape.lr_text(),
                             "cost_hr_shape": cost_shape.hr_text()}
    errors: list[str] = []
    speed: dict[str, Any] | str
    counts: dict[str, dict | str] = {}
    countable = spec.family != "classical" and isinstance(model, torch.nn.Module)
    if not countable:
        errors.append("not counted: numpy/scipy work outside torch, which no FLOP counter sees")
    if countable and not run.profile.cost_try_full:
        shapes = [cost_shape.with_lr(lr) for lr in run.profile.cost_small_lrs]
        with clock.stage("latency", f"{_latency_text(run, speed_shape)}, then "
                         f"{', '.join(COUNTER_COLUMNS)} counts at LR "
                         f"{' and '.join(str(s.lr) for s in shapes)}, in one child process "
                         f"(timeout {run.args.counter_timeout_s:.0f} s)"):
            try:
                both = run_isolated(speed_and_counts_in_child, {
                    "speed": speed_kwargs,
                    "counts": {"name": spec.name, "cfg": {}, "shapes": shapes,
                               "counters": list(COUNTER_COLUMNS)}}, **limits)
            except ChildError as exc:
                both = {"speed": str(exc), "counts": dict.fromkeys(COUNTER_COLUMNS, str(exc)),
                        "seconds": {}}
        clock.seconds["cost"] = both["seconds"].get("counts", 0.0)
        clock.seconds["latency"] -= clock.seconds["cost"]
        speed = both["speed"]
        counts = (both["counts"] if isinstance(both["counts"], str)
                  else extrapolate_counts(both["counts"], shapes, cost_shape))
        if isinstance(counts, str):
            counts = dict.fromkeys(COUNTER_COLUMNS, counts)
    else:
        with clock.stage("latency", f"{_latency_text(run, speed_shape)}, in a child process"):
            try:
                speed = run_isolated(speed_in_child, speed_kwargs, **limits)
            except ChildError as exc:
                speed = str(exc)
        if countable:
            with clock.stage("cost", f"{', '.join(COUNTER_COLUMNS)} at {cost_shape.lr_text()}, "
                             f"each in a child process (timeout "
                             f"{run.args.counter_timeout_s:.0f} s each)"):
                counts = measure_counts(spec.name, {}, cost_shape, list(COUNTER_COLUMNS),
                                        small_lrs=run.profile.cost_small_lrs, try_full=True,
                                        say=clock.say, **limits)
    if isinstance(speed, str):
        errors.append(f"latency: {speed}"[:500])
    else:
        found.update(latency_median_s=speed["median_s"], latency_p90_s=speed["p90_s"],
                     latency_iqr_s=speed["iqr_s"], latency_n=speed["n"],
                     peak_mem_gb=speed["peak_mem_gb"], mem_kind=speed["mem_kind"],
                     params_total=speed["params_total"],
                     params_trainable=speed["params_trainable"])
    errors += count_columns(found, counts)
    found["cost_error"] = "; ".join(errors) if errors else None
    found["roofline_fraction"] = roofline_fraction(run, found.get("gflops_counter"),
                                                   found.get("latency_median_s"))
    return found


def _latency_text(run: BenchmarkRun, shape: InputShape) -> str:
    return (f"latency at LR {shape.lr_text()} ({run.profile.latency_budget_s:g} s budget, at "
            f"least {run.profile.latency_min_iters} timed runs)")


def count_columns(found: dict[str, Any], counts: dict[str, dict | str]) -> list[str]:
    """Write each counter's result into its columns of ``found``; the counters' errors."""
    errors, extrapolated = [], []
    for counter, res in counts.items():
        if isinstance(res, str):
            errors.append(f"{counter}: {res}"[:500])
            continue
        column, unit = COUNTER_COLUMNS[counter]
        found[column] = res[unit] / 1e9
        found[f"uncounted_{counter}"] = json.dumps(res["uncounted"], sort_keys=True)
        extrapolated.append(res["extrapolated"])
        if counter == "hooks":
            found["gmacs_analytic"] = sum(res["analytic"].values()) / 1e9
            found["analytic_detail"] = json.dumps({k: v / 1e9 for k, v in res["analytic"].items()})
    if counts:
        found["cost_extrapolated"] = any(extrapolated)
    return errors


def roofline_fraction(run: BenchmarkRun, gflops: float | None, median_s: float | None
                      ) -> float | None:
    """Achieved FLOP/s at the latency input over the device's matmul rate; ``gflops`` is
    counted at the paper input (cost is affine in pixels, so it is scaled by the pixel ratio)."""
    if not gflops or not median_s or not np.isfinite(gflops):
        return None
    scale = (run.profile.latency_lr / PAPER_INPUT.lr) ** 2
    return gflops * scale / median_s / run.common["matmul_gflops"]


def _train_text(run: BenchmarkRun, spec: methods.MethodSpec) -> str:
    """What the train stage will do, for its progress line."""
    if spec.family != "deep":
        return "nothing to train"
    if spec.name in run.checkpoints:
        return f"weights from {run.checkpoints[spec.name]}"
    recipe = spec.recipe
    plan = {"budget": f"{recipe.budget_steps} steps (registry budget)",
            "none": "weights must be given",
            "smoke": (f"{recipe.quick_steps} quick steps" if recipe.quick_steps
                      else f"{run.profile.train_steps} smoke steps (a pipeline check)")}
    text = plan[run.profile.training]
    return f"fitting weights under {run.args.weights}, else {text}" if run.args.weights else text


def prepare_weights(run: BenchmarkRun, spec: methods.MethodSpec, model: Any,
                    train_scenes: Sequence[Scene], scenes: SceneCache,
                    say: Callable[[str], None] = lambda _text: None) -> dict[str, str]:
    """Give a deep ``model`` its weights: a ``--checkpoint``, fitting ``--weights``, or training
    as the profile says. Returns the rows' ``weights`` (``none``: the method learns nothing;
    ``given``: a checkpoint; ``trained``: a real training budget; ``untrained``: the smoke
    profile's few steps, a pipeline check), ``train_budget`` and ``checkpoint``."""
    from benchmarks.checkpoints import load_weights
    from benchmarks.training import train_for_budget
    from benchmarks.weights import find_weights

    if spec.family != "deep":
        return {"weights": "none", "train_budget": "none (no training)"}
    if spec.name in run.checkpoints:
        load_weights(spec, model, run.checkpoints[spec.name])
        return {"weights": "given", "train_budget": f"checkpoint {run.checkpoints[spec.name]}",
                "checkpoint": str(run.checkpoints[spec.name])}
    first = scenes.first_loadable()
    if run.args.weights is not None and run.args.weights.exists():
        found = find_weights(run.args.weights, spec.name, first)
        if found is not None:
            load_weights(spec, model, found.path)
            return {"weights": "trained", "train_budget": found.budget_text(),
                    "checkpoint": str(found.path)}
    recipe = spec.recipe
    where = f"on {run.device.type}"
    if run.profile.training == "budget":
        if recipe.budget_steps is None:
            raise ValueError(f"{spec.name}: its registry entry has no budget_steps for "
                             "--profile train")
        out = (run.args.weights or run.out / "weights") / f"{spec.name}-{run.run_id}"
        val = scenes.loadable()
        report = train_for_budget(
            model, spec, train_scenes, steps=recipe.budget_steps, batch_size=recipe.batch_size,
            crop_size=recipe.crop_size, device=run.device, seed=run.args.seed, out=out,
            val_scenes=val, val_per_decade=10, keep="last", log=say,
            data={"dataset": run.args.dataset, "split": "train", "val_split": run.args.split})
        fileio.write_csv(run.out / CURVES / f"{spec.name}.csv", report["curve"])
        return {"weights": "trained", "checkpoint": report["last"],
                "train_budget": f"train profile: {_steps_text(report)}, batch "
                                f"{recipe.batch_size}, {report['train_s'] / 60:.1f} min {where}; "
                                f"manifest {report['manifest']}"}
    if run.profile.training == "none":
        raise ValueError(f"{spec.name}: --profile {run.profile.name} needs --checkpoint "
                         f"{spec.name}=PATH or --weights DIR (no training in this profile)")
    if recipe.quick_steps is not None:
        report = train_for_budget(model, spec, train_scenes, steps=recipe.quick_steps,
                                  batch_size=recipe.batch_size, crop_size=recipe.crop_size,
                                  device=run.device, seed=run.args.seed, log=say)
        return {"weights": "trained",
                "train_budget": f"quick: {_steps_text(report)}, batch {recipe.batch_size}, "
                                f"{report['train_s']:.0f} s {where}"}
    with torch_threads(1):  # a pipeline check, not a measurement: quickest on a busy machine
        report = train_for_budget(model, spec, train_scenes, steps=run.profile.train_steps,
                                  batch_size=run.profile.train_batch,
                                  crop_size=run.profile.train_crop, device=run.device,
                                  seed=run.args.seed)
    return {"weights": UNTRAINED,
            "train_budget": f"smoke: {_steps_text(report)}, batch {run.profile.train_batch}, "
                            f"crop {run.profile.train_crop}, {report['train_s']:.0f} s {where}"}


def _steps_text(report: dict[str, Any]) -> str:
    return f"{report['steps']} steps ({report['epochs']:.2g} epochs)"


def _config_text(spec: methods.MethodSpec, scene: Scene, model: Any = None) -> str:
    """The ``method_params`` of ``spec`` built for ``scene`` (built on the meta device when no
    ``model`` is given), as sorted JSON."""
    bands, msi_bands, ratio = scene.bands, scene.msi_bands, int(scene.meta.ratio)
    if model is None:
        with torch.device("meta"):
            model = spec.build_model(bands, msi_bands, ratio)
    return json.dumps(spec.config_of(model, bands, msi_bands, ratio), default=str, sort_keys=True)


def run_method(run: BenchmarkRun, spec: methods.MethodSpec, scenes: SceneCache,
               train_scenes: Sequence[Scene], clock: StageClock
               ) -> tuple[list[dict[str, Any]], list[pd.DataFrame]]:
    """Every row (and per-band row) of one method; any failure becomes status=error rows.

    Stages run one after the other (build, latency, cost, train, quality): measurements in
    children never compete with work in this process (OpenMP's spin-waiting makes two busy
    processes on two cores several times slower each)."""
    name = spec.name
    base = {**run.common, "method": name, "label": spec.label, "family": spec.family,
            "dataset": run.args.dataset}
    t0 = time.perf_counter()
    costs: dict[str, Any] = {}
    try:
        with clock.stage("build"):
            first = scenes.first_loadable()
            bands, msi_bands, ratio = first.bands, first.msi_bands, int(first.meta.ratio)
            torch.manual_seed(run.args.seed)
            model = spec.build_model(bands, msi_bands, ratio)
            if isinstance(model, torch.nn.Module):
                model.to(run.device)
            base["method_params"] = _config_text(spec, first, model)
        if run.args.no_cost:
            base["cost_error"] = "not measured (--no-cost)"
        else:
            try:
                costs = measure_speed_and_cost(run, spec, model, clock)
            except Exception as exc:  # noqa: BLE001 - recorded in the rows
                costs = {"cost_error": f"{type(exc).__name__}: {exc}"[:500]}
        with clock.stage("train", _train_text(run, spec)):
            base.update(prepare_weights(run, spec, model, train_scenes, scenes, clock.say))
        if isinstance(model, torch.nn.Module):
            model.eval()
        with clock.stage("quality", f"{len(scenes)} scene(s), both metric conventions"):
            rows, band_rows = score_method(run, spec, model, scenes, base, clock.say)
    except Exception as exc:  # noqa: BLE001 - recorded in the rows
        error = f"{type(exc).__name__}: {exc}"
        tqdm.write(f"[{name}] failed before scoring: {error}")
        run.log(f"[{name}] failed before scoring:\n{traceback.format_exc()}")
        rows = failed_rows(base, error)
        band_rows = []
    for row in rows:
        row.update(costs, wall_s=time.perf_counter() - t0)
    return rows, band_rows


def failed_rows(base: dict[str, Any], error: str) -> list[dict[str, Any]]:
    """The rows of a method that failed before any scene was scored: ``base`` with scene ``*``,
    status=error and ``error`` (cut to 1000 characters), one row per metric convention."""
    return [{**base, "scene": ALL_SCENES, "convention": c, "status": "error",
             "error": error[:1000]} for c in ("standard", "paper")]


def score_method(run: BenchmarkRun, spec: methods.MethodSpec, model: Any, scenes: SceneCache,
                 base: dict[str, Any], say: Callable[[str], None]
                 ) -> tuple[list[dict[str, Any]], list[pd.DataFrame]]:
    """Rows of every scene (a scene that fails gives error rows) and per-band rows; ``say``
    gets a line per scene."""
    rows: list[dict[str, Any]] = []
    band_rows: list[pd.DataFrame] = []
    for index in range(len(scenes)):
        result = score_scene(spec, model, lambda i=index: scenes.load(i), scenes.names[index],
                             run.device)
        say(f"quality: scene {index + 1}/{len(scenes)} {result.name}: "
            + (f"fused in {result.fuse_s:.1f} s" if result.ok else "error"))
        scene_base = dict(base)
        if result.scene is not None:
            scene_base["degradation"] = json.dumps(result.scene.meta.degradation, default=str)
        rows += result.rows(scene_base)
        if not result.ok:
            tqdm.write(f"[{spec.name}] scene {result.name}: {result.error}")
            run.log(f"[{spec.name}] scene {result.name}:\n{result.trace}")
            continue
        band_rows.append(per_band_rows(spec.name, result.scene, result.fused))
        if index < run.args.figure_scenes:
            save_figure_cubes(run, spec.name, result.scene, result.fused)
    return rows, band_rows


def per_band_rows(name: str, scene: Scene, fused: torch.Tensor) -> pd.DataFrame:
    wl = scene.meta.wavelengths_nm
    return pd.DataFrame({"method": name, "scene": scene.name, "band": np.arange(scene.bands),
                         "wavelength_nm": wl if wl is not None else np.full(scene.bands, np.nan),
                         "psnr": per_band_psnr(fused, scene)})


def save_figure_cubes(run: BenchmarkRun, name: str, scene: Scene, fused: torch.Tensor) -> None:
    """The fused cube (and the scene's GT once) for the image figures."""
    fused_dir = run.out / "fused"
    stem = file_stem(scene.name)
    fileio.write_npz(fused_dir / f"{stem}__{name}.npz", fused=fused.numpy())
    gt_path = fused_dir / f"{stem}__gt.npz"
    if not gt_path.exists():
        wl = scene.meta.wavelengths_nm
        fileio.write_npz(gt_path, gt=scene.gt.numpy(),
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


def method_status(run: BenchmarkRun, name: str) -> str:
    """"ok", "error (k of n rows)", or "not run" for a method of this run."""
    mine = run.rows[run.rows["method"] == name] if len(run.rows) else run.rows
    if not len(mine):
        return "not run"
    errors = int((mine["status"] == "error").sum())
    return "ok" if errors == 0 else f"error ({errors} of {len(mine)} rows)"


def stage_table(run: BenchmarkRun) -> str:
    """Each method's status, seconds per stage and wall time ("total"), as Markdown (the
    end-of-run summary; a method finished by an earlier run under --resume shows its times)."""
    frame = pd.DataFrame([{"method": name, "status": method_status(run, name),
                           **{s: run.stage_s.get(name, {}).get(s, 0.0) for s in STAGES},
                           "total": run.method_s.get(name, 0.0)}
                          for name in run.names])
    return frame.to_markdown(index=False, floatfmt=".1f")


def load_scenes(args: argparse.Namespace, run: BenchmarkRun) -> tuple[SceneCache, Sequence[Scene]]:
    """The scored split (cached) and, when some deep method will train, the train split."""
    options = {k: v for k, v in (("root", args.root), ("list", args.list)) if v}
    scenes = SceneCache(datasets.get(args.dataset, split=args.split, **options))
    specs = [methods.get(n) for n in run.names]
    needs_training = run.profile.training != "none" and any(
        s.family == "deep" and s.name not in run.checkpoints for s in specs)
    train: Sequence[Scene] = []
    if needs_training:
        train_options = {k: v for k, v in options.items() if k != "list"}
        train = list(datasets.get(args.dataset, split="train", **train_options))
    if any("anchor" in s.needs for s in specs):
        add_anchors(scenes, run.device, run.out / "anchors")
        if train:
            cache = SceneCache(train)
            add_anchors(cache, run.device, run.out / "anchors")
            train = [cache.load(i) for i in range(len(cache))]
    return scenes, train


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every row is ok, 1 when some row has status=error (0 with
    ``--keep-going``; the run finishes either way and lists the errors on stderr), 2 when the run
    could not start (one line on stderr; ``--debug`` adds the traceback)."""
    args = parse_args(argv)
    try:
        args.out = args.out or Path("results") / provenance.run_stamp()
        return execute_locked(args)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)


def check_writable(out: Path) -> None:
    """ValueError naming ``out`` when it is a file or cannot be written."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fileio.write_text(out / ".write-test", "")
        (out / ".write-test").unlink()
    except OSError as err:
        raise ValueError(f"--out {out} cannot be written ({err.strerror or err})") from None


def execute_locked(args: argparse.Namespace) -> int:
    """:func:`execute` in ``args.out``, checked writable, inside its lock."""
    check_writable(args.out)
    with run_lock(args.out, log=lambda msg: print(msg, file=sys.stderr)):
        return execute(args)


def execute(args: argparse.Namespace) -> int:
    """The run itself, inside the run directory's lock."""
    for directory in (args.out, args.out / "fused", args.out / "anchors"):
        for tmp in fileio.remove_stale_temps(directory) if directory.is_dir() else []:
            print(f"removed {tmp}, left by a killed writer", file=sys.stderr)
    run = BenchmarkRun(args)
    scenes, train_scenes = load_scenes(args, run)
    run.check_resume(scenes)
    torch.manual_seed(args.seed)
    from benchmarks.cost.roofline import matmul_rate

    run.common["matmul_gflops"] = np.nan if args.no_cost else matmul_rate(run.device) / 1e9
    run.setup_s = time.perf_counter() - run.t0
    run.write_meta(finished=False)
    print(f"run {run.run_id}: {len(run.names)} methods on {args.dataset}/{args.split} "
          f"({len(scenes)} scenes), profile {args.profile}, {run.common['device_name']}")
    for name in tqdm(run.names, desc="methods", disable=None):
        if args.resume and run.done(name):
            tqdm.write(f"[{name}] already done, skipped (--resume)")
            continue
        clock, t_method = StageClock(name, run.progress), time.perf_counter()
        rows, band_rows = run_method(run, methods.get(name), scenes, train_scenes, clock)
        run.commit(name, rows, band_rows, clock, time.perf_counter() - t_method)
    t_report = time.perf_counter()
    table = report(run.out, figures=not args.no_report)
    run.report_s = time.perf_counter() - t_report
    run.write_meta(finished=True)
    print(table)
    print(f"\nstatus and seconds per method and stage (setup {run.setup_s:.1f} s, report "
          f"{run.report_s:.1f} s, whole run {time.perf_counter() - run.t0:.1f} s):")
    print(stage_table(run))
    print(f"results in {run.out}")
    weights = run.rows.get("weights", pd.Series(dtype=object))
    untrained = sorted(run.rows.loc[weights == UNTRAINED, "method"].unique())
    if untrained:
        print(f"untrained weights (quality shown as 'untrained'; numbers kept in rows.csv): "
              f"{', '.join(untrained)}; for real quality {REAL_QUALITY}", file=sys.stderr)
    for name, text in run.rows.groupby("method")["cost_error"].first().dropna().items():
        for piece in str(text).split("; "):
            if ": timeout:" in piece or ": oom:" in piece:
                print(f"[{name}] {piece} (that cell reads timeout or out of memory; raise "
                      "--counter-timeout-s or --max-rss-gb)", file=sys.stderr)
    errors = run.rows[run.rows["status"] == "error"]
    if len(errors):
        print(f"{len(errors) // 2} error(s) in {errors['method'].nunique()} method(s): "
              f"{', '.join(sorted(errors['method'].unique()))} (status=error rows in rows.csv; "
              f"tracebacks in {run.out / LOG_NAME})", file=sys.stderr)
        return 0 if args.keep_going else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
