"""Figures of the run's numbers: per-band PSNR, PSNR against GMACs, latency.

Each method keeps its ``Style`` (colour, marker, dashes) across figures; legends sit outside the
data; a ``note`` under the figure names every method left out and why.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.transforms import Bbox

from benchmarks.report.canvas import DPI, FigureSkipped, add_note, new_figure, save_png, wrap
from benchmarks.report.images import break_gaps
from benchmarks.report.rundir import Run
from benchmarks.report.style import Style
from benchmarks.report.summary import (
    cost_shapes_text,
    cost_text,
    cost_value,
    dataset_names,
    device_text,
    extrapolated_methods,
    measured,
    method_label,
    select_published,
)

GMACS_AXES = {  # counter -> (rows column, axis label)
    "hooks": ("gmacs_hooks", "GMac, module hooks (ptflops-style, 1 MAC = 1)"),
    "fvcore": ("gmacs_fvcore", "GMAC, fvcore (1 MAC = 1)"),
}


def joined_note(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def plot_per_band_psnr(run: Run, methods: list[str], path: Path, styles: dict[str, Style],
                       note: str = "", dpi: int = DPI) -> Path:
    """Per-band PSNR (standard convention) of ``methods`` against wavelength, mean over each
    method's scenes in per_band.csv (the legend gives the count where methods differ)."""
    table = run.per_band
    if table is None or table.empty:
        raise FigureSkipped("no per_band.csv in the run directory")
    table = table.assign(method=table["method"].astype(str))
    table = table[table["method"].isin(methods)]
    if table.empty:
        raise FigureSkipped("no method of the figures has per-band PSNR")
    order = [m for m in methods if m in set(table["method"])]
    scenes = table["scene"].nunique()
    counts = table.groupby("method")["scene"].nunique()
    n_bands = table["band"].nunique()
    every = max(1, n_bands // 12)
    fig = new_figure(9.5, 4.4)
    ax = fig.subplots()
    any_wl = False
    for i, m in enumerate(order):
        sel = table[table["method"] == m]
        label = method_label(run, m)
        if counts.nunique() > 1:
            n = int(counts[m])
            label += f" ({n} scene{'s' * (n != 1)})"
        grouped = sel.groupby("band", sort=True).agg(
            psnr=("psnr", "mean"), wl=("wavelength_nm", "mean"))
        use_wl = np.isfinite(grouped["wl"].to_numpy(dtype=float)).all()
        any_wl |= use_wl
        x = grouped["wl"].to_numpy(float) if use_wl else grouped.index.to_numpy(float)
        xs, ys = break_gaps(x, grouped["psnr"].to_numpy(float))
        s = styles[m]
        ax.plot(xs, ys, color=s.colour, linestyle=s.linestyle, marker=s.marker,
                markevery=(i % every, every), markersize=4, linewidth=1.3, label=wrap(label, 2.2, 8))
    ax.set_xlabel("wavelength (nm)" if any_wl else "band index")
    ax.set_ylabel("PSNR (dB), standard convention")
    ax.set_title(f"Per-band PSNR, mean over scenes ({scenes} in per_band.csv)", fontsize=10)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside right center", fontsize=8)
    add_note(fig, note)
    return save_png(fig, path, dpi)


def _overlaps(box: Bbox, others: list[Bbox]) -> float:
    """Total area of ``box`` shared with ``others`` (display units)."""
    total = 0.0
    for o in others:
        w = min(box.x1, o.x1) - max(box.x0, o.x0)
        h = min(box.y1, o.y1) - max(box.y0, o.y0)
        total += max(w, 0.0) * max(h, 0.0)
    return total


def place_labels(ax: Axes, labels: list[tuple[str, float, float, float]]) -> None:
    """Annotate (text, x, y, marker radius in points) so that labels overlap neither each other
    nor the markers nor the axes' edge: each takes the first of eight positions around its point
    that is free (else the least covered one). The figure's layout is final after this (every
    other artist must be in place)."""
    fig = ax.figure
    fig.canvas.draw()
    fig.set_layout_engine("none")  # the positions below are measured in this layout
    renderer = fig.canvas.get_renderer()
    to_px = fig.dpi / 72
    markers = []
    for _, x, y, r in labels:
        cx, cy = ax.transData.transform((x, y))
        markers.append(Bbox.from_extents(cx - r * to_px, cy - r * to_px, cx + r * to_px,
                                         cy + r * to_px))
    frame = ax.get_window_extent(renderer).padded(-4 * to_px)  # clear of the axes' lines
    placed: list[Bbox] = []
    for (text, x, y, r), own in zip(labels, markers, strict=True):
        d = r + 3
        best = None
        for dx, dy, ha, va in ((d, 0, "left", "center"), (-d, 0, "right", "center"),
                               (0, d, "center", "bottom"), (0, -d, "center", "top"),
                               (d, d, "left", "bottom"), (-d, d, "right", "bottom"),
                               (d, -d, "left", "top"), (-d, -d, "right", "top")):
            note = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                               ha=ha, va=va, fontsize=8)
            box = note.get_window_extent(renderer)
            cost = _overlaps(box, placed + [m for m in markers if m is not own])
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 \
                and box.y1 <= frame.y1
            cost += 0.0 if inside else box.width * box.height
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, note, box)
            else:
                note.remove()
            if cost == 0:
                break
        placed.append(best[2])


def plot_psnr_vs_gmacs(run: Run, methods: list[str], path: Path, styles: dict[str, Style],
                       convention: str = "paper", counter: str = "hooks", note: str = "",
                       dpi: int = DPI) -> Path:
    """Measured PSNR of ``methods`` against GMACs (filled, area ∝ params), the papers' points
    hollow in the same marker, each labelled; methods without a count or a PSNR are named in
    the note.

    counter: "hooks" or "fvcore"; falls back to the other when no method has the first.
    PSNR is taken from the rows' first dataset (a run normally has one).
    """
    if counter not in GMACS_AXES:
        raise ValueError(f"counter must be one of {', '.join(GMACS_AXES)}, got {counter!r}")
    dataset = (dataset_names(run.rows) or [None])[0]
    for name in (counter, *(c for c in GMACS_AXES if c != counter)):
        column, axis_label = GMACS_AXES[name]
        points, missing = [], []
        for m in methods:
            gmacs = cost_value(run.rows, m, column)
            psnr = measured(run.rows, m, "psnr", convention, dataset).mean
            if math.isfinite(gmacs) and gmacs > 0 and math.isfinite(psnr):
                points.append((m, gmacs, psnr, cost_value(run.rows, m, "params_total") / 1e6))
            else:
                missing.append(f"{method_label(run, m)} (" + (
                    "no FLOP count" if not (math.isfinite(gmacs) and gmacs > 0) else "no PSNR")
                    + ")")
        if points:
            break
    else:
        raise FigureSkipped("no method has both a positive GMACs count and a measured PSNR"
                            + (f" ({note.strip()})" if note else ""))
    published = []
    for m in methods:
        pub = select_published(run, m) or {}
        if all(isinstance(pub.get(k), int | float) for k in ("flops_g", "psnr")):
            published.append((m, float(pub["flops_g"]), float(pub["psnr"]),
                              pub.get("params_m") if isinstance(pub.get("params_m"), int | float)
                              else math.nan))
    sizes = [p[3] for p in points + published if math.isfinite(p[3]) and p[3] > 0]
    scale = 700.0 / max(sizes) if sizes else 0.0

    def area(params_m: float) -> float:
        return max(30.0, scale * params_m) if math.isfinite(params_m) else 60.0

    fig = new_figure(8.5, 5.4)
    ax = fig.subplots()
    labels = []
    measured_at = {m: (g, p) for m, g, p, _ in points}
    for m, g, p, params in points:
        s = styles[m]
        ax.scatter(g, p, s=area(params), color=s.colour, marker=s.marker, alpha=0.8,
                   edgecolor="black", linewidth=0.6, zorder=3)
        text = method_label(run, m) + (f", {params:.2f} M" if math.isfinite(params) else "")
        labels.append((wrap(text, 1.8, 8), g, p, math.sqrt(area(params)) / 2))
    for m, g, p, params in published:
        s = styles[m]
        ax.scatter(g, p, s=area(params), facecolors="none", edgecolors=s.colour, marker=s.marker,
                   linewidth=1.6, zorder=3)
        if m in measured_at:
            mg, mp = measured_at[m]
            ax.plot([mg, g], [mp, p], linestyle=":", color=s.colour, linewidth=1)
        labels.append((wrap(method_label(run, m) + " (published)", 1.8, 8), g, p,
                       math.sqrt(area(params)) / 2))
    xs = [p[1] for p in points + published]
    if max(xs) / min(xs) > 10:
        ax.set_xscale("log")
    ax.scatter([], [], s=60, color="grey", alpha=0.8, edgecolor="black", label="measured")
    if published:
        ax.scatter([], [], s=60, facecolors="none", edgecolors="grey", linewidth=1.6,
                   label="published (papers' data and counters)")
    fig.legend(loc="outside upper center", ncols=2, fontsize=8,
               title="marker area ∝ params; shape and colour: the method", title_fontsize=8)
    shown = [p[0] for p in points]
    extrapolated = extrapolated_methods(run, shown)
    extra = (" (extrapolated: " + ", ".join(method_label(run, m) for m in extrapolated) + ")"
             if extrapolated else "")
    ax.set_xlabel(wrap(f"{axis_label} at {cost_shapes_text(run, shown)}{extra}", 7.5, 9),
                  fontsize=9)
    ax.set_ylabel(f"PSNR (dB), {convention} convention, mean over ok scenes", fontsize=9)
    ax.set_title(f"Quality against compute: {dataset or 'unnamed dataset'}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.margins(x=0.25, y=0.2)
    not_shown = "Not shown: " + ", ".join(missing) + "." if missing else ""
    add_note(fig, joined_note(not_shown, note))
    place_labels(ax, labels)
    return save_png(fig, path, dpi)


def plot_latency(run: Run, methods: list[str], path: Path, styles: dict[str, Style],
                 note: str = "", dpi: int = DPI) -> Path:
    """Median latency per method (bars, the value under each name) with ±IQR/2 error bars and
    the p90 marked; log scale when medians span more than 20x."""
    bars, missing = [], []
    for m in methods:
        median = cost_value(run.rows, m, "latency_median_s")
        if math.isfinite(median) and median > 0:
            bars.append((m, median, cost_value(run.rows, m, "latency_p90_s"),
                         cost_value(run.rows, m, "latency_iqr_s"),
                         cost_value(run.rows, m, "latency_n")))
        else:
            missing.append(method_label(run, m))
    if not bars:
        raise FigureSkipped("no method has a latency measurement")
    fig = new_figure(max(6.0, 1.15 * len(bars) + 2.5), 4.8)
    ax = fig.subplots()
    x = np.arange(len(bars))
    medians = np.array([b[1] for b in bars])
    iqr = np.array([b[3] if math.isfinite(b[3]) else 0.0 for b in bars])
    lower = np.minimum(iqr / 2, medians * 0.999)
    ax.bar(x, medians, color=[styles[b[0]].colour for b in bars], edgecolor="black",
           linewidth=0.6, label="median")
    ax.errorbar(x, medians, yerr=[lower, iqr / 2], fmt="none", ecolor="black", capsize=4,
                label="±IQR/2")
    p90 = np.array([b[2] for b in bars])
    if np.isfinite(p90).any():
        ax.scatter(x, p90, marker="_", s=300, color="black", linewidth=2, zorder=3, label="p90")
    log = medians.max() / medians.min() > 20
    if log:
        ax.set_yscale("log")
    labels = [wrap(method_label(run, b[0]), 1.0, 8) + f"\n{b[1]:.3g} s"
              + (f"\nn={int(b[4])}" if math.isfinite(b[4]) else "") for b in bars]
    ax.set_xticks(x, labels, fontsize=8)
    ax.margins(y=0.08)
    ax.set_ylabel("latency (s)" + (", log scale" if log else ""))
    shapes = {
        f"LR {cost_text(run.rows, b[0], 'latency_lr_shape') or '?'}, "
        f"HR {cost_text(run.rows, b[0], 'latency_hr_shape') or '?'}" for b in bars
    }
    ax.set_xlabel(wrap("input " + "; ".join(sorted(shapes)) + ", batch 1; under each name: "
                       "median seconds, repetitions", fig.get_figwidth() * 0.9, 9), fontsize=9)
    ax.set_title(wrap(f"Latency on {device_text(run)}", fig.get_figwidth() * 0.9, 10),
                 fontsize=10)
    ax.grid(alpha=0.3, axis="y", which="both")
    fig.legend(loc="outside right upper", fontsize=8)
    not_shown = "No latency: " + ", ".join(missing) + "." if missing else ""
    add_note(fig, joined_note(not_shown, note))
    return save_png(fig, path, dpi)
