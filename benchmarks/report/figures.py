"""The report's figures, rendered with matplotlib's Agg canvas into ``<run>/figures/`` (PNG).

From the saved cubes of one figure scene: false-colour composites with a zoomed inset, error and
SAM maps, spectra at fixed pixels. From per_band.csv: per-band PSNR. From the rows: PSNR against
GMACs (published points hollow) and latency. A figure whose inputs are missing is skipped with a
one-line notice (``FigureSkipped``), never a crash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from matplotlib.patches import Rectangle

from benchmarks.report.canvas import DPI, FigureSkipped, new_figure, save_png
from benchmarks.report.images import (
    band_stats,
    break_gaps,
    display_bands,
    false_colour,
    spectrum_pixels,
    zoom_window,
)
from benchmarks.report.learning import CURVES, plot_run_curves
from benchmarks.report.rundir import Run, RunDirError, SceneCubes, load_scene_cubes
from benchmarks.report.summary import (
    cost_shapes_text,
    cost_text,
    cost_value,
    dataset_names,
    device_text,
    extrapolated_methods,
    measured,
    method_label,
    method_order,
    select_published,
    untrained_methods,
    untrained_names,
)
from benchmarks.schema import REAL_QUALITY
from metrics import abs_error_map, sam_map

ZOOM_COLOUR = "#ffd400"
COUNTERS = {  # name -> (column, axis label)
    "hooks": ("gmacs_hooks", "GMac, module hooks (ptflops-style, 1 MAC = 1)"),
    "fvcore": ("gmacs_fvcore", "GMAC, fvcore (1 MAC = 1)"),
}


@dataclass
class FigureResult:
    """Paths written, and one notice line per figure skipped or input left out."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def method_colours(run: Run) -> dict[str, tuple[float, float, float, float]]:
    """A fixed colour per method (run order, tab10 then tab20), shared by every figure."""
    from matplotlib import colormaps

    names = method_order(run)
    if run.per_band is not None:
        names += [m for m in dict.fromkeys(run.per_band["method"].astype(str)) if m not in names]
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {m: cmap(i % cmap.N) for i, m in enumerate(names)}


def error_maps(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) mean |pred - gt| over bands and (H, W) SAM in degrees (NaN on zero-norm pixels),
    by ``metrics`` under the standard convention. Raise ValueError on NaN or mismatched cubes."""
    p, g = torch.from_numpy(pred)[None], torch.from_numpy(gt)[None]
    return abs_error_map(p, g)[0].numpy(), sam_map(p, g)[0].numpy()


def drop_unusable(cubes: SceneCubes) -> None:
    """Remove method cubes that the metrics reject (e.g. NaN), with a line in ``problems``."""
    for method in list(cubes.preds):
        try:
            error_maps(cubes.preds[method], cubes.gt)
        except ValueError as exc:
            del cubes.preds[method]
            cubes.problems.append(f"{method}: {exc}")


def _scene_score(run: Run, method: str, scene: str, convention: str) -> str:
    rows = run.rows
    sel = rows[(rows["method"] == method) & (rows["scene"] == scene)
               & (rows["convention"] == convention) & (rows["status"] == "ok")]
    if sel.empty:
        return ""
    psnr, sam = float(sel["psnr"].iloc[0]), float(sel["sam"].iloc[0])
    bits = [f"{psnr:.2f} dB" if math.isfinite(psnr) else "", f"SAM {sam:.2f}°"
            if math.isfinite(sam) else ""]
    return ", ".join(b for b in bits if b)


def _grid(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def plot_false_colour(run: Run, cubes: SceneCubes, path: Path, convention: str = "paper",
                      dpi: int = DPI) -> Path:
    """GT and each method as false colour (shared GT standardisation, ±2σ), with a zoomed inset
    of the window where the methods' mean error is largest (marked on every panel)."""
    gt, preds = cubes.gt, cubes.preds
    bands = display_bands(gt.shape[0], cubes.wavelengths_nm)
    stats = band_stats(gt, bands)
    error = np.mean([error_maps(p, gt)[0] for p in preds.values()], axis=0) if preds else None
    top, left, size = zoom_window(error, gt.shape[1:])
    panels = [("Ground truth", gt, "")] + [
        (method_label(run, m), p, _scene_score(run, m, cubes.scene, convention))
        for m, p in preds.items()
    ]
    nrows, ncols = _grid(len(panels))
    fig = new_figure(3.2 * ncols, 3.5 * nrows + 0.5)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    h, w = gt.shape[1:]
    inset_x = 0.56 if left + size / 2 < w / 2 else 0.02
    inset_y = 0.02 if top + size / 2 < h / 2 else 0.56
    for ax, (title, cube, score) in zip(axes, panels, strict=False):
        rgb = false_colour(cube, bands, stats)
        ax.imshow(rgb, interpolation="nearest")
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False,
                               edgecolor=ZOOM_COLOUR, linewidth=1.5))
        inset = ax.inset_axes([inset_x, inset_y, 0.42, 0.42])
        inset.imshow(rgb[top:top + size, left:left + size], interpolation="nearest")
        inset.set_xticks([])
        inset.set_yticks([])
        for spine in inset.spines.values():
            spine.set_edgecolor(ZOOM_COLOUR)
            spine.set_linewidth(1.5)
        ax.set_title(f"{title}\n{score}" if score else title, fontsize=10)
        ax.set_axis_off()
    for ax in axes[len(panels):]:
        ax.set_axis_off()
    wl = cubes.wavelengths_nm
    band_text = ", ".join(
        f"{b}" + (f" ({wl[b]:.0f} nm)" if wl is not None else "") for b in bands
    )
    fig.suptitle(f"{cubes.scene}: false colour, bands R,G,B = {band_text}; each band standardised "
                 f"with the GT's mean and σ, clipped at ±2σ\ninset: the {size}×{size} px window "
                 f"(yellow) of largest mean error; scores: {convention} convention", fontsize=9)
    save_png(fig, path, dpi)
    return path


def plot_error_maps(run: Run, cubes: SceneCubes, path: Path, dpi: int = DPI) -> Path:
    """Per method: mean |pred - gt| over bands (top row) and SAM in degrees (bottom row), both
    from ``metrics`` (standard convention), each row on one colour scale (up to the largest 99th
    percentile) with a colourbar."""
    if not cubes.preds:
        raise FigureSkipped(f"no method cube saved for scene {cubes.scene}")
    names = list(cubes.preds)
    maps_of = {m: error_maps(cubes.preds[m], cubes.gt) for m in names}
    errs = {m: maps_of[m][0] for m in names}
    sams = {m: maps_of[m][1] for m in names}
    fig = new_figure(2.9 * len(names) + 1.2, 6.2)
    axes = fig.subplots(2, len(names), squeeze=False)
    for r, (maps, cmap, unit, what) in enumerate((
        (errs, "magma", "|error| ([0, 1] units)", "mean |err|"),
        (sams, "viridis", "SAM (degrees)", "mean SAM"),
    )):
        finite = [m[np.isfinite(m)] for m in maps.values() if np.isfinite(m).any()]
        vmax = max((float(np.percentile(f, 99)) for f in finite), default=1.0) or 1.0
        image = None
        for c, m in enumerate(names):
            ax = axes[r, c]
            image = ax.imshow(maps[m], cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
            mean = float(np.nanmean(maps[m])) if np.isfinite(maps[m]).any() else math.nan
            suffix = "°" if r else ""
            ax.set_title(f"{method_label(run, m)}\n{what} {mean:.3g}{suffix}", fontsize=10)
            ax.set_axis_off()
        fig.colorbar(image, ax=list(axes[r, :]), label=unit, extend="max", shrink=0.9)
    fig.suptitle(f"{cubes.scene}: absolute error (mean over bands) and spectral angle, "
                 "shared colour scale per row", fontsize=10)
    save_png(fig, path, dpi)
    return path


def plot_spectra(run: Run, cubes: SceneCubes, path: Path, dpi: int = DPI) -> Path:
    """GT and method spectra at the centre and two quartile pixels, against wavelength."""
    gt = cubes.gt
    pixels = spectrum_pixels(gt.shape[1:])
    wl = cubes.wavelengths_nm
    x = wl if wl is not None else np.arange(gt.shape[0], dtype=float)
    colours = method_colours(run)
    marker = "o" if gt.shape[0] <= 32 else None
    fig = new_figure(4.3 * len(pixels), 3.6)
    axes = fig.subplots(1, len(pixels), squeeze=False)[0]
    for ax, (row, col) in zip(axes, pixels, strict=True):
        xs, ys = break_gaps(x, gt[:, row, col])
        ax.plot(xs, ys, color="black", linewidth=2.2, label="Ground truth", marker=marker,
                markersize=3)
        for m, pred in cubes.preds.items():
            xs, ys = break_gaps(x, pred[:, row, col])
            ax.plot(xs, ys, color=colours.get(m), linewidth=1.2, label=method_label(run, m),
                    marker=marker, markersize=2.5)
        ax.set_title(f"pixel (row {row}, col {col})", fontsize=10)
        ax.set_xlabel("wavelength (nm)" if wl is not None else "band index")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value ([0, 1] units)")
    axes[-1].legend(fontsize=8, loc="best")
    fig.suptitle(f"{cubes.scene}: spectra at the centre and quartile pixels", fontsize=10)
    save_png(fig, path, dpi)
    return path


def plot_per_band_psnr(run: Run, path: Path, dpi: int = DPI) -> Path:
    """Per-band PSNR (standard convention) against wavelength, mean over each method's scenes
    in per_band.csv (the legend gives the count where methods differ)."""
    table = run.per_band
    if table is None or table.empty:
        raise FigureSkipped("no per_band.csv in the run directory")
    table = table.assign(method=table["method"].astype(str))
    table = table[~table["method"].isin(untrained_names(run.rows))]
    if table.empty:
        raise FigureSkipped("every method in per_band.csv has untrained weights")
    scenes = table["scene"].nunique()
    colours = method_colours(run)
    order = [m for m in method_order(run) if m in set(table["method"])]
    order += [m for m in dict.fromkeys(table["method"]) if m not in order]
    counts = table.groupby("method")["scene"].nunique()
    marker = "o" if table["band"].nunique() <= 32 else None
    fig = new_figure(7.5, 4.2)
    ax = fig.subplots()
    any_wl = False
    for m in order:
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
        ax.plot(xs, ys, color=colours.get(m), label=label, linewidth=1.4, marker=marker,
                markersize=3)
    ax.set_xlabel("wavelength (nm)" if any_wl else "band index")
    ax.set_ylabel("PSNR (dB), standard convention")
    ax.set_title(f"Per-band PSNR, mean over scenes ({scenes} in per_band.csv)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save_png(fig, path, dpi)
    return path


def plot_psnr_vs_gmacs(run: Run, path: Path, convention: str = "paper", counter: str = "hooks",
                       dpi: int = DPI) -> Path:
    """Measured PSNR against GMACs (filled, area ∝ params), published points hollow.

    counter: "hooks" or "fvcore"; falls back to the other when no method has the first.
    PSNR is taken from the rows' first dataset (a run normally has one).
    """
    if counter not in COUNTERS:
        raise ValueError(f"counter must be one of {', '.join(COUNTERS)}, got {counter!r}")
    methods = method_order(run)
    dataset = (dataset_names(run.rows) or [None])[0]
    for name in (counter, *(c for c in COUNTERS if c != counter)):
        column, axis_label = COUNTERS[name]
        points = []
        for m in methods:
            gmacs = cost_value(run.rows, m, column)
            psnr = measured(run.rows, m, "psnr", convention, dataset).mean
            if math.isfinite(gmacs) and gmacs > 0 and math.isfinite(psnr):
                points.append((m, gmacs, psnr, cost_value(run.rows, m, "params_total") / 1e6))
        if points:
            break
    else:
        untrained = untrained_methods(run, methods)
        why = (f" (untrained weights, left out: {', '.join(untrained)}; {REAL_QUALITY})"
               if untrained else "")
        raise FigureSkipped(f"no method has both a positive GMACs count and a measured PSNR{why}")
    published = []
    for m in methods:
        pub = select_published(run, m) or {}
        if all(isinstance(pub.get(k), int | float) for k in ("flops_g", "psnr")):
            published.append((m, float(pub["flops_g"]), float(pub["psnr"]),
                              pub.get("params_m") if isinstance(pub.get("params_m"), int | float)
                              else math.nan))
    sizes = [p[3] for p in points + published if math.isfinite(p[3]) and p[3] > 0]
    scale = 900.0 / max(sizes) if sizes else 0.0

    def area(params_m: float) -> float:
        return max(25.0, scale * params_m) if math.isfinite(params_m) else 60.0

    colours = method_colours(run)
    measured_at = {m: (g, p) for m, g, p, _ in points}
    fig = new_figure(7.2, 5.0)
    ax = fig.subplots()
    for m, g, p, params in points:
        ax.scatter(g, p, s=area(params), color=colours[m], alpha=0.75, edgecolor="black",
                   linewidth=0.6, zorder=3)
        text = method_label(run, m) + (f"\n{params:.2f} M" if math.isfinite(params) else "")
        offset = math.sqrt(area(params)) / 2 + 3
        ax.annotate(text, (g, p), xytext=(offset, 0), textcoords="offset points", fontsize=8,
                    va="center")
    for m, g, p, params in published:
        ax.scatter(g, p, s=area(params), facecolors="none", edgecolors=colours[m], linewidth=1.6,
                   zorder=3)
        if m in measured_at:
            mg, mp = measured_at[m]
            ax.plot([mg, g], [mp, p], linestyle=":", color=colours[m], linewidth=1)
        else:
            ax.annotate(method_label(run, m) + " (pub.)", (g, p), va="center",
                        xytext=(math.sqrt(area(params)) / 2 + 3, 0), textcoords="offset points",
                        fontsize=8)
    xs = [p[1] for p in points + published]
    if max(xs) / min(xs) > 10:
        ax.set_xscale("log")
    ax.scatter([], [], s=60, color="grey", alpha=0.75, edgecolor="black", label="measured")
    if published:
        ax.scatter([], [], s=60, facecolors="none", edgecolors="grey", linewidth=1.6,
                   label="published (papers' data and counters)")
    ax.legend(fontsize=8, loc="lower right", title="marker area ∝ params", title_fontsize=8)
    shown = [p[0] for p in points]
    extrapolated = extrapolated_methods(run, shown)
    note = " (extrapolated: " + ", ".join(method_label(run, m) for m in extrapolated) + ")" \
        if extrapolated else ""
    ax.set_xlabel(f"{axis_label}\nat {cost_shapes_text(run, shown)}{note}", fontsize=9)
    ax.set_ylabel(f"PSNR (dB), {convention} convention, mean over ok scenes")
    ax.set_title(f"Quality against compute: {dataset or 'unnamed dataset'}", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.margins(x=0.15, y=0.12)
    save_png(fig, path, dpi)
    return path


def plot_latency(run: Run, path: Path, dpi: int = DPI) -> Path:
    """Median latency per method (bars) with ±IQR/2 error bars and the p90 marked; log scale
    when medians span more than 20x."""
    bars = []
    for m in method_order(run):
        median = cost_value(run.rows, m, "latency_median_s")
        if math.isfinite(median) and median > 0:
            bars.append((m, median, cost_value(run.rows, m, "latency_p90_s"),
                         cost_value(run.rows, m, "latency_iqr_s"),
                         cost_value(run.rows, m, "latency_n")))
    if not bars:
        raise FigureSkipped("no method has a latency measurement")
    colours = method_colours(run)
    fig = new_figure(max(5.0, 1.3 * len(bars) + 2.5), 4.4)
    ax = fig.subplots()
    x = np.arange(len(bars))
    medians = np.array([b[1] for b in bars])
    iqr = np.array([b[3] if math.isfinite(b[3]) else 0.0 for b in bars])
    lower = np.minimum(iqr / 2, medians * 0.999)
    ax.bar(x, medians, color=[colours[b[0]] for b in bars], edgecolor="black", linewidth=0.6)
    ax.errorbar(x, medians, yerr=[lower, iqr / 2], fmt="none", ecolor="black", capsize=4,
                label="±IQR/2")
    p90 = np.array([b[2] for b in bars])
    if np.isfinite(p90).any():
        ax.scatter(x, p90, marker="_", s=400, color="crimson", linewidth=2, zorder=3, label="p90")
    log = medians.max() / medians.min() > 20
    if log:
        ax.set_yscale("log")
    tops = np.fmax(np.where(np.isfinite(p90), p90, medians), medians + iqr / 2)
    for xi, med, top in zip(x, medians, tops, strict=True):
        ax.annotate(f"{med:.3g} s", (xi, top), xytext=(0, 4), textcoords="offset points",
                    ha="center", va="bottom", fontsize=8)
    labels = [method_label(run, b[0]) + (f"\nn={int(b[4])}" if math.isfinite(b[4]) else "")
              for b in bars]
    ax.set_xticks(x, labels, fontsize=8)
    ax.margins(y=0.08)
    ax.set_ylabel("latency, median (s)" + (", log scale" if log else ""))
    shapes = {
        f"LR {cost_text(run.rows, b[0], 'latency_lr_shape') or '?'}, "
        f"HR {cost_text(run.rows, b[0], 'latency_hr_shape') or '?'}" for b in bars
    }
    ax.set_xlabel("input " + "; ".join(sorted(shapes)) + ", batch 1", fontsize=9)
    ax.set_title(f"Latency on {device_text(run)}", fontsize=10)
    ax.grid(alpha=0.3, axis="y", which="both")
    ax.legend(fontsize=8)
    save_png(fig, path, dpi)
    return path


def write_figures(run: Run, scene: str | None = None, convention: str = "paper",
                  dpi: int = DPI) -> FigureResult:
    """Write every figure into ``run.figures_dir``; skipped ones get a notice line.

    scene: the figure scene (default: the first with ``fused/<scene>__gt.npz``). Raise
    RunDirError when a named scene has no saved GT.
    """
    result = FigureResult()
    out = run.figures_dir
    available = run.figure_scenes()
    if scene is not None and scene not in available:
        raise RunDirError(
            f"--scene {scene}: no {run.fused_dir / (scene + '__gt.npz')}; available: "
            + (", ".join(available) or "none")
        )
    scene = scene or (available[0] if available else None)

    def attempt(name: str, make) -> None:
        try:
            result.written.append(make())
        except FigureSkipped as exc:
            result.skipped.append(f"{name}: skipped, {exc}")

    untrained = untrained_names(run.rows)
    shown = [m for m in method_order(run) if m not in untrained]
    if untrained:
        result.skipped.append("untrained weights, left out of every figure: "
                              + ", ".join(untrained_methods(run, method_order(run))))
    cubes = None
    if scene is None:
        result.skipped.append(f"scene figures: skipped, no fused/<scene>__gt.npz in {run.path}")
    else:
        try:
            cubes = load_scene_cubes(run, scene, shown)
            drop_unusable(cubes)
        except (RunDirError, OSError, ValueError) as exc:
            result.skipped.append(f"scene figures: skipped, {exc}")
    if cubes is not None:
        result.skipped += [f"scene figures: left out {p}" for p in cubes.problems]
        safe = cubes.scene
        attempt("false colour", lambda: plot_false_colour(
            run, cubes, out / f"false_colour_{safe}.png", convention, dpi))
        attempt("error maps", lambda: plot_error_maps(
            run, cubes, out / f"error_maps_{safe}.png", dpi))
        attempt("spectra", lambda: plot_spectra(run, cubes, out / f"spectra_{safe}.png", dpi))
    attempt("per-band PSNR", lambda: plot_per_band_psnr(run, out / "per_band_psnr.png", dpi))
    attempt("PSNR vs GMACs", lambda: plot_psnr_vs_gmacs(
        run, out / "psnr_vs_gmacs.png", convention, dpi=dpi))
    attempt("latency", lambda: plot_latency(run, out / "latency.png", dpi))
    if (run.path / CURVES).is_dir():  # only a --profile train run has curves
        attempt("learning curves", lambda: plot_run_curves(run, out / "learning_curves.png", dpi))
    return result

