"""The manifest a training run writes next to its weights: what the weights are and how they came
to be, so that a later run can reuse them (``benchmarks.weights``) or refuse them.

``<out>/manifest.json``, format ``hsfusion-bench/weights-v1``::

    method       registry name
    weights      the weights file, relative to the manifest (TrainConfig.keep: best.pth or last.pth)
    sha256       of that file
    build        bands, msi_bands, ratio, model_cfg: what the model was built with
    recipe       the TrainingRecipe (the loss by name) and the TrainConfig used
    budget       steps, epochs, train_s (seconds in training steps), wall_s, device, device_name,
                 max_steps, max_train_s
    data         dataset, split, val_split (as the caller described them in TrainConfig.data),
                 scenes (training scenes), degradation (``datasets.scene.degradation_model``)
    validation   best and last means (``trainer.VAL_KEYS``), best_epoch
    git_commit, created (UTC, ISO 8601)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fileio
from benchmarks.provenance import device_name, git_sha
from datasets.scene import degradation_model
from methods import MethodSpec

FORMAT = "hsfusion-bench/weights-v1"
MANIFEST = "manifest.json"
REQUIRED = ("method", "weights", "sha256", "build", "budget", "data")


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def recipe_dict(spec: MethodSpec) -> dict[str, Any]:
    """The entry's TrainingRecipe as JSON-ready values (the loss by its name)."""
    recipe = asdict(spec.recipe) if spec.recipe is not None else {}
    recipe.pop("loss_fn", None)
    return recipe


def write_manifest(out: Path, spec: MethodSpec, config: dict[str, Any], summary: dict[str, Any],
                   weights: Path, *, scenes: int, degradation: dict[str, Any], device: Any) -> Path:
    """Write ``<out>/manifest.json`` for ``weights``, a checkpoint a finished ``Trainer.fit`` left
    in ``out``.

    config: the TrainConfig as a dict; summary: what ``fit`` returned; degradation: the training
    scenes' ``meta.degradation``; device: the torch device trained on.
    """
    manifest = {
        "format": FORMAT,
        "method": spec.name,
        "weights": weights.name,
        "sha256": sha256_of(weights),
        "build": {k: config[k] for k in ("bands", "msi_bands", "ratio", "model_cfg")},
        "recipe": {"entry": recipe_dict(spec),
                   "run": {k: v for k, v in config.items() if k not in ("data", "out")}},
        "budget": {"steps": summary["steps"], "epochs": summary["epochs_done"],
                   "train_s": round(summary["train_s"], 1), "wall_s": round(summary["wall_s"], 1),
                   "device": str(device), "device_name": device_name(device),
                   "max_steps": config["max_steps"], "max_train_s": config["max_train_s"]},
        "data": {**config["data"], "scenes": scenes,
                 "degradation": degradation_model(degradation)},
        "validation": {"best": summary["best_val"], "last": summary["last_val"],
                       "best_epoch": summary["best_epoch"]},
        "git_commit": git_sha(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return fileio.write_json(out / MANIFEST, manifest)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest written by ``write_manifest``; ValueError naming the file otherwise."""
    try:
        manifest = json.loads(Path(path).read_text())
    except OSError as err:
        raise ValueError(f"weights manifest {path}: cannot read it ({err.strerror or err})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"weights manifest {path}: not JSON ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"weights manifest {path}: not a manifest of this suite (no "
                         f"format={FORMAT!r})")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise ValueError(f"weights manifest {path}: missing {', '.join(missing)}")
    return manifest
