"""Weights for a built model from a file: our training checkpoints, bare state_dicts, and the
authors' released HSSDCT checkpoints (their key names, mapped by ``hssdct.official``).

Files are read with ``torch.load(weights_only=True)``: nothing but tensors and plain containers is
ever unpickled. Accepted layouts: ``{'model': state_dict, ...}`` (ours and many others) or a bare
state_dict; a ``module.`` prefix (DataParallel / DDP) is stripped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from benchmarks.training.checkpoint import FORMAT as TRAINING_FORMAT
from hssdct.official import unwrap_checkpoint
from methods import MethodSpec


def read_file(path: str | Path) -> Any:
    """The object stored in ``path``, loaded safely on the CPU; ValueError names the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path}: no such file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        first = str(err).splitlines()[0] if str(err) else ""
        raise ValueError(f"checkpoint {path}: cannot be read with weights_only=True "
                         f"({type(err).__name__}: {first})") from err


def state_dict_of(obj: Any, source: str) -> dict[str, torch.Tensor]:
    """``{'model': sd}`` or a bare ``sd`` -> the state_dict, ``module.`` prefixes stripped."""
    state = unwrap_checkpoint(obj, f"checkpoint {source}")
    if not state:
        raise ValueError(f"checkpoint {source}: expected a state_dict or {{'model': state_dict}}")
    return state


def training_config(obj: Any) -> dict[str, Any] | None:
    """The TrainConfig dict of one of our training checkpoints, else None."""
    if isinstance(obj, Mapping) and obj.get("format") == TRAINING_FORMAT:
        return dict(obj["config"])
    return None


def is_official_hssdct(state: Mapping[str, torch.Tensor]) -> bool:
    """True for the released code's key names (``decoder.hsiconv1.weight`` ...)."""
    return any(k.startswith("decoder.") for k in state)


def _load_official_hssdct(model: torch.nn.Module, state: dict[str, torch.Tensor],
                          source: str) -> None:
    from hssdct.official import from_official

    config = getattr(model, "config", None)
    if config is None:
        raise ValueError(f"checkpoint {source} has the authors' HSSDCT keys, but the model is "
                         f"a {type(model).__name__}")
    official = from_official(state, **asdict(config))  # validates keys, shapes and indices
    model.load_state_dict(official.state_dict(), strict=True)


def load_state(spec: MethodSpec, model: torch.nn.Module, state: dict[str, torch.Tensor],
               source: str) -> None:
    """Load ``state`` into ``model`` strictly (official HSSDCT keys mapped first)."""
    if spec.name == "hssdct" and is_official_hssdct(state):
        _load_official_hssdct(model, state, source)
        return
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"checkpoint {source} does not fit {spec.name}: {err}") from err


def load_weights(spec: MethodSpec, model: torch.nn.Module, path: str | Path) -> None:
    """Load the weights in ``path`` into the already-built ``model`` of entry ``spec``."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"method {spec.name!r} does not build a torch module; it has no weights")
    obj = read_file(path)
    load_state(spec, model, state_dict_of(obj, str(path)), str(path))


def build_args(spec: MethodSpec, obj: Any, source: str) -> dict[str, Any]:
    """What a loaded checkpoint says its model was built with: bands, msi_bands, ratio and model
    options (ours: the saved TrainConfig; the authors' HSSDCT: read from the weights' shapes;
    otherwise nothing)."""
    config = training_config(obj)
    if config is not None:
        if config["method"] != spec.name:
            raise ValueError(f"checkpoint {source} is for method {config['method']!r}, "
                             f"not {spec.name!r}")
        return {"bands": config["bands"], "msi_bands": config["msi_bands"],
                "ratio": config["ratio"], **config["model_cfg"]}
    state = state_dict_of(obj, source)
    if spec.name == "hssdct" and is_official_hssdct(state):
        from hssdct.official import infer_config

        return infer_config(state)
    return {}
