"""``write_atomic``: write to a temporary sibling, give it the usual mode, rename it into place."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


def _usual_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary sibling of ``path`` (same suffix), then rename it to
    ``path``. Parent directories are created; the temporary file never outlives a failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.",
                                suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _usual_mode())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def remove_stale_temps(directory: str | Path) -> list[Path]:
    """Delete the temporary files that killed writers left directly in ``directory``."""
    removed = []
    for tmp in Path(directory).glob(f"{TEMP_PREFIX}*"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_bytes(path: str | Path, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=1, default=str))


def write_csv(path: str | Path, frame: Any) -> Path:
    """A pandas DataFrame as CSV without the index."""
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_npz(path: str | Path, **arrays: Any) -> Path:
    """Numpy arrays as a compressed ``.npz``."""
    import numpy as np

    return write_atomic(path, lambda tmp: np.savez_compressed(tmp, **arrays))
