"""The robustness study's report: per axis, each method's PSNR and SAM at every value, its paired
difference to the reference method, and line plots of PSNR and SAM against each axis.

Writes ``summary.csv`` (axis, value, method, scenes, means), ``report.md`` and ``robustness.png``
into the study directory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import fileio
from benchmarks.report.canvas import DPI, add_note, add_title, new_figure, save_png
from benchmarks.report.paired import RULES, choose_reference, paired_to_reference
from benchmarks.report.render import Table, to_markdown
from benchmarks.report.rundir import Run
from benchmarks.report.style import method_styles
from benchmarks.report.summary import DASH, measured

NA = "skipped"  # the status of a (condition, method) that was not measured; its cells read "n/a"
NA_CELL = "n/a"
METRICS = {"psnr": ("PSNR (dB)", ".2f"), "sam": ("SAM (deg)", ".2f")}


@dataclass(frozen=True)
class Axis:
    """One degradation axis: the row column it sets, its values in plotting order, a title."""

    column: str
    values: tuple[Any, ...]
    base: Any
    title: str
    unit: str = ""
    none_text: str = "none"

    def text(self, value: Any) -> str:
        """A value as condition keys and figure ticks print it ("none", "40", "0.75")."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.none_text
        return f"{value:g}" if isinstance(value, float) else str(value)

    def header(self, value: Any) -> str:
        """A value with its unit, as table headers print it ("40 dB", "0.75x", "estimated")."""
        text = self.text(value)
        return text if text == self.none_text or not self.unit else f"{text}{self.unit}"


AXES: dict[str, Axis] = {
    "misalignment": Axis("misalign_px", (0, 1, 2, 3), 0, "LR-HSI misalignment (LR pixels)",
                         " px"),
    "noise": Axis("snr_db", (None, 40.0, 30.0, 20.0), None, "SNR on both inputs (dB)", " dB"),
    "msi_bands": Axis("msi_bands", (4, 6), 4, "HR-MSI bands", " bands"),
    "psf": Axis("psf_told", (0.75, 1.0, 1.25, None), 1.0,
                "PSF told to the method (x true sigma)", "x", none_text="estimated"),
}
BASE = {axis.column: axis.base for axis in AXES.values()}  # the condition every axis starts from


def _same(a: Any, b: Any) -> bool:
    blank = [v is None or (isinstance(v, float) and math.isnan(v)) for v in (a, b)]
    return all(blank) or (not any(blank) and float(a) == float(b))


def axis_rows(rows: pd.DataFrame, axis: str, value: Any) -> pd.DataFrame:
    """The rows of the condition where ``axis`` is at ``value`` and every other axis at base."""
    mask = pd.Series(True, index=rows.index)
    for name, other in AXES.items():
        target = value if name == axis else BASE[other.column]
        mask &= rows[other.column].map(lambda v, t=target: _same(v, t))
    return rows[mask]


def _na_reason(rows: pd.DataFrame, method: str) -> str | None:
    na = rows[(rows["method"] == method) & (rows["status"] == NA)]
    return None if na.empty else str(na["error"].iloc[0])


def summary(rows: pd.DataFrame, axes: Sequence[str], convention: str) -> pd.DataFrame:
    """One row per (axis, value, method): scenes ok of n, mean PSNR/SAM, or why not measured."""
    out = []
    for axis in axes:
        for value in AXES[axis].values:
            part = axis_rows(rows, axis, value)
            for method in dict.fromkeys(rows["method"]):
                reason = _na_reason(part, method)
                entry = {"axis": axis, "value": AXES[axis].text(value), "method": method,
                         "not_measured": reason or ""}
                scored = part[(part["method"] == method) & (part["status"] != NA)]
                for metric in METRICS:
                    m = measured(scored, method, metric, convention) if len(scored) else None
                    entry[metric] = m.mean if m else math.nan
                    entry["scenes_ok"] = m.n_ok if m else 0
                    entry["scenes"] = m.n_scenes if m else 0
                out.append(entry)
    return pd.DataFrame(out)


def value_table(rows: pd.DataFrame, axis: str, metric: str, convention: str,
                labels: dict[str, str]) -> Table:
    """Methods x the axis's values: the mean of ``metric`` over the scenes, or why not."""
    spec_axis = AXES[axis]
    header, spec = METRICS[metric]
    parts = [axis_rows(rows, axis, value) for value in spec_axis.values]
    out = []
    for method in dict.fromkeys(rows["method"]):
        cells = []
        for part in parts:
            reason = _na_reason(part, method)
            scored = part[(part["method"] == method) & (part["status"] != NA)]
            cells.append(NA_CELL if reason else
                         measured(scored, method, metric, convention).cell(spec)
                         if len(scored) else DASH)
        out.append([labels.get(method, method)] + cells)
    return Table(f"{spec_axis.title}: {header}, mean over scenes ({convention} convention)",
                 [("", "method")] + [("", spec_axis.header(v))
                                     for v in spec_axis.values], out,
                 align=["l"] + ["r"] * len(spec_axis.values))


def paired_table(rows: pd.DataFrame, axis: str, metric: str, convention: str, reference: str,
                 labels: dict[str, str]) -> Table:
    """Methods x values: mean paired difference to ``reference`` [95 % CI] and W/T/L."""
    spec_axis = AXES[axis]
    header, spec = METRICS[metric]
    columns: dict[str, list[str]] = {}
    for value in spec_axis.values:
        part = axis_rows(rows, axis, value)
        ref_rows = part[part["method"] == reference]
        if (ref_rows["status"] == NA).all():  # e.g. told a PSF it does not take: unchanged
            ref_rows = axis_rows(rows, axis, AXES[axis].base)
            ref_rows = ref_rows[ref_rows["method"] == reference]
        part = pd.concat([part[part["method"] != reference], ref_rows])
        found = paired_to_reference(part, reference, metric, convention)
        for method in dict.fromkeys(rows["method"]):
            if method == reference:
                cell = "reference"
            elif _na_reason(part, method):
                cell = NA_CELL
            else:
                d = found.get(method)
                cell = DASH if d is None or d.n == 0 else f"{d.cell(spec)} {d.wtl()}"
            columns.setdefault(method, []).append(cell)
    out = [[labels.get(m, m)] + cells for m, cells in columns.items()]
    return Table(f"{spec_axis.title}: {header} difference to {labels.get(reference, reference)}",
                 [("", "method")] + [("", spec_axis.header(v))
                                     for v in spec_axis.values], out,
                 align=["l"] + ["r"] * len(spec_axis.values))


def plot(table: pd.DataFrame, axes: Sequence[str], convention: str, labels: dict[str, str],
         path: Path) -> Path:
    """PSNR (top) and SAM (bottom) against each axis, one line per method with results."""
    names = list(dict.fromkeys(table["method"]))
    styles = method_styles(names)
    fig = new_figure(3.1 * len(axes) + 2.6, 6.2)
    grid = fig.subplots(len(METRICS), len(axes), squeeze=False)
    shown: dict[str, Any] = {}
    for col, axis in enumerate(axes):
        spec_axis = AXES[axis]
        ticks = [spec_axis.text(v) for v in spec_axis.values]
        for row, (metric, (header, _)) in enumerate(METRICS.items()):
            ax = grid[row][col]
            for name in names:
                part = table[(table["axis"] == axis) & (table["method"] == name)]
                ys = [part.loc[part["value"] == t, metric].squeeze() if (part["value"] == t).any()
                      else math.nan for t in ticks]
                if all(not math.isfinite(float(y)) for y in ys):
                    continue
                style = styles[name]
                (line,) = ax.plot(range(len(ticks)), [float(y) for y in ys], color=style.colour,
                                  marker=style.marker, linestyle=style.linestyle,
                                  label=labels.get(name, name))
                shown.setdefault(labels.get(name, name), line)
            ax.set_xticks(range(len(ticks)), ticks)
            ax.grid(True, alpha=0.3)
            if row == len(METRICS) - 1:
                ax.set_xlabel(spec_axis.title, fontsize=8)
            if col == 0:
                ax.set_ylabel(header)
    if shown:
        fig.legend(list(shown.values()), list(shown), loc="outside right center", fontsize=7)
    add_title(fig, f"Quality under degradations, one axis at a time ({convention} convention; "
                   "mean over scenes)")
    missing = [labels.get(n, n) for n in names if labels.get(n, n) not in shown]
    if missing:
        add_note(fig, "Not shown (not measured: no weights, or failed): " + ", ".join(missing))
    return save_png(fig, path, DPI)


def write_report(rows: pd.DataFrame, out: Path, *, axes: Sequence[str], reference: str,
                 convention: str, seconds: float, dataset: str) -> Path:
    """summary.csv, robustness.png and report.md in ``out``."""
    labels = {m: str(rows.loc[rows["method"] == m, "label"].iloc[0])
              for m in dict.fromkeys(rows["method"])}
    table = summary(rows, axes, convention)
    fileio.write_csv(out / "summary.csv", table)
    figure = plot(table, axes, convention, labels, out / "robustness.png")
    base = axis_rows(rows, axes[0], AXES[axes[0]].base) if axes else rows.iloc[0:0]
    chosen, note = choose_reference(Run(out, base.copy(), info={"reference": reference}),
                                    reference)
    n_scenes = rows.loc[rows["status"] != NA, "scene"].nunique()
    parts = ["# Quality under degradations", "",
             f"{rows['method'].nunique()} methods on {dataset} ({n_scenes} scenes), one axis at "
             "a time; every other setting at the base condition (aligned, no noise, 4 MSI "
             f"bands, true PSF). {convention} convention. {seconds / 60:.1f} min. Written by "
             "`python -m benchmarks.studies.robustness`.", "",
             f"![robustness]({figure.name})", ""]
    rule_text = "; ".join(f"{METRICS[m][0]} {RULES[m].tolerance_text()}" for m in METRICS)
    parts += [f"Paired differences (reference chosen at the base condition): {note}. Per "
              "scene, method − reference on the same scenes; mean [bootstrap 95 % percentile "
              "interval of the mean] and wins/ties/losses "
              f"(ties within {rule_text}). For SAM, lower is better.", ""]
    for axis in axes:
        parts += [f"## {AXES[axis].title}", ""]
        for metric in METRICS:
            parts += [to_markdown(value_table(rows, axis, metric, convention, labels)), ""]
        if chosen is not None:
            for metric in METRICS:
                parts += [to_markdown(paired_table(rows, axis, metric, convention, chosen,
                                                   labels)), ""]
    na = rows[rows["status"] == NA].drop_duplicates(["method", "error"])
    if not na.empty:
        parts += ["## Not measured", ""]
        parts += [f"- {labels.get(r['method'], r['method'])}: {r['error']}"
                  for _, r in na.iterrows()]
        parts += [""]
    errors = rows[rows["status"] == "error"].drop_duplicates(["method", "condition"])
    if not errors.empty:
        parts += ["## Errors", ""]
        parts += [f"- {labels.get(r['method'], r['method'])}, {r['condition']}, "
                  f"{r.get('scene') or ''}: {r['error']}" for _, r in errors.iterrows()]
        parts += [""]
    return fileio.write_text(out / "report.md", "\n".join(parts) + "\n")
