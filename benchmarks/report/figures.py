"""The report's figures, rendered with matplotlib's Agg canvas into ``<run>/figures/`` (PNG).

From the saved cubes of one figure scene (``scene_figures``): false colour with zooms, error maps,
SAM maps, spectra. From the rows and per_band.csv (``chart_figures``): per-band PSNR, PSNR
against GMACs, latency; from ``<run>/curves/``: learning curves. Methods with untrained weights
are left out of every figure of quality (latency does not depend on weights), failed or unusable
ones out of the figures they cannot feed, and each figure names them in a note under it. A
figure whose inputs are missing is skipped with a one-line notice (``FigureSkipped``), never a
crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report.canvas import DPI, FigureSkipped
from benchmarks.report.chart_figures import plot_latency, plot_per_band_psnr, plot_psnr_vs_gmacs
from benchmarks.report.learning import CURVES, plot_run_curves
from benchmarks.report.rundir import Run, RunDirError, SceneCubes, load_scene_cubes
from benchmarks.report.scene_figures import (
    plot_false_colour,
    plot_maps,
    plot_spectra,
    usable_maps,
)
from benchmarks.report.style import Style, method_styles
from benchmarks.report.summary import method_label, method_order, untrained_names

__all__ = ["FigureResult", "FigureSkipped", "write_figures"]


@dataclass
class FigureResult:
    """Paths written, and one notice line per figure skipped or input left out."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run_styles(run: Run) -> dict[str, Style]:
    """One style per method of the run (rows first, then per_band.csv), shared by every figure."""
    names = method_order(run)
    if run.per_band is not None:
        names += [m for m in dict.fromkeys(run.per_band["method"].astype(str)) if m not in names]
    return method_styles(names)


def failed_everywhere(run: Run, methods: list[str]) -> list[str]:
    """Methods without a single ok row."""
    rows = run.rows
    return [m for m in methods if not (rows.loc[rows["method"] == m, "status"] == "ok").any()]


def left_out_note(run: Run, reasons: dict[str, str]) -> str:
    """``"Left out: A (untrained weights), B (failed)."`` or ""."""
    if not reasons:
        return ""
    return "Left out: " + ", ".join(f"{method_label(run, m)} ({why})"
                                    for m, why in reasons.items()) + "."


def scene_reasons(run: Run, cubes: SceneCubes, candidates: list[str]) -> dict[str, str]:
    """Why each candidate has no cube in ``cubes``: failed on the scene, unusable, or not saved."""
    rows = run.rows
    unusable = {p.split(":", 1)[0] for p in cubes.problems}
    reasons = {}
    for m in candidates:
        if m in cubes.preds:
            continue
        mine = rows[(rows["method"] == m) & (rows["scene"] == cubes.scene)]
        if m in unusable or any(p.startswith(f"{cubes.scene}__{m}.") for p in cubes.problems):
            reasons[m] = "unusable cube"
        elif not mine.empty and not (mine["status"] == "ok").any():
            reasons[m] = "failed on this scene"
        else:
            reasons[m] = "no saved cube"
    return reasons


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

    order = method_order(run)
    styles = run_styles(run)
    untrained = {m: "untrained weights" for m in order if m in untrained_names(run.rows)}
    if untrained:
        result.skipped.append(f"untrained weights, left out of the quality figures: "
                              f"{', '.join(method_label(run, m) for m in untrained)}")
    shown = [m for m in order if m not in untrained]
    failed = {m: "failed" for m in failed_everywhere(run, shown)}
    scored = [m for m in shown if m not in failed]
    note = left_out_note(run, {**untrained, **failed})
    cubes, maps = None, {}
    if scene is None:
        result.skipped.append(f"scene figures: skipped, no fused/<scene>__gt.npz in {run.path}")
    else:
        try:
            cubes = load_scene_cubes(run, scene, shown)
            maps = usable_maps(cubes)
        except (RunDirError, OSError, ValueError) as exc:
            result.skipped.append(f"scene figures: skipped, {exc}")
    if cubes is not None:
        result.skipped += [f"scene figures: left out {p}" for p in cubes.problems]
        scene_note = left_out_note(run, {**untrained, **scene_reasons(run, cubes, shown)})
        safe = cubes.scene
        attempt("false colour", lambda: plot_false_colour(
            run, cubes, maps, out / f"false_colour_{safe}.png", convention, scene_note, dpi))
        attempt("error maps", lambda: plot_maps(
            run, cubes, maps, out / f"error_maps_{safe}.png", "error", scene_note, dpi))
        attempt("SAM maps", lambda: plot_maps(
            run, cubes, maps, out / f"sam_maps_{safe}.png", "sam", scene_note, dpi))
        attempt("spectra", lambda: plot_spectra(
            run, cubes, out / f"spectra_{safe}.png", styles, scene_note, dpi))
    attempt("per-band PSNR", lambda: plot_per_band_psnr(
        run, scored, out / "per_band_psnr.png", styles, note, dpi))
    attempt("PSNR vs GMACs", lambda: plot_psnr_vs_gmacs(
        run, scored, out / "psnr_vs_gmacs.png", styles, convention, note=note, dpi=dpi))
    attempt("latency", lambda: plot_latency(  # weights do not change latency: every method
        run, order, out / "latency.png", styles, "", dpi))
    if (run.path / CURVES).is_dir():  # only a --profile train run has curves
        attempt("learning curves", lambda: plot_run_curves(run, out / "learning_curves.png", dpi))
    return result
