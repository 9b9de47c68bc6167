"""Learning curves as a reader wants them: validation PSNR and SAM against training time, one line
per method, the bicubic baseline dashed; and the table of what each curve reached.

Curves are ``curve.csv`` frames (``benchmarks.training.curves.COLUMNS``); the baseline is a dict of
the same validation keys (e.g. ``psnr_paper``) for bicubic on the same scenes.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from benchmarks.report.canvas import DPI, FigureSkipped, new_figure, save_png
from benchmarks.report.rundir import Run
from benchmarks.report.style import style_at
from benchmarks.report.summary import method_label

CURVES = "curves"  # <run>/curves/<method>.csv, written by the runner's train profile


def first_beat(curve: pd.DataFrame, baseline: dict[str, float], convention: str = "paper"
               ) -> pd.Series | None:
    """The first curve point with PSNR above and SAM below the baseline's, or None."""
    psnr, sam = f"psnr_{convention}", f"sam_{convention}"
    beats = curve[(curve[psnr] > baseline[psnr]) & (curve[sam] < baseline[sam])]
    return None if beats.empty else beats.iloc[0]


def learning_table(curves: dict[str, pd.DataFrame], baseline: dict[str, float],
                   labels: dict[str, str] | None = None, convention: str = "paper",
                   notes: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per method: steps and minutes trained, the best PSNR (dB) and SAM (deg) reached
    at any validation point, and the training minutes after which it first beat the baseline on
    both (empty when it did not); ``notes`` (per method, e.g. a batch that ran out of memory)
    become a last column, and a method with a note but no curve still gets its row."""
    psnr, sam = f"psnr_{convention}", f"sam_{convention}"
    rows = []
    for name in dict.fromkeys([*curves, *(notes or {})]):
        if name not in curves:
            rows.append({"method": (labels or {}).get(name, name), "note": notes[name]})
            continue
        curve = curves[name]
        beat = first_beat(curve, baseline, convention)
        last = curve.iloc[-1]
        rows.append({
            "method": (labels or {}).get(name, name),
            "steps": int(last["step"]),
            "train_min": round(float(last["train_s"]) / 60, 1),
            f"best {psnr} (dB)": round(float(curve[psnr].max()), 2),
            f"best {sam} (deg)": round(float(curve[sam].min()), 2),
            f"last {psnr} (dB)": round(float(last[psnr]), 2),
            "beats bicubic after (min)": "" if beat is None else round(float(beat["train_s"]) / 60, 2),
            "at step": "" if beat is None else int(beat["step"]),
            **({"note": notes.get(name, "")} if notes is not None else {}),
        })
    return pd.DataFrame(rows).astype(object).fillna("")


def plot_learning_curves(curves: dict[str, pd.DataFrame], baseline: dict[str, float], path: Path,
                         labels: dict[str, str] | None = None, convention: str = "paper",
                         title: str = "", dpi: int = DPI) -> Path:
    """PSNR and SAM against training seconds (log axis), one line per method; writes ``path``."""
    fig = new_figure(12, 4.2)
    axes = fig.subplots(1, 2)
    for ax, key, unit in ((axes[0], f"psnr_{convention}", "dB"),
                          (axes[1], f"sam_{convention}", "deg")):
        for i, (name, curve) in enumerate(curves.items()):
            ok = curve[curve[key].map(lambda v: isinstance(v, float) and math.isfinite(v))]
            s = style_at(i)
            ax.plot(ok["train_s"].clip(lower=0.1), ok[key], marker=s.marker, markersize=3.5,
                    color=s.colour, linestyle=s.linestyle, label=(labels or {}).get(name, name))
        if key in baseline and math.isfinite(baseline[key]):
            ax.axhline(baseline[key], color="k", linestyle="--", linewidth=1, label="bicubic")
        ax.set_xscale("log")
        ax.set_xlabel("training time (s, validation excluded)")
        ax.set_ylabel(f"validation {key.split('_')[0].upper()} ({unit}, {convention} convention)")
        ax.grid(alpha=0.3, which="both")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right center", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_png(fig, path, dpi)


def plot_run_curves(run: Run, path: Path, dpi: int = DPI) -> Path:
    """The curves a ``--profile train`` run saved under ``<run>/curves/``, against bicubic's mean
    over the run's scored scenes (the ones validated on); FigureSkipped when there are none."""
    files = sorted((run.path / CURVES).glob("*.csv"))
    if not files:
        raise FigureSkipped(f"no {CURVES}/*.csv in {run.path} (only --profile train saves curves)")
    curves = {f.stem: pd.read_csv(f) for f in files}
    rows = run.rows[(run.rows["method"] == "bicubic") & (run.rows["status"] == "ok")]
    baseline = {}
    for convention in ("paper", "standard"):
        mine = rows[rows["convention"] == convention]
        for key in ("psnr", "sam"):
            baseline[f"{key}_{convention}"] = float(mine[key].mean()) if len(mine) else math.nan
    labels = {m: method_label(run, m) for m in curves}
    return plot_learning_curves(curves, baseline, path, labels,
                                title=f"validation on the scored scenes of {run.path.name}",
                                dpi=dpi)
