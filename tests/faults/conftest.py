"""A small layout in the paper's format, broken in chosen ways, and the commands run against it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.toys import write_paper_layout

ROOT = Path(__file__).resolve().parents[2]
TEST_ENTRIES = 4


@dataclass
class Outcome:
    """What a command did: exit code, stderr, and the run's rows (when written)."""

    code: int
    err: str
    rows: pd.DataFrame | None = None

    def one_line_error(self) -> str:
        """The ``error: ...`` line; the test fails unless there is exactly one and no traceback."""
        assert "Traceback" not in self.err, self.err
        lines = [line for line in self.err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, self.err
        return lines[0]

    def scored(self, method: str) -> set[str]:
        ok = self.rows[(self.rows.method == method) & (self.rows.status == "ok")]
        return set(ok.scene)

    def errors(self, method: str) -> pd.DataFrame:
        return self.rows[(self.rows.method == method) & (self.rows.status == "error")]


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``data/`` with train (2 entries) and test (4 entries) lists; 6 bands, HR 32, 4-band MSI."""
    root = tmp_path / "data"
    write_paper_layout(root, {"train": 2, "test": TEST_ENTRIES})
    return root


def entries_of(root: Path) -> list[str]:
    return [line.strip().rstrip("/") for line in (root / "test.txt").read_text().splitlines()]


@pytest.fixture
def run_bench(tmp_path: Path, capsys: pytest.CaptureFixture):
    """``benchmarks.run`` in this process on the layout; returns an Outcome."""
    from benchmarks.run import main

    def run(root: Path, *extra: str, methods: str = "bicubic,sfim", out: Path | None = None,
            list_file: str | None = None) -> Outcome:
        out = out or tmp_path / "run"
        code = main(["--methods", methods, "--dataset", "paper", "--root", str(root),
                     "--list", list_file or str(root / "test.txt"), "--no-cost", "--no-report",
                     "--out", str(out), *extra])
        err = capsys.readouterr().err
        rows = pd.read_csv(out / "rows.csv") if (out / "rows.csv").exists() else None
        return Outcome(code, err, rows)

    return run


def python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -c code args`` in a fresh process from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def break_npy_header(path: Path, shape: tuple[int, ...]) -> None:
    """Rewrite ``path`` as an .npy whose header declares ``shape`` float32 but holds 16 values."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        f.write(np.zeros(16, np.float32).tobytes())
