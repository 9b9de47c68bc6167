"""Figures of one scene's saved cubes: false colour with a zoom, error and SAM maps, spectra.

Every function takes the run, the scene's cubes (methods already filtered: untrained and
unusable ones are out), a ``note`` naming what was left out (printed under the figure), and
writes one PNG.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.patches import Rectangle

from benchmarks.report.canvas import (
    DPI,
    FigureSkipped,
    add_note,
    add_title,
    new_figure,
    save_png,
    wrap,
)
from benchmarks.report.images import (
    band_stats,
    break_gaps,
    display_bands,
    false_colour,
    spectrum_pixels,
    zoom_window,
)
from benchmarks.report.rundir import Run, SceneCubes
from benchmarks.report.style import Style
from benchmarks.report.summary import method_label
from metrics import abs_error_map, sam_map

ZOOM_COLOUR = "#ffd400"
MAX_COLS = 5  # panels per row of the map grids
MAP_PERCENTILE = 99


def error_maps(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) mean |pred - gt| over bands and (H, W) SAM in degrees (NaN on zero-norm pixels),
    by ``metrics`` under the standard convention. Raise ValueError on NaN or mismatched cubes."""
    p, g = torch.from_numpy(pred)[None], torch.from_numpy(gt)[None]
    return abs_error_map(p, g)[0].numpy(), sam_map(p, g)[0].numpy()


def usable_maps(cubes: SceneCubes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each method's (error map, SAM map), computed once for every scene figure; cubes that the
    metrics reject (e.g. NaN) are removed from ``cubes`` with a line in ``problems``."""
    maps = {}
    for method in list(cubes.preds):
        try:
            maps[method] = error_maps(cubes.preds[method], cubes.gt)
        except ValueError as exc:
            del cubes.preds[method]
            cubes.problems.append(f"{method}: {exc}")
    return maps


def grid(n: int, max_cols: int) -> tuple[int, int]:
    """(rows, cols) for ``n`` panels, at most ``max_cols`` a row."""
    cols = max(1, min(n, max_cols))
    return math.ceil(n / cols), cols


def scene_score(run: Run, method: str, scene: str, convention: str) -> str:
    """``"31.20 dB, SAM 2.15°"`` of ``method`` on ``scene`` from the rows ("" when not scored)."""
    rows = run.rows
    sel = rows[(rows["method"] == method) & (rows["scene"] == scene)
               & (rows["convention"] == convention) & (rows["status"] == "ok")]
    if sel.empty:
        return ""
    psnr, sam = float(sel["psnr"].iloc[0]), float(sel["sam"].iloc[0])
    bits = [f"{psnr:.2f} dB" if math.isfinite(psnr) else "",
            f"SAM {sam:.2f}°" if math.isfinite(sam) else ""]
    return ", ".join(b for b in bits if b)


def plot_false_colour(run: Run, cubes: SceneCubes, maps: dict[str, tuple[np.ndarray, np.ndarray]],
                      path: Path, convention: str = "paper", note: str = "", dpi: int = DPI
                      ) -> Path:
    """GT and each method as false colour (shared GT standardisation, ±2σ), each beside a zoom of
    the window where the methods' median error is largest (the yellow square), scores in the
    panel titles."""
    gt, preds = cubes.gt, cubes.preds
    bands = display_bands(gt.shape[0], cubes.wavelengths_nm)
    stats = band_stats(gt, bands)
    error = np.median([maps[m][0] for m in preds], axis=0) if preds else None
    top, left, size = zoom_window(error, gt.shape[1:])
    panels = [("Ground truth", gt, "")] + [
        (method_label(run, m), p, scene_score(run, m, cubes.scene, convention) or "not scored")
        for m, p in preds.items()
    ]
    nrows, ncols = grid(len(panels), 3)
    panel_w = 4.2
    fig = new_figure(panel_w * ncols, 3.3 * nrows + 1.2)
    cells = np.atleast_1d(fig.subfigures(nrows, ncols, squeeze=False)).ravel()
    for cell, (title, cube, score) in zip(cells, panels, strict=False):
        rgb = false_colour(cube, bands, stats)
        image, zoom = cell.subplots(1, 2, width_ratios=[2, 1])
        image.imshow(rgb, interpolation="nearest")
        image.add_patch(Rectangle((left - 0.5, top - 0.5), size, size, fill=False,
                                  edgecolor=ZOOM_COLOUR, linewidth=1.5))
        image.set_axis_off()
        zoom.imshow(rgb[top:top + size, left:left + size], interpolation="nearest")
        zoom.set_xticks([])
        zoom.set_yticks([])
        for spine in zoom.spines.values():
            spine.set_edgecolor(ZOOM_COLOUR)
            spine.set_linewidth(2)
        cell.suptitle(wrap(f"{title}\n{score}" if score else title, panel_w, 9), fontsize=9)
    for cell in cells[len(panels):]:
        cell.set_visible(False)
    wl = cubes.wavelengths_nm
    band_text = ", ".join(f"{b}" + (f" ({wl[b]:.0f} nm)" if wl is not None else "") for b in bands)
    window = ("where the methods' median error is largest. Scores: PSNR and SAM on this scene, "
              f"{convention} convention." if preds else "at the centre (no method to compare).")
    add_title(fig, f"{cubes.scene}: false colour, bands R,G,B = {band_text}; each band "
                   f"standardised with the GT's mean and σ, clipped at ±2σ. Right of each image: "
                   f"the {size}×{size} px window (yellow) {window}")
    add_note(fig, note)
    return save_png(fig, path, dpi)


def robust_max(maps: list[np.ndarray]) -> float:
    """The shared colour-scale top: the median over the maps of each map's 99th percentile, so
    one method's large errors do not darken every other panel."""
    tops = [float(np.percentile(m[np.isfinite(m)], MAP_PERCENTILE)) for m in maps
            if np.isfinite(m).any()]
    return float(np.median(tops)) if tops and np.median(tops) > 0 else 1.0


def plot_maps(run: Run, cubes: SceneCubes, maps: dict[str, tuple[np.ndarray, np.ndarray]],
              path: Path, kind: str, note: str = "", dpi: int = DPI) -> Path:
    """``kind`` "error" (mean |pred - gt| over bands) or "sam" (spectral angle, degrees) of each
    method, at most five panels a row, on one colour scale (``robust_max``) shown by a colourbar."""
    if not cubes.preds:
        raise FigureSkipped(f"no method cube saved for scene {cubes.scene}")
    index, cmap, unit, what, suffix, title = {
        "error": (0, "magma", "|error| ([0, 1] units)", "mean |error|", "",
                  "absolute error, mean over bands"),
        "sam": (1, "viridis", "spectral angle (degrees)", "mean SAM", "°",
                "spectral angle per pixel"),
    }[kind]
    shown = {m: maps[m][index] for m in cubes.preds}
    vmax = robust_max(list(shown.values()))
    nrows, ncols = grid(len(shown), MAX_COLS)
    panel = 2.6
    fig = new_figure(panel * ncols + 1.3, panel * nrows + 1.4)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    image = None
    for ax, (m, data) in zip(axes, shown.items(), strict=False):
        image = ax.imshow(data, cmap=cmap, vmin=0.0, vmax=vmax, interpolation="nearest")
        mean = float(np.nanmean(data)) if np.isfinite(data).any() else math.nan
        ax.set_title(wrap(f"{method_label(run, m)}\n{what} {mean:.3g}{suffix}", panel, 9),
                     fontsize=9)
        ax.set_axis_off()
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    fig.colorbar(image, ax=list(axes[:len(shown)]), label=f"{unit}, 0 to {vmax:.3g}",
                 extend="max", shrink=0.8)
    add_title(fig, f"{cubes.scene}: {title} (standard convention). One colour scale: 0 to the "
                   f"median over methods of each map's {MAP_PERCENTILE}th percentile "
                   f"({vmax:.3g}{suffix}); larger values saturate.")
    add_note(fig, note)
    return save_png(fig, path, dpi)


def plot_spectra(run: Run, cubes: SceneCubes, path: Path, styles: dict[str, Style],
                 note: str = "", dpi: int = DPI) -> Path:
    """GT (black) and method spectra at the centre and two quartile pixels, against wavelength;
    the legend sits outside the plots."""
    gt = cubes.gt
    pixels = spectrum_pixels(gt.shape[1:])
    wl = cubes.wavelengths_nm
    x = wl if wl is not None else np.arange(gt.shape[0], dtype=float)
    every = max(1, gt.shape[0] // 12)
    fig = new_figure(4.0 * len(pixels) + 2.4, 3.8)
    axes = fig.subplots(1, len(pixels), squeeze=False)[0]
    for ax, (row, col) in zip(axes, pixels, strict=True):
        xs, ys = break_gaps(x, gt[:, row, col])
        ax.plot(xs, ys, color="black", linewidth=2.2, label="Ground truth")
        for i, (m, pred) in enumerate(cubes.preds.items()):
            s = styles[m]
            xs, ys = break_gaps(x, pred[:, row, col])
            ax.plot(xs, ys, color=s.colour, linestyle=s.linestyle, marker=s.marker,
                    markevery=(i % every, every), markersize=4, linewidth=1.2,
                    label=method_label(run, m))
        ax.set_title(f"pixel (row {row}, col {col})", fontsize=10)
        ax.set_xlabel("wavelength (nm)" if wl is not None else "band index")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("value ([0, 1] units)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, [wrap(t, 2.2, 8) for t in labels], loc="outside right center", fontsize=8)
    fig.suptitle(f"{cubes.scene}: spectra at the centre and quartile pixels", fontsize=10)
    add_note(fig, note)
    return save_png(fig, path, dpi)
