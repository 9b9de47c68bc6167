"""Figures of benchmarks.report and the array helpers behind them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.report import load_run, write_figures
from benchmarks.report.images import (
    break_gaps,
    display_bands,
    false_colour,
    spectrum_pixels,
    zoom_window,
)

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def test_write_figures_writes_every_figure_as_png(run_dir: Path) -> None:
    result = write_figures(load_run(run_dir), dpi=60)
    assert result.skipped == []
    assert sorted(p.name for p in result.written) == [
        "error_maps_scene_a.png", "false_colour_scene_a.png", "latency.png", "per_band_psnr.png",
        "psnr_vs_gmacs.png", "sam_maps_scene_a.png", "spectra_scene_a.png"]
    for path in result.written:
        assert path.parent == run_dir / "figures"
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2000
    assert not list((run_dir / "figures").glob(".*"))


def test_missing_inputs_skip_figures_with_notices(run_dir: Path) -> None:
    shutil.rmtree(run_dir / "fused")
    (run_dir / "per_band.csv").unlink()
    rows = pd.read_csv(run_dir / "rows.csv")
    for col in ("gmacs_hooks", "gmacs_fvcore", "latency_median_s"):
        rows[col] = np.nan
    rows.to_csv(run_dir / "rows.csv", index=False)
    result = write_figures(load_run(run_dir), dpi=60)
    assert result.written == []
    assert len(result.skipped) == 4
    assert all("\n" not in line and "skipped" in line for line in result.skipped)


def test_misshapen_method_cube_is_left_out_with_a_notice(run_dir: Path) -> None:
    np.savez(run_dir / "fused" / "scene_a__bicubic.npz", fused=np.zeros((8, 4, 4), np.float32))
    result = write_figures(load_run(run_dir), dpi=60)
    assert any("scene_a__bicubic.npz" in line and "differs from gt" in line
               for line in result.skipped)
    assert len(result.written) == 7


def test_display_bands_uses_aviris_bands_for_172_and_else_nearest_wavelengths() -> None:
    assert display_bands(172, np.linspace(400, 2500, 172)) == (25, 15, 6)
    assert display_bands(8, np.linspace(420, 900, 8)) == (3, 2, 0)
    assert display_bands(9) == (6, 4, 2)


def test_false_colour_standardises_and_clips_at_two_sigma() -> None:
    cube = np.zeros((3, 10, 10), np.float32)
    cube[:, 0, 0] = 100.0  # an outlier far beyond 2σ
    rgb = false_colour(cube, (0, 1, 2))
    assert rgb.shape == (10, 10, 3)
    assert rgb[0, 0].tolist() == [1.0, 1.0, 1.0]
    mean, std = cube[0].mean(), cube[0].std()
    assert rgb[5, 5, 0] == pytest.approx((np.clip((0 - mean) / std, -2, 2) + 2) / 4)
    shared = false_colour(cube * 2, (0, 1, 2), stats=(np.zeros(3), np.full(3, 100.0)))
    assert shared[0, 0, 0] == 1.0 and shared[5, 5, 0] == 0.5


def test_nan_method_cube_is_left_out_of_scene_figures(run_dir: Path) -> None:
    cube = np.load(run_dir / "fused" / "scene_a__hssdct.npz")["fused"]
    cube[0, 0, 0] = np.nan
    np.savez(run_dir / "fused" / "scene_a__hssdct.npz", fused=cube)
    result = write_figures(load_run(run_dir), dpi=60)
    assert any(line.startswith("scene figures: left out hssdct:") for line in result.skipped)
    assert len(result.written) == 7


def test_zoom_window_covers_the_largest_error() -> None:
    error = np.zeros((24, 24))
    error[18:22, 2:6] = 1.0
    assert zoom_window(error, (24, 24)) == (18, 2, 4)
    assert zoom_window(None, (24, 24)) == (10, 10, 4)


def test_spectrum_pixels_are_centre_and_quartiles() -> None:
    assert spectrum_pixels((16, 20)) == [(8, 10), (4, 5), (12, 15)]


def test_break_gaps_inserts_nan_at_removed_bands() -> None:
    x, y = break_gaps(np.array([400, 410, 420, 500, 510]), np.arange(5))
    assert np.isnan(x[3]) and np.isnan(y[3]) and x.size == 6


# ---- figures fit for a paper: 13 methods, nothing clipped or overprinted, left-out methods named

LABELS = {"bicubic": "Bicubic", "cnmf": "CNMF", "fusformer": "Fusformer",
          "fusionmamba": "FusionMamba", "gsa": "GSA", "hssdct": "HSSDCT", "hysure": "HySure",
          "mtf_glp_hs": "MTF-GLP-HS", "psrt": "PSRT",
          "qrcode": "QRCODE-style (re-implemented; no official code)",
          "qrcode_noanchor": "QRCODE-style w/o convex anchor", "sfim": "SFIM-HS",
          "ssrnet": "SSR-Net"}
CLASSICAL = {"bicubic", "cnmf", "gsa", "hysure", "mtf_glp_hs", "sfim"}
BAD, UNTRAINED, FAILED = "psrt", "ssrnet", "fusformer"


def thirteen_method_run(tmp_path: Path) -> Path:
    """The fixture's run grown to the 13 registry methods: varied quality, cost and latency; one
    method with errors 20x the others' (BAD), one untrained, one failed everywhere; classical
    methods have no FLOP count."""
    dest = tmp_path / "run13"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    rows = pd.read_csv(dest / "rows.csv")
    template = rows[rows["method"] == "hssdct"]
    per_band = pd.read_csv(dest / "per_band.csv")
    band_template = per_band[per_band["method"] == "hssdct"]
    gt = np.load(dest / "fused" / "scene_a__gt.npz")["gt"]
    for f in (dest / "fused").glob("scene_a__*.npz"):
        if not f.name.endswith("__gt.npz"):
            f.unlink()
    rng = np.random.default_rng(0)
    frames, bands = [], []
    for i, m in enumerate(LABELS):
        mine = template.assign(method=m, label=LABELS[m], psnr=template["psnr"] - 0.7 * i,
                               gmacs_hooks=np.nan if m in CLASSICAL else 20.0 * (i + 1),
                               gmacs_fvcore=np.nan if m in CLASSICAL else 25.0 * (i + 1),
                               latency_median_s=0.01 * 1.8 ** i, latency_p90_s=0.012 * 1.8 ** i,
                               latency_iqr_s=0.002 * 1.8 ** i,
                               weights="untrained" if m == UNTRAINED else "trained")
        if m == FAILED:
            mine = mine.assign(status="error", error="RuntimeError: out of memory", psnr=np.nan)
        frames.append(mine)
        bands.append(band_template.assign(method=m, psnr=band_template["psnr"] - 0.7 * i))
        sigma = 0.2 if m == BAD else 0.005 * (1 + i % 4)
        if m != FAILED:
            pred = np.clip(gt + rng.normal(0, sigma, gt.shape), 0, 1).astype(np.float32)
            np.savez(dest / "fused" / f"scene_a__{m}.npz", fused=pred)
    pd.concat(frames).to_csv(dest / "rows.csv", index=False)
    pd.concat(bands).to_csv(dest / "per_band.csv", index=False)
    info = json.loads((dest / "run.json").read_text())
    info["methods"] = list(LABELS)
    (dest / "run.json").write_text(json.dumps(info))
    return dest


def overlapping(boxes: list[tuple[str, object]]) -> list[tuple[str, str]]:
    pairs = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            if box_a.overlaps(box_b):
                pairs.append((a, b))
    return pairs


@pytest.fixture
def drawn(monkeypatch):
    """Every figure saved during the test: (figure, texts past its canvas) per save."""
    from benchmarks.report import canvas

    seen = []
    original = canvas.texts_outside

    def record(fig):
        outside = original(fig)
        seen.append((fig, outside))
        return outside

    monkeypatch.setattr(canvas, "texts_outside", record)
    return seen


def title_boxes(fig) -> list[tuple[str, object]]:
    """Axes titles and x tick labels, annotations and subfigure titles with their extents."""
    from matplotlib.text import Annotation

    renderer = fig.canvas.get_renderer()
    texts = [ax.title for ax in fig.get_axes()]
    for ax in fig.get_axes():
        low, high = sorted(ax.get_xlim())
        texts += [label for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)
                  if ax.get_visible() and ax.axison and low <= tick <= high]  # drawn ones only
    texts += [t for t in fig.findobj(Annotation)]
    texts += [sub._suptitle for sub in fig.subfigs if sub._suptitle is not None]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts
            if t.get_visible() and t.get_text().strip()]


def labels_outside_their_axes(fig) -> list[str]:
    """Annotations (point labels) that reach past the frame of the axes they label."""
    from matplotlib.text import Annotation

    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.get_axes():
        frame = ax.get_window_extent(renderer).padded(-2)  # clear of the frame's lines
        for note in ax.findobj(Annotation):
            box = note.get_window_extent(renderer)
            if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y0 < frame.y0 or box.y1 > frame.y1:
                out.append(note.get_text())
    return out


@pytest.mark.parametrize("methods", [1, 2, 13])
def test_no_text_is_clipped_or_overprinted(tmp_path: Path, drawn, methods: int) -> None:
    run_dir = thirteen_method_run(tmp_path)
    if methods < 13:
        keep = ["hssdct", "bicubic"][:methods]
        rows = pd.read_csv(run_dir / "rows.csv")
        rows[rows["method"].isin(keep)].to_csv(run_dir / "rows.csv", index=False)
        info = json.loads((run_dir / "run.json").read_text())
        info["methods"] = keep
        (run_dir / "run.json").write_text(json.dumps(info))
    result = write_figures(load_run(run_dir), dpi=60)
    assert len(result.written) == 7 and len(drawn) == 7
    for fig, outside in drawn:
        name = fig.get_suptitle() or fig.axes[0].get_title()
        assert outside == [], f"{name}: text past the canvas: {outside}"
        assert overlapping(title_boxes(fig)) == [], name
        assert labels_outside_their_axes(fig) == [], name


def test_map_grids_hold_at_most_five_panels_a_row_on_a_robust_scale(tmp_path: Path) -> None:
    from benchmarks.report.scene_figures import robust_max

    result = write_figures(load_run(thirteen_method_run(tmp_path)), dpi=60)
    maps = [p for p in result.written if p.name.startswith(("error_maps", "sam_maps"))]
    assert len(maps) == 2
    for path in maps:
        width = int.from_bytes(path.read_bytes()[16:20], "big")
        assert width <= (5 * 2.6 + 1.3) * 60 + 2
    rng = np.random.default_rng(1)
    good = [rng.uniform(0, 0.01, (8, 8)) for _ in range(11)]
    assert robust_max(good + [np.full((8, 8), 0.5)]) < 0.011


def test_every_left_out_method_is_named_under_the_figures(tmp_path: Path, drawn) -> None:
    write_figures(load_run(thirteen_method_run(tmp_path)), dpi=60)
    notes = {(fig.get_suptitle() or fig.axes[0].get_title())[:30]: fig._supxlabel.get_text()
             .replace("\n", " ") if fig._supxlabel else "" for fig, _ in drawn}
    quality = {k: v for k, v in notes.items() if "Latency" not in k}
    assert len(quality) == 6
    for title, note in quality.items():
        assert "SSR-Net (untrained weights)" in note and "Fusformer (f" in note, title
    latency = next(fig for fig, _ in drawn if "Latency" in fig.axes[0].get_title())
    ticks = " ".join(t.get_text() for t in latency.axes[0].get_xticklabels())
    assert "SSR-Net" in ticks and "Fusformer" in ticks  # weights do not change latency
    gmacs = next(v for k, v in notes.items() if k.startswith("Quality against compute"))
    for m in CLASSICAL:
        assert f"{LABELS[m]} (no FLOP count)" in gmacs


def test_methods_differ_in_marker_as_well_as_colour() -> None:
    from benchmarks.report.style import method_styles

    styles = method_styles(list(LABELS))
    assert len({s.marker for s in styles.values()}) == 13
    assert len({s.colour for s in styles.values()}) == 13
