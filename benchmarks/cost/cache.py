"""FLOP counts cached on disk. A count is deterministic in (method code, build options, input
shape, counter, torch version), so it is stored under a key of exactly those and never counted
twice; changing any of them (a method's source included) makes a new key.

Files: ``$HSFUSION_CACHE/counts/<key>.json`` (default ``~/.cache/hsfusion-bench``), written
atomically. The code part of the key hashes every source file that a count can depend on: the
method packages, the reference model and the counters. A cache that cannot be read or written is
ignored (the count is made again), never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

import fileio
from benchmarks.shapes import InputShape

ROOT = Path(__file__).resolve().parents[2]
CODE = ("methods", "hssdct", "benchmarks/cost", "benchmarks/measure.py")
FORMAT = 1


def cache_dir() -> Path:
    base = os.environ.get("HSFUSION_CACHE") or Path.home() / ".cache" / "hsfusion-bench"
    return Path(base) / "counts"


@lru_cache(maxsize=1)
def code_version() -> str:
    """SHA-256 over the source files a count depends on (``CODE``), paths included."""
    digest = hashlib.sha256()
    for part in CODE:
        path = ROOT / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def count_key(name: str, cfg: dict[str, Any], shape: InputShape, counter: str) -> str:
    text = json.dumps({"format": FORMAT, "method": name, "cfg": cfg, "counter": counter,
                       "shape": [shape.bands, shape.msi_bands, shape.lr, shape.ratio],
                       "torch": torch.__version__, "code": code_version()},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load(name: str, cfg: dict[str, Any], shape: InputShape, counter: str) -> dict | None:
    """The cached result of this count, or None."""
    path = cache_dir() / f"{count_key(name, cfg, shape, counter)}.json"
    try:
        return json.loads(path.read_text())["result"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(name: str, cfg: dict[str, Any], shape: InputShape, counter: str, result: dict) -> None:
    """Keep ``result`` under its key (with the key's parts, for a reader)."""
    path = cache_dir() / f"{count_key(name, cfg, shape, counter)}.json"
    try:  # no default=str: a value JSON cannot hold exactly is not cached
        text = json.dumps({"method": name, "cfg": cfg, "counter": counter,
                           "shape": shape.lr_text(), "torch": torch.__version__,
                           "result": result}, indent=1)
        fileio.write_text(path, text)
    except (OSError, TypeError, ValueError):
        return
