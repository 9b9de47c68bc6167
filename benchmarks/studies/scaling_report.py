"""The scaling study's report: power-law exponents per method and quantity, the check of the smoke
profile's FLOP extrapolation, the rows, and log-log figures (one line per method).

Writes ``fits.csv``, ``extrapolation.csv``, ``report.md`` and ``cost.png``, ``latency.png``,
``memory.png`` into the study directory.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

import fileio
from benchmarks.measure import fit_affine
from benchmarks.report.canvas import DPI, add_note, add_title, new_figure, save_png
from benchmarks.report.render import Table, to_markdown
from benchmarks.report.style import method_styles
from benchmarks.studies.powerlaw import fit_power_law

# counter -> column of GMAC (1 MAC = 1; torch's flop_counter FLOPs are halved)
COUNTER_COLUMNS = {"hooks": "gmac_hooks", "fvcore": "gmac_fvcore",
                   "flop_counter": "gmac_flop_counter"}
QUANTITIES = {**{column: f"FLOPs ({counter})" for counter, column in COUNTER_COLUMNS.items()},
              "latency_median_s": "latency", "forward_mem_gb": "memory"}
FLOP_EXPONENT_TOLERANCE = 0.05  # a FLOP exponent further than this from 1 is flagged
MEMORY_FLOOR_GB = 0.05  # forward memory below this is allocator noise: not used in the fits
SMOKE_HR = (64, 128)  # the smoke profile counts at LR 16 and 32 and extrapolates in pixels
FIGURES = {"cost": ("gmac_flop_counter", "GMAC (torch flop_counter, every product)"),
           "latency": ("latency_median_s", "latency, median (s)"),
           "memory": ("forward_mem_gb", "peak memory of the forward (GB)")}


def fits(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, quantity) with two or more measured sizes: a, b, r2, n, flagged."""
    out = []
    ok = rows[rows["status"] == "ok"]
    for (method, family), group in ok.groupby(["method", "family"], sort=False):
        for column, label in QUANTITIES.items():
            if column not in group:
                continue
            points = group[["pixels", column]].dropna()
            points = points[points[column] > (MEMORY_FLOOR_GB if column == "forward_mem_gb" else 0)]
            if len(points) < 2:
                continue
            law = fit_power_law(points["pixels"].to_numpy(), points[column].to_numpy())
            flagged = column in COUNTER_COLUMNS.values() and abs(law.b - 1) > FLOP_EXPONENT_TOLERANCE
            out.append({"method": method, "family": family, "quantity": label, "column": column,
                        "b": law.b, "a": law.a, "r2": law.r2, "n": law.n,
                        "hr_sizes": " ".join(str(int(h)) for h in group.loc[points.index, "hr"]),
                        "flagged": flagged})
    return pd.DataFrame(out)


def extrapolation_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """For each counted method: the count extrapolated from HR 64 and 128 (the smoke profile's
    sizes, affine in pixels) against the count measured at each larger size."""
    out = []
    ok = rows[rows["status"] == "ok"]
    for method, group in ok.groupby("method", sort=False):
        by_hr = group.set_index("hr")
        if not all(h in by_hr.index for h in SMOKE_HR):
            continue
        for counter, column in COUNTER_COLUMNS.items():
            if column not in by_hr or by_hr.loc[list(SMOKE_HR), column].isna().any():
                continue
            base = [(h * h, float(by_hr.loc[h, column])) for h in SMOKE_HR]
            for hr, measured in by_hr[column].dropna().items():
                if hr <= max(SMOKE_HR) or measured <= 0:
                    continue
                guess = fit_affine(base, hr * hr)
                out.append({"method": method, "counter": counter, "hr": int(hr),
                            "measured_gmac": measured, "extrapolated_gmac": guess,
                            "error_pct": 100 * (guess - measured) / measured})
    return pd.DataFrame(out)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def exponent_table(fit: pd.DataFrame) -> Table:
    labels = list(QUANTITIES.values())
    rows = []
    for method, group in fit.groupby("method", sort=False):
        cells = {r["quantity"]: f"{r['b']:.3f} ({r['r2']:.3f})" + (" ⚑" if r["flagged"] else "")
                 for _, r in group.iterrows()}
        rows.append([method, group["family"].iloc[0], str(group["n"].max())]
                    + [cells.get(label, "–") for label in labels])
    return Table("Fitted exponents b of cost = a · pixels^b (R² in brackets)",
                 [("", "method"), ("", "family"), ("", "sizes")]
                 + [("b", label) for label in labels], rows,
                 notes=[f"⚑: a FLOP exponent further than {FLOP_EXPONENT_TOLERANCE} from 1 "
                        "(not linear in the pixel count).",
                        "Classical methods run numpy/scipy work that no FLOP counter sees: "
                        "latency and memory only.",
                        "memory: peak resident memory during the forwards minus before them "
                        "(CPU: VmHWM), fitted over the sizes where it is at least "
                        f"{MEMORY_FLOOR_GB} GB: below that, allocator noise dominates."])


def extrapolation_table(errors: pd.DataFrame) -> Table:
    rows = [[r["method"], r["counter"], str(r["hr"]), f"{r['measured_gmac']:.4g}",
             f"{r['extrapolated_gmac']:.4g}", f"{r['error_pct']:+.2f} %"]
            for _, r in errors.iterrows()]
    return Table("The smoke profile's FLOP extrapolation, checked",
                 [("", "method"), ("", "counter"), ("", "HR"), ("GMAC", "measured"),
                  ("GMAC", "extrapolated"), ("", "error")], rows,
                 notes=["extrapolated: the line through the counts at HR 64 and 128 (LR 16 and "
                        "32), in pixels, as the smoke profile does for the paper input."])


def rows_table(rows: pd.DataFrame) -> Table:
    out = []
    for _, r in rows.iterrows():
        out.append([r["method"], str(int(r["hr"])), r["status"], _num(r.get("params"), 4),
                    *(_num(r.get(c), 4) for c in COUNTER_COLUMNS.values()),
                    _num(r.get("latency_median_s")), _num(r.get("latency_p90_s")),
                    _num(r.get("peak_mem_gb")), _num(r.get("forward_mem_gb")),
                    str(r.get("reason") or "")[:160] if isinstance(r.get("reason"), str) else ""])
    return Table("Every measurement",
                 [("", "method"), ("", "HR"), ("", "status"), ("", "params"),
                  ("GMAC", "hooks"), ("GMAC", "fvcore"), ("GMAC", "flop_counter"),
                  ("latency (s)", "median"), ("latency (s)", "p90"), ("memory (GB)", "peak"),
                  ("memory (GB)", "forward"), ("", "note")], out,
                 align=["l", "r", "l"] + ["r"] * 8 + ["l"])


def plot(rows: pd.DataFrame, fit: pd.DataFrame, column: str, ylabel: str, path: Path) -> Path:
    """Log-log ``column`` against HR pixels, one line per method, exponents in the legend."""
    names = list(dict.fromkeys(rows["method"]))
    styles = method_styles(names)
    fig = new_figure(9.0, 4.6)
    ax = fig.add_subplot()
    left_out = []
    for name in names:
        group = rows[(rows["method"] == name) & (rows["status"] == "ok")]
        points = group[["pixels", column]].dropna() if column in group else group.iloc[0:0]
        points = points[points[column] > 0].sort_values("pixels")
        if points.empty:
            left_out.append(name)
            continue
        law = fit[(fit["method"] == name) & (fit["column"] == column)]
        label = name + (f" (b = {law['b'].iloc[0]:.2f})" if len(law) else "")
        style = styles[name]
        ax.plot(points["pixels"], points[column], color=style.colour, marker=style.marker,
                linestyle=style.linestyle, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("HR pixels (LR = HR / 4 per side)")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    if ax.lines:
        fig.legend(loc="outside right center", fontsize=8)
    add_title(fig, f"{ylabel} against image size (log-log; b: fitted exponent)")
    if left_out:
        add_note(fig, "Not shown (nothing measured): " + ", ".join(left_out))
    return save_png(fig, path, DPI)


def write_report(rows: pd.DataFrame, out: Path, *, budget_s: float, seconds: float) -> Path:
    """fits.csv, extrapolation.csv, the figures and report.md in ``out``."""
    fit = fits(rows)
    errors = extrapolation_errors(rows)
    fileio.write_csv(out / "fits.csv", fit)
    fileio.write_csv(out / "extrapolation.csv", errors)
    figures = {name: plot(rows, fit, column, label, out / f"{name}.png")
               for name, (column, label) in FIGURES.items()}
    not_measured = rows[rows["status"] != "ok"]
    parts = ["# Cost against image size", "",
             f"{rows['method'].nunique()} methods at HR sizes "
             f"{', '.join(str(int(h)) for h in sorted(rows['hr'].unique()))} (LR = HR / 4), "
             f"172 bands, 4 MSI bands, fp32, batch 1; {seconds / 60:.1f} min of a "
             f"{budget_s / 60:.0f}-minute budget. Written by `python -m benchmarks.studies.scaling`.",
             "", to_markdown(exponent_table(fit)), ""]
    if not errors.empty:
        parts += [to_markdown(extrapolation_table(errors)), ""]
    if not not_measured.empty:
        parts += [f"{len(not_measured)} (method, size) pairs were not measured; the rows below "
                  "give each reason.", ""]
    parts += [to_markdown(rows_table(rows)), ""]
    parts += [f"![{name}]({path.name})" for name, path in figures.items()]
    return fileio.write_text(out / "report.md", "\n".join(parts) + "\n")
