"""Reductions of result rows shared by tables and figures.

Method order and labels, measured means over scenes, per-method cost values (repeated on every
row of a method), the published entry that matches the run, and the provenance text of captions.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.report.rundir import Run
from benchmarks.schema import ALL_SCENES, UNTRAINED

DASH = "–"  # en dash: no value (not measured, or not published)


def is_blank(value: Any) -> bool:
    """True for None, NaN and empty/whitespace strings."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def fmt_num(value: Any, spec: str) -> str:
    """Format a finite number with ``spec`` (e.g. ".3f"), or the dash."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return DASH
    return DASH if not math.isfinite(x) else format(x, spec)


def truthy(value: Any) -> bool:
    """Read a CSV boolean ("True", "true", "1", True, 1.0); blanks are False."""
    if is_blank(value):
        return False
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def dataset_names(rows: pd.DataFrame) -> list[str]:
    """Datasets in order of first appearance."""
    return list(dict.fromkeys(rows["dataset"]))


def method_order(run: Run) -> list[str]:
    """Methods present in the rows: run.json's order first, then order of first appearance."""
    present = list(dict.fromkeys(run.rows["method"]))
    listed = []
    for m in run.info.get("methods") or []:
        name = m.get("name") if isinstance(m, dict) else m
        if isinstance(name, str) and name in present:
            listed.append(name)
    return list(dict.fromkeys(listed + present))


def method_label(run: Run, method: str) -> str:
    """The rows' label, else published.json's label, else the method name."""
    labels = run.rows.loc[run.rows["method"] == method, "label"]
    for value in labels:
        if not is_blank(value):
            return str(value)
    entry = run.published.get(method)
    if isinstance(entry, dict) and not is_blank(entry.get("label")):
        return str(entry["label"])
    return method


def _method_rows(rows: pd.DataFrame, method: str, dataset: str | None) -> pd.DataFrame:
    mask = rows["method"] == method
    if dataset is not None:
        mask &= rows["dataset"] == dataset
    return rows[mask]


@dataclass(frozen=True)
class Measured:
    """A quality metric of one method, reduced over its scenes.

    mean / std: over the finite values of ``ok`` rows (std with ddof=1; NaN with one value).
    n_ok / n_error / n_scenes: scenes with an ok row, an error row, any row.
    """

    mean: float
    std: float
    n_values: int
    n_ok: int
    n_error: int
    n_scenes: int
    untrained: bool = False

    def cell(self, spec: str, with_std: bool = False, mark_partial: bool = True) -> str:
        """``"37.212"``, ``"37.212 ± 0.104"``, ``"30.741 (2/3 ok)"``, ``"0.61 (1/2 finite)"``
        (a NaN or inf value on an ok scene, left out of the mean), ``"error"``, ``"skipped"`` or
        the dash; ``"untrained"`` for a method whose weights were not trained (its numbers stay
        in rows.csv, and its mean is NaN here so that no chart shows it)."""
        if self.untrained:
            return UNTRAINED
        if self.n_values > 0:
            text = format(self.mean, spec)
            if with_std and self.n_values > 1:
                text += f" ± {format(self.std, spec)}"
            if self.n_values < self.n_ok:
                text += f" ({self.n_values}/{self.n_ok} finite)"
            if mark_partial and self.n_ok < self.n_scenes:
                text += f" ({self.n_ok}/{self.n_scenes} ok)"
            return text
        if self.n_ok == 0 and self.n_error > 0:
            return "error"
        if self.n_ok == 0 and self.n_scenes > 0:
            return "skipped"
        return DASH


def measured(
    rows: pd.DataFrame, method: str, metric: str, convention: str, dataset: str | None = None
) -> Measured:
    """Reduce ``metric`` of ``method`` over scenes, from the rows of ``convention`` only."""
    sub = _method_rows(rows, method, dataset)
    sub = sub[sub["convention"] == convention]
    ok = sub[sub["status"] == "ok"]
    values = pd.to_numeric(ok[metric], errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    n_error = sub.loc[sub["status"] == "error", "scene"].nunique()
    if method in untrained_names(sub):
        return Measured(mean=math.nan, std=math.nan, n_values=0, n_ok=int(ok["scene"].nunique()),
                        n_error=int(n_error), n_scenes=int(sub["scene"].nunique()),
                        untrained=True)
    return Measured(
        mean=float(values.mean()) if values.size else math.nan,
        std=float(values.std(ddof=1)) if values.size > 1 else math.nan,
        n_values=int(values.size),
        n_ok=int(ok["scene"].nunique()),
        n_error=int(n_error),
        n_scenes=int(sub["scene"].nunique()),
    )


def untrained_names(rows: pd.DataFrame) -> set[str]:
    """Names of the methods whose rows say their weights are untrained."""
    if "weights" not in rows:
        return set()
    return set(rows.loc[rows["weights"] == UNTRAINED, "method"].astype(str))


def untrained_methods(run: Run, methods: list[str]) -> list[str]:
    """Labels of the methods of ``methods`` whose weights are untrained."""
    names = untrained_names(run.rows)
    return [method_label(run, m) for m in methods if m in names]


def cost_value(rows: pd.DataFrame, method: str, column: str, dataset: str | None = None) -> float:
    """The first finite value of a per-method column (cost columns repeat on every row)."""
    values = pd.to_numeric(_method_rows(rows, method, dataset)[column], errors="coerce")
    values = values[np.isfinite(values.to_numpy(dtype=float))]
    return float(values.iloc[0]) if len(values) else math.nan


def cost_text(rows: pd.DataFrame, method: str, column: str, dataset: str | None = None) -> str:
    """The first non-blank text of a per-method column, or ""."""
    for value in _method_rows(rows, method, dataset)[column]:
        if not is_blank(value):
            return str(value)
    return ""


# The part of cost_error that speaks of a column ("fvcore: timeout: ..."): its measurement.
COST_PART = {"gmacs_fvcore": "fvcore", "gflops_counter": "flop_counter", "gmacs_hooks": "hooks",
             "latency_median_s": "latency", "peak_mem_gb": "latency", "params_total": "latency"}
FAILED_CELLS = ("error", "timeout", "out of memory")


def cost_cell(rows: pd.DataFrame, method: str, column: str, spec: str, scale: float = 1.0,
              dataset: str | None = None) -> str:
    """A formatted cost value; when it is missing and the row has a cost_error, "timeout" or
    "out of memory" where the column's measurement ran out of time or memory, else "error"."""
    value = cost_value(rows, method, column, dataset)
    if math.isfinite(value):
        return format(value * scale, spec)
    error = cost_text(rows, method, "cost_error", dataset)
    if error.startswith("not counted"):
        return "n/a"
    if not error:
        return DASH
    part = COST_PART.get(column)
    for piece in error.split("; "):
        if part and piece.startswith(f"{part}: "):
            kind = piece[len(part) + 2:]
            if kind.startswith("timeout"):
                return "timeout"
            if kind.startswith("oom"):
                return "out of memory"
    return "error"


def error_texts(rows: pd.DataFrame, method: str, dataset: str | None = None) -> list[str]:
    """Distinct error texts of a method (status=error rows, then cost_error), first line each."""
    sub = _method_rows(rows, method, dataset)
    texts = [str(t) for t in sub.loc[sub["status"] == "error", "error"] if not is_blank(t)]
    if (sub["status"] == "error").any() and not texts:
        texts = ["(no error text)"]
    texts += [f"cost: {t}" for t in sub["cost_error"] if not is_blank(t)]
    return list(dict.fromkeys(t.strip().splitlines()[0] if t.strip() else t for t in texts))


def shape_dims(shape: str) -> list[int]:
    """``"1x4x256x256"`` -> [1, 4, 256, 256]; [] when unparseable."""
    try:
        return [int(p) for p in str(shape).lower().split("x")]
    except ValueError:
        return []


def run_msi_bands(rows: pd.DataFrame, method: str | None = None) -> int | None:
    """MSI band count from the HR cost or latency shape (B x c x H x W), if recorded."""
    sub = rows if method is None else rows[rows["method"] == method]
    for col in ("cost_hr_shape", "latency_hr_shape"):
        for value in sub[col]:
            dims = shape_dims(value)
            if len(dims) == 4:
                return dims[1]
    return None


def select_published(run: Run, method: str) -> dict[str, Any] | None:
    """The published entry for ``method``: the first with the run's MSI band count, else the first.

    Returns None when published.json has no figures for it.
    """
    entry = run.published.get(method)
    if not isinstance(entry, dict):
        return None
    figures = [p for p in entry.get("published") or [] if isinstance(p, dict)]
    if not figures:
        return None
    bands = run_msi_bands(run.rows, method)
    matching = [p for p in figures if bands is not None and p.get("msi_bands") == bands]
    return (matching or figures)[0]


def parse_json_text(value: Any) -> Any:
    """Parse a JSON column value; blanks and malformed text give None."""
    if is_blank(value):
        return None
    try:
        return json.loads(str(value))
    except json.JSONDecodeError:
        return None


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def degradation_text(rows: pd.DataFrame, dataset: str) -> str:
    """The degradation settings of a dataset's rows, as ``key=value`` text."""
    distinct = list(dict.fromkeys(
        str(v) for v in rows.loc[rows["dataset"] == dataset, "degradation"] if not is_blank(v)
    ))
    if not distinct:
        return "not recorded"
    parsed = [parse_json_text(v) for v in distinct]
    if all(isinstance(p, dict) for p in parsed):
        shared = {k: v for k, v in parsed[0].items() if all(p.get(k) == v for p in parsed[1:])}
        varying = sorted({k for p in parsed for k in p} - set(shared))
        text = _compact(shared)[1:-1]
        return text + (f"; per scene: {', '.join(varying)}" if varying else "")
    texts = [_compact(p)[1:-1] if isinstance(p, dict) else str(v)
             for p, v in zip(parsed, distinct, strict=True)]
    if len(texts) == 1:
        return texts[0]
    return f"{len(texts)} settings: " + " | ".join(texts[:3]) + (" | ..." if len(texts) > 3 else "")


def per_method_text(run: Run, methods: list[str], column: str, blank: str) -> str:
    """One value when every method shares it, else ``label: value`` for each method."""
    values = {m: cost_text(run.rows, m, column) or blank for m in methods}
    distinct = set(values.values())
    if len(distinct) == 1:
        return distinct.pop()
    return "; ".join(f"{method_label(run, m)}: {v}" for m, v in values.items())


def device_text(run: Run) -> str:
    """Device, its name, dtype, threads and torch version, from the rows (else run.json)."""
    rows = run.rows

    def first(col: str, fallback: Any = "") -> str:
        for v in rows[col]:
            if not is_blank(v):
                return str(v)
        return "" if is_blank(fallback) else str(fallback)

    device = first("device", run.info.get("device"))
    name = first("device_name", run.info.get("device_name"))
    parts = [f"{name} ({device})" if name and device else name or device or "unknown device"]
    dtype = first("dtype")
    if dtype:
        parts.append(dtype)
    threads = first("threads")
    if threads:
        parts.append(f"{fmt_num(threads, '.0f')} threads")
    torch_version = first("torch_version", (run.info.get("versions") or {}).get("torch"))
    if torch_version:
        parts.append(f"torch {torch_version}")
    if run.info.get("omp_wait_policy") and device != "cuda":
        parts.append(f"OMP_WAIT_POLICY {run.info['omp_wait_policy']}")
    return ", ".join(parts)


def cost_shapes_text(run: Run, methods: list[str]) -> str:
    """The input shapes the counters ran at, shared or per method."""
    texts = {}
    for m in methods:
        lr, hr = cost_text(run.rows, m, "cost_lr_shape"), cost_text(run.rows, m, "cost_hr_shape")
        if lr or hr:
            texts[m] = f"LR {lr or '?'}, HR {hr or '?'}"
    if not texts:
        return "not recorded"
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "; ".join(f"{method_label(run, m)}: {t}" for m, t in texts.items())


def extrapolated_methods(run: Run, methods: list[str]) -> list[str]:
    """Methods whose counts were extrapolated from two smaller sizes."""
    out = []
    for m in methods:
        if any(truthy(v) for v in run.rows.loc[run.rows["method"] == m, "cost_extrapolated"]):
            out.append(m)
    return out


def scenes_of(rows: pd.DataFrame, dataset: str | None = None) -> list[str]:
    """Scenes in order of first appearance (not the ``*`` of a method that failed before any
    scene)."""
    sub = rows if dataset is None else rows[rows["dataset"] == dataset]
    return [s for s in dict.fromkeys(sub["scene"]) if s != ALL_SCENES]
