"""Read a run directory written by the runner: rows, provenance, published figures, saved cubes.

Layout of ``results/<run-id>/``::

    rows.csv          long-format result rows (columns: ``benchmarks.schema.COLUMNS``)
    run.json          provenance of the run (optional here)
    published.json    the registry's published figures per method (optional)
    per_band.csv      method, scene, band, wavelength_nm, psnr (standard convention; optional)
    fused/<scene>__<method>.npz   key ``fused`` (C, H, W) float32 in [0, 1]
    fused/<scene>__gt.npz         keys ``gt`` (C, H, W) and ``wavelengths_nm`` (C,)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.schema import COLUMNS

REQUIRED_COLUMNS = ("method", "scene", "convention", "status")
PER_BAND_COLUMNS = ("method", "scene", "band", "wavelength_nm", "psnr")


class RunDirError(ValueError):
    """A run directory, or one of its files, is missing or unreadable."""


@dataclass
class Run:
    """One benchmark run, as read from its directory.

    rows: every column of ``benchmarks.schema.COLUMNS`` (missing ones filled with NaN), plus any
        extra columns the file had. ``info``: run.json (empty when absent). ``published``:
        published.json (empty when absent). ``per_band``: per_band.csv, or None when absent.
    """

    path: Path
    rows: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    published: dict[str, Any] = field(default_factory=dict)
    per_band: pd.DataFrame | None = None

    @property
    def fused_dir(self) -> Path:
        return self.path / "fused"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    def figure_scenes(self) -> list[str]:
        """Scenes whose ground truth was saved (``fused/<scene>__gt.npz``), sorted."""
        if not self.fused_dir.is_dir():
            return []
        return sorted(p.name[: -len("__gt.npz")] for p in self.fused_dir.glob("*__gt.npz"))


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RunDirError(f"{path}: not readable as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise RunDirError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def read_rows(path: Path) -> pd.DataFrame:
    """Read rows.csv; raise RunDirError when it is missing, empty or lacks identity columns."""
    if not path.is_file():
        raise RunDirError(f"{path}: no such file (a run directory must contain rows.csv)")
    try:
        rows = pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise RunDirError(f"{path}: file is empty") from exc
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path}: not readable as CSV ({exc})") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise RunDirError(f"{path}: missing column(s) {', '.join(missing)}")
    extra = [c for c in rows.columns if c not in COLUMNS]
    rows = rows.reindex(columns=list(COLUMNS) + extra)
    for col in ("method", "scene", "convention", "status", "dataset"):
        rows[col] = rows[col].astype(object).where(rows[col].notna(), "").astype(str)
    return rows


def read_per_band(path: Path) -> pd.DataFrame | None:
    """Read per_band.csv, or None when absent; raise RunDirError when it lacks columns."""
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{path}: not readable as CSV ({exc})") from exc
    missing = [c for c in PER_BAND_COLUMNS if c not in table.columns]
    if missing:
        raise RunDirError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def load_run(run_dir: str | Path) -> Run:
    """Read a run directory. Raise RunDirError naming the path when it or rows.csv is missing."""
    path = Path(run_dir)
    if not path.is_dir():
        raise RunDirError(f"{path}: run directory does not exist")
    return Run(
        path=path,
        rows=read_rows(path / "rows.csv"),
        info=_read_json(path / "run.json"),
        published=_read_json(path / "published.json"),
        per_band=read_per_band(path / "per_band.csv"),
    )


@dataclass
class SceneCubes:
    """The saved cubes of one figure scene. gt and each pred: (C, H, W) float32 in [0, 1] units;
    wavelengths_nm: (C,) or None. ``problems``: one line per method whose cube was unusable."""

    scene: str
    gt: np.ndarray
    wavelengths_nm: np.ndarray | None
    preds: dict[str, np.ndarray]
    problems: list[str] = field(default_factory=list)


def _load_array(path: Path, key: str) -> np.ndarray:
    with np.load(path, allow_pickle=False) as npz:
        if key not in npz.files:
            raise RunDirError(f"{path}: no key {key!r} (keys: {', '.join(npz.files)})")
        return np.asarray(npz[key], dtype=np.float32)


def load_scene_cubes(run: Run, scene: str, methods: list[str]) -> SceneCubes:
    """Load ``fused/<scene>__gt.npz`` and each ``fused/<scene>__<method>.npz`` that exists.

    Raise RunDirError when the GT file is missing or malformed; a method cube that is missing is
    left out silently, one of the wrong shape is left out with a line in ``problems``.
    """
    gt_path = run.fused_dir / f"{scene}__gt.npz"
    if not gt_path.is_file():
        raise RunDirError(f"{gt_path}: no such file")
    gt = _load_array(gt_path, "gt")
    if gt.ndim != 3:
        raise RunDirError(f"{gt_path}: gt must be (C, H, W), got shape {gt.shape}")
    with np.load(gt_path, allow_pickle=False) as npz:
        wl = np.asarray(npz["wavelengths_nm"], dtype=float) if "wavelengths_nm" in npz else None
    if wl is not None and wl.shape != (gt.shape[0],):
        wl = None
    preds: dict[str, np.ndarray] = {}
    problems: list[str] = []
    for method in methods:
        path = run.fused_dir / f"{scene}__{method}.npz"
        if not path.is_file():
            continue
        try:
            pred = _load_array(path, "fused")
        except (RunDirError, OSError, ValueError) as exc:
            problems.append(f"{method}: {exc}")
            continue
        if pred.shape != gt.shape:
            problems.append(f"{path.name}: shape {pred.shape} differs from gt {gt.shape}")
            continue
        preds[method] = pred
    return SceneCubes(scene=scene, gt=gt, wavelengths_nm=wl, preds=preds, problems=problems)
