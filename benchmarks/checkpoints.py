"""Weights for a built model from a file: our training checkpoints, bare state_dicts, and the
formats a method's adapter declares (e.g. the authors' HSSDCT and FusionMamba checkpoints).

Files are read with ``fileio.checkpoints.read_checkpoint`` (``torch.load(weights_only=True)``):
nothing but tensors and plain containers is ever unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.training.checkpoint import FORMAT as TRAINING_FORMAT
from fileio.checkpoints import read_checkpoint, state_dict_of
from methods import MethodSpec


def training_config(obj: Any) -> dict[str, Any] | None:
    """The TrainConfig dict of one of our training checkpoints, else None."""
    if isinstance(obj, Mapping) and obj.get("format") == TRAINING_FORMAT:
        return dict(obj["config"])
    return None


def load_weights(spec: MethodSpec, model: Any, path: str | Path) -> None:
    """Load the weights in ``path`` into the already-built ``model`` of entry ``spec``."""
    obj = read_checkpoint(path)
    check_method(spec, obj, str(path))
    spec.load_state(model, state_dict_of(obj, f"checkpoint {path}"), str(path))


def check_method(spec: MethodSpec, obj: Any, source: str) -> None:
    """ValueError when ``obj`` is one of our training checkpoints of another method."""
    config = training_config(obj)
    if config is not None and config["method"] != spec.name:
        raise ValueError(f"checkpoint {source} is for method {config['method']!r}, "
                         f"not {spec.name!r}")


def build_args(spec: MethodSpec, obj: Any, source: str) -> dict[str, Any]:
    """What a loaded checkpoint says its model was built with: bands, msi_bands, ratio and model
    options (ours: the saved TrainConfig; a declared foreign format: read from the weights'
    shapes; otherwise nothing)."""
    check_method(spec, obj, source)
    config = training_config(obj)
    if config is not None:
        return {"bands": config["bands"], "msi_bands": config["msi_bands"],
                "ratio": config["ratio"], **config["model_cfg"]}
    return spec.build_args_of(state_dict_of(obj, f"checkpoint {source}"))
