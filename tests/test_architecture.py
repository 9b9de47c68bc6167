"""The layers hold: import-linter's contracts (pyproject.toml) pass on the tree, and fail on a copy
of it with one deliberate violation per contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fileio", "metrics", "datasets", "hssdct", "methods", "benchmarks")
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml")], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300, check=False)


def copy_tree(dest: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.npz", "*.npy", "*.csv"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_import_contracts_hold():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, violation, contract", [
    ("hssdct/model.py", "import benchmarks.run", "Layers"),
    ("metrics/psnr.py", "import fileio", "metrics import nothing"),
    ("datasets/scene.py", "import methods.registry", "Layers"),
    ("methods/psrt.py", "import methods.ssrnet", "Methods are independent"),
])
def test_a_deliberate_violation_breaks_its_contract(tmp_path, module, violation, contract):
    root = copy_tree(tmp_path)
    path = root / module
    path.write_text(path.read_text() + f"\n{violation}  # deliberate violation\n")
    done = lint(root)
    assert done.returncode != 0
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")
              or " BROKEN " in line]
    assert any(contract in line for line in broken), done.stdout
