"""Figures of benchmarks.report and the array helpers behind them."""

from __future__ import annotations

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
        "psnr_vs_gmacs.png", "spectra_scene_a.png"]
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
    assert len(result.written) == 6


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
    assert len(result.written) == 6


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
