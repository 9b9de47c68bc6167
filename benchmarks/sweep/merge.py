"""One run directory from a sweep's jobs: their rows, per-band rows, published figures, figure
cubes and learning curves, then the report (``benchmarks.run.report``).

Each row's ``run_id`` becomes its job's key, so a row names the job (and so the directory,
``jobs/<run_id>/``) it came from. A job that did not finish gives its method two status=error
rows on that dataset (``scene=*``) whose message names the job, its status and its log.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

import fileio
import methods
from benchmarks import provenance
from benchmarks.report import RunDirError, load_run
from benchmarks.report.learning import CURVES
from benchmarks.report.paired import DEFAULT_REFERENCE
from benchmarks.run import failed_rows
from benchmarks.schema import COLUMNS
from benchmarks.sweep.plan import DONE, SWEEP_FILE, JobRecord, Sweep, now


def _copy(src: Path, dst: Path) -> None:
    """``src`` to ``dst``, atomically."""
    fileio.write_atomic(dst, lambda tmp: shutil.copyfile(src, tmp))


def _error_rows(sweep: Sweep, record: JobRecord, problem: str) -> pd.DataFrame:
    spec = methods.get(record.method)
    base = {"run_id": record.key, "method": record.method, "label": spec.label,
            "family": spec.family, "dataset": record.dataset, "seed": record.seed}
    ids = ", ".join(record.job_ids) or "none"
    text = (f"sweep job {record.key} (job ids {ids}) {problem}; directory "
            f"{sweep.job_dir(record)}" + (f", log {record.log}" if record.log else ""))
    return pd.DataFrame(failed_rows(base, text)).reindex(columns=COLUMNS)


def merge(sweep: Sweep) -> dict[str, Any]:
    """Write rows.csv, per_band.csv, published.json and run.json of the whole sweep into its
    directory, with the figure cubes (``fused/``) of the first dataset and the learning curves
    (``curves/``) of each method's first finished job. Returns run.json's content."""
    rows, bands, published, jobs = [], [], {}, {}
    with_cubes: set[str] = set()
    with_curve: set[str] = set()
    for record in sweep.jobs:
        run_dir = sweep.job_dir(record) / "run"
        jobs[record.key] = {"status": record.status, "job_ids": record.job_ids,
                            "run": str(run_dir)}
        if record.status != DONE:
            problem = f"did not finish ({record.status}: {record.error or 'not run'})"
            rows.append(_error_rows(sweep, record, problem))
            continue
        try:
            run = load_run(run_dir)
        except RunDirError as err:
            rows.append(_error_rows(sweep, record, f"left no readable run ({err})"))
            continue
        rows.append(run.rows.assign(run_id=record.key))
        if run.per_band is not None:
            bands.append(run.per_band.assign(dataset=record.dataset, seed=record.seed))
        published.update(run.published)
        jobs[record.key].update({k: run.info.get(k) for k in ("device", "device_name", "git_sha",
                                                              "versions", "omp_wait_policy")})
        if (record.dataset == sweep.datasets[0] and record.method not in with_cubes
                and run.fused_dir.is_dir()):
            with_cubes.add(record.method)
            for cube in sorted(run.fused_dir.glob("*.npz")):
                _copy(cube, sweep.path / "fused" / cube.name)
        curve = sweep.job_dir(record) / "weights" / "curve.csv"
        if record.method not in with_curve and curve.exists():
            with_curve.add(record.method)
            _copy(curve, sweep.path / CURVES / f"{record.method}.csv")
    merged = pd.concat(rows, ignore_index=True)
    fileio.write_csv(sweep.path / "rows.csv", merged)
    if bands:
        fileio.write_csv(sweep.path / "per_band.csv", pd.concat(bands, ignore_index=True))
    fileio.write_json(sweep.path / "published.json", published)
    finished = [j for j in jobs.values() if "device" in j]
    first = finished[0] if finished else {}
    info = {"run_id": sweep.path.name, "sweep": SWEEP_FILE, "methods": sweep.methods,
            "datasets": sweep.datasets, "seeds": sorted({r.seed for r in sweep.jobs}),
            "split": sweep.split, "reference": sweep.reference or DEFAULT_REFERENCE,
            "device": first.get("device"), "device_name": first.get("device_name"),
            "versions": first.get("versions") or provenance.versions(),
            "omp_wait_policy": first.get("omp_wait_policy"), "git_sha": provenance.git_sha(),
            "merged": now(), "jobs": jobs}
    fileio.write_json(sweep.path / "run.json", info)
    return info
