"""Atomic writes: a killed run leaves the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path`` (same suffix), then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_json(path: Path, data: Any) -> Path:
    def write(tmp: Path) -> None:
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1, default=str)
    return write_atomic(path, write)


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_npz(path: Path, **arrays: np.ndarray) -> Path:
    return write_atomic(path, lambda tmp: np.savez_compressed(tmp, **arrays))


def write_text(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
