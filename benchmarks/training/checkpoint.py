"""Training checkpoints: written atomically, read back with ``torch.load(weights_only=True)``.

A checkpoint is a plain dict of tensors and primitives (so the safe loader accepts it)::

    format      "hsfusion-bench/train-v1"
    method      registry name
    model       the unwrapped model's state_dict
    optimizer, scheduler, scaler   their state_dicts (scaler None without fp16 AMP)
    epoch       epochs completed (the next run starts at this epoch)
    best_sam, best_epoch, lr_drops, history
    rng         {"torch": ByteTensor, "cuda": [ByteTensor] | None, "numpy": {...}, "python": [...]}
    config      the TrainConfig as a dict (model build arguments included)
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fileio import write_atomic
from fileio.checkpoints import read_checkpoint

FORMAT = "hsfusion-bench/train-v1"


def rng_state() -> dict[str, Any]:
    """Every RNG the training loop may touch, as tensors, lists and primitives only."""
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "numpy": {"kind": str(np_kind), "keys": torch.from_numpy(np.asarray(np_keys, np.int64)),
                  "pos": int(np_pos), "has_gauss": int(np_has_gauss), "gauss": float(np_gauss)},
        "python": {"version": int(py_version), "state": list(py_state), "gauss": py_gauss},
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what ``rng_state`` captured (CUDA states only when CUDA is present)."""
    torch.set_rng_state(state["torch"].cpu())
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (``fileio.write_atomic``), with the usual file mode."""
    return write_atomic(path, lambda tmp: torch.save({"format": FORMAT, **state}, tmp))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A training checkpoint written by ``save_checkpoint``, on the CPU; ValueError names the file
    otherwise."""
    state = read_checkpoint(path)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path}: not a training checkpoint of this suite (no "
                         f"format={FORMAT!r}); to load bare weights use benchmarks.checkpoints")
    return state
