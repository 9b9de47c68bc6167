"""How each method's cost grows with the image: params, three FLOP counts, latency and memory at
several HR sizes, then power-law fits and figures (``benchmarks.studies.scaling_report``).

    python -m benchmarks.studies.scaling [--out results/studies/scaling] [--sizes 64 128 256 384 512]
        [--methods a,b] [--budget-s 840] [--resume]                    (make study-scaling)

Each method runs in one child process with the runner's limits (memory cap, timeout), its sizes
in increasing order: latency and peak memory of ``inference_mode`` forwards, then the three
counters (``benchmarks.measure.counts_in_child``: one thread, through the count cache).
Classical methods run numpy/scipy work that no FLOP counter sees: latency and memory only. The
study makes two passes: every method's three smallest sizes, then the larger ones, so that each
method gets a fit before any gets its largest size. In each pass a method gets an equal share of
what is left of ``--budget-s`` (deep methods go last, so they also get what the cheaper ones
left); a size whose predicted time (the
last size's, scaled by the pixel ratio) exceeds what is left of the share is not attempted, nor
are larger ones, and a size that fails or runs out of memory or time ends the method: each such
size is a row with the reason. No child outlives the whole budget: its timeout is at most what
is left of ``--budget-s``, and a method is not started with less than ``MIN_CHILD_S`` left. Rows
are written atomically after every method, so ``--resume`` continues a stopped study.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

import fileio
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg, method_names, report_error
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.measure import counts_in_child, speed_in_child
from benchmarks.shapes import PAPER_INPUT, InputShape
from benchmarks.studies.scaling_report import COUNTER_COLUMNS, write_report

HR_SIZES = (64, 128, 256, 384, 512)
FIRST_PASS_SIZES = 3  # every method's three smallest sizes first, so that each gets a fit
DEFAULT_BUDGET_S = 840.0
LATENCY_BUDGET_S = 2.0
LATENCY_MIN_ITERS = 3
ROWS = "rows.csv"
COUNTING = "counting"  # the reason of a progress row whose counts are running
MIN_CHILD_S = 20.0  # a method is not started with less than this left of the study's budget


@dataclass(frozen=True)
class Limits:
    """Limits of one method's child process: seconds and resident memory (GB)."""

    timeout_s: float
    max_rss_gb: float


def shape_for(hr: int, ratio: int = PAPER_INPUT.ratio) -> InputShape:
    """The paper's bands at HR side ``hr`` (a multiple of the ratio)."""
    if hr % ratio:
        raise ValueError(f"HR size {hr} is not a multiple of the ratio {ratio}")
    return PAPER_INPUT.with_lr(hr // ratio)


def base_row(name: str, hr: int) -> dict[str, Any]:
    return {"method": name, "family": methods.get(name).family, "hr": hr, "lr": hr // 4,
            "pixels": hr * hr, "status": "ok", "reason": ""}


def measure_speed(name: str, hr: int, device: str = "cpu") -> dict[str, Any]:
    """Params, latency of ``inference_mode`` forwards and their peak memory above the resident
    set before them (``benchmarks.measure.speed_in_child``, here in this process)."""
    speed = speed_in_child(name, {}, shape_for(hr), device, LATENCY_BUDGET_S, LATENCY_MIN_ITERS)
    above = speed["resident_mem_gb"] if speed["mem_kind"] == "cpu_peak_rss" else 0.0
    return {"params": speed["params_total"], "latency_median_s": speed["median_s"],
            "latency_p90_s": speed["p90_s"], "latency_n": speed["n"],
            "peak_mem_gb": speed["peak_mem_gb"],
            "forward_mem_gb": max(speed["peak_mem_gb"] - above, 0.0),
            "mem_kind": speed["mem_kind"], "threads": speed["threads"]}


def count_at(name: str, hr: int) -> dict[str, Any]:
    """The three counts of ``name`` at HR side ``hr`` as GMAC columns, and the counters' errors
    as ``reason``."""
    counts = counts_in_child(name, {}, [shape_for(hr)], list(COUNTER_COLUMNS))
    found: dict[str, Any] = {}
    errors = []
    for counter, column in COUNTER_COLUMNS.items():
        if isinstance(counts[counter], str):
            errors.append(f"{counter}: {counts[counter]}"[:200])
        else:
            found[column] = counts[counter][0]["macs"] / 1e9
    return {**found, "reason": "; ".join(errors)}


def skipped(name: str, hr: int, reason: str) -> dict[str, Any]:
    return {**base_row(name, hr), "status": "skipped", "reason": reason[:300]}


def study_in_child(name: str, sizes: list[int], deadline_s: float, progress: str,
                   device: str = "cpu") -> list[dict[str, Any]]:
    """Child entry point: each size in turn while ``deadline_s`` allows: :func:`measure_speed`,
    then (not for classical methods) :func:`count_at`. The rows so far are written to
    ``progress`` (JSON) after each step, a row whose counts are running with ``COUNTING`` as its
    reason; the sizes left are skipped with the reason."""
    rows: list[dict[str, Any]] = []
    start = time.monotonic()
    counted = methods.get(name).family != "classical"
    for i, hr in enumerate(sizes):
        left = deadline_s - (time.monotonic() - start)
        measured = [r for r in rows if r["status"] == "ok"]
        guess = (measured[-1]["seconds"] * hr * hr / measured[-1]["pixels"]) if measured else 0.0
        if guess > left:
            rows += [skipped(name, h, f"not attempted: about {guess:.0f} s predicted at HR {hr}, "
                             f"{max(left, 0):.0f} s left of this method's budget")
                     for h in sizes[i:]]
            break
        t0 = time.monotonic()
        try:
            row = {**base_row(name, hr), **measure_speed(name, hr, device)}
            if counted:
                fileio.write_json(progress, [*rows, {**row, "reason": COUNTING,
                                                     "seconds": time.monotonic() - t0}])
                row.update(count_at(name, hr))
        except Exception as exc:  # noqa: BLE001 - a row, and larger sizes are not attempted
            row = {**base_row(name, hr), "status": "error",
                   "reason": f"{type(exc).__name__}: {exc}"[:300]}
        row["seconds"] = time.monotonic() - t0
        rows.append(row)
        fileio.write_json(progress, rows)
        if row["status"] != "ok":
            rows += [skipped(name, h, f"not attempted after HR {hr} failed") for h in sizes[i + 1:]]
            break
    return rows


def study_method(name: str, sizes: list[int], share_s: float, limits: Limits, device: str,
                 progress: Path, left_s: float = math.inf) -> list[dict[str, Any]]:
    """All sizes of one method in one child process (its share of the budget as the deadline);
    a child that runs out of memory or time keeps the rows it finished. The child is stopped
    after its share plus a minute (a size that started in time may finish), and never after
    ``left_s``, what is left of the whole study's budget."""
    try:
        return run_isolated(study_in_child, {"name": name, "sizes": sizes,
                                             "deadline_s": share_s, "progress": str(progress),
                                             "device": device},
                            timeout_s=min(limits.timeout_s, share_s + 60, left_s),
                            max_rss_gb=limits.max_rss_gb)
    except ChildError as exc:
        rows = json.loads(progress.read_text()) if progress.exists() else []
        what = {"oom": "out of memory", "timeout": "out of time"}.get(exc.kind, "failed")
        if rows and rows[-1]["reason"] == COUNTING:  # latency and memory were measured
            failed = sizes[len(rows) - 1]
            rows[-1]["reason"] = f"counts: {what} at HR {failed} ({exc})"[:300]
        else:
            failed = sizes[len(rows)]
            rows.append({**base_row(name, failed), "status": "error",
                         "reason": f"{what} at HR {failed} ({exc})"[:300]})
        rows += [skipped(name, h, f"not attempted after HR {failed} ran {what}")
                 for h in sizes[len(rows):]]
        return rows


def sizes_left(rows: list[dict[str, Any]], name: str, sizes: list[int]) -> list[int]:
    """``sizes`` that ``name`` has no row for; none once one of its sizes failed or was skipped."""
    earlier = [r for r in rows if r["method"] == name]
    if any(r["status"] != "ok" for r in earlier):
        return []
    return [hr for hr in sizes if hr not in {int(r["hr"]) for r in earlier}]


def run(out: Path, names: list[str], sizes: list[int], budget_s: float, limits: Limits,
        device: str = "cpu", resume: bool = False) -> pd.DataFrame:
    """The study into ``out`` (rows.csv, then the report); returns the rows."""
    path = out / ROWS
    if path.exists() and not resume:
        raise ValueError(f"{path} exists; pass --resume to continue it or choose another --out")
    rows: list[dict[str, Any]] = (pd.read_csv(path).to_dict("records")
                                  if resume and path.exists() else [])

    def save(row: dict[str, Any]) -> None:
        rows.append(row)
        fileio.write_csv(path, pd.DataFrame(rows))
        tqdm.write(f"[{row['method']}] HR {row['hr']}: {row['status']}"
                   + (f" ({row['reason']})" if row.get("reason") else ""))

    out.mkdir(parents=True, exist_ok=True)
    (out / "progress").mkdir(exist_ok=True)
    start = time.perf_counter()
    # Deep methods last: what the cheap ones leave of their shares goes to them.
    names = sorted(names, key=lambda n: methods.get(n).family == "deep")
    passes = [sizes[:FIRST_PASS_SIZES], sizes[FIRST_PASS_SIZES:]]
    for k, pass_sizes in enumerate(p for p in passes if p):
        todo = {name: left for name in names if (left := sizes_left(rows, name, pass_sizes))}
        for i, (name, left) in enumerate(tqdm(todo.items(), desc=f"scaling study, pass {k + 1}",
                                              unit="method")):
            left_s = budget_s - (time.perf_counter() - start)
            if left_s < MIN_CHILD_S:
                for hr in left:
                    save(skipped(name, hr, f"not attempted: the study's {budget_s:.0f} s budget "
                                           "is spent"))
                continue
            share = left_s / (len(todo) - i)
            progress = out / "progress" / f"{name}.json"
            progress.unlink(missing_ok=True)
            for row in study_method(name, left, share, limits, device, progress, left_s):
                save(row)
            progress.unlink(missing_ok=True)
    (out / "progress").rmdir()
    frame = pd.DataFrame(rows)
    write_report(frame, out, budget_s=budget_s, seconds=time.perf_counter() - start)
    return frame


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.studies.scaling", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--out", type=Path, default=Path("results/studies/scaling"),
                   help="study directory")
    p.add_argument("--methods", default="all", help="comma-separated registry names, or all")
    p.add_argument("--sizes", type=int, nargs="+", default=list(HR_SIZES),
                   help="HR sides (LR = HR / 4)")
    p.add_argument("--budget-s", type=float, default=DEFAULT_BUDGET_S,
                   help="wall-clock budget of the whole study, shared between methods")
    p.add_argument("--timeout-s", type=float, default=300.0, help="limit of one child process")
    p.add_argument("--max-rss-gb", type=float, default=16.0, help="memory cap of one child")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--resume", action="store_true", help="continue the study in --out")
    add_debug_arg(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        names = method_names(args.methods)
        frame = run(args.out, names, sorted(set(args.sizes)), args.budget_s,
                    Limits(args.timeout_s, args.max_rss_gb), args.device, args.resume)
    except Exception as exc:  # noqa: BLE001 - one line for the user, traceback with --debug
        return report_error(exc, args.debug)
    print(f"{len(frame)} rows; report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
