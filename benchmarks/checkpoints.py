"""Weights for a built model from a file: our training checkpoints, bare state_dicts, and the
authors' checkpoints of HSSDCT and FusionMamba (their key names, mapped by ``hssdct.official`` and
``methods.fusionmamba.official``).

Files are read with ``torch.load(weights_only=True)``: nothing but tensors and plain containers is
ever unpickled. Accepted layouts: ``{'model': state_dict, ...}`` (ours and many others) or a bare
state_dict; a ``module.`` prefix (DataParallel / DDP) is stripped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
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


@dataclass(frozen=True)
class OfficialFormat:
    """The authors' checkpoint layout of one registry entry.

    ``detect(state)``: True for their key names. ``load(state, **config)``: a model built with
    the entry's config and their weights mapped in (keys and shapes validated). ``build_args``:
    the builder arguments (bands, msi_bands, ratio, model options) read off the tensor shapes.
    """

    detect: Callable[[Mapping[str, torch.Tensor]], bool]
    load: Callable[..., torch.nn.Module]
    build_args: Callable[[Mapping[str, torch.Tensor]], dict[str, Any]]


def _hssdct() -> OfficialFormat:
    from hssdct import official

    return OfficialFormat(detect=lambda state: any(k.startswith("decoder.") for k in state),
                          load=official.from_official, build_args=official.infer_config)


def _fusionmamba() -> OfficialFormat:
    from methods.fusionmamba import official

    def build_args(state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
        config = official.config_from_official(state)
        return {"bands": config.pop("hsi_bands"), **config}

    return OfficialFormat(detect=lambda state: "upsample.upsamle.0.weight" in state,
                          load=official.from_official, build_args=build_args)


# registry name -> the authors' format (built on first use: imports their converters)
OFFICIAL_FORMATS: dict[str, Callable[[], OfficialFormat]] = {
    "hssdct": _hssdct, "fusionmamba": _fusionmamba,
}


def official_format(spec: MethodSpec, state: Mapping[str, torch.Tensor]) -> OfficialFormat | None:
    """The authors' format of ``spec`` when ``state`` uses their key names, else None."""
    make = OFFICIAL_FORMATS.get(spec.name)
    found = make() if make else None
    return found if found and found.detect(state) else None


def load_state(spec: MethodSpec, model: torch.nn.Module, state: dict[str, torch.Tensor],
               source: str) -> None:
    """Load ``state`` into ``model`` strictly (the authors' key names mapped first)."""
    official = official_format(spec, state)
    if official is not None:
        config = getattr(model, "config", None)
        if config is None:
            raise ValueError(f"checkpoint {source} has the authors' {spec.name} keys, but the "
                             f"model is a {type(model).__name__}")
        try:
            mapped = official.load(state, **asdict(config))  # validates keys and shapes
        except ValueError as err:
            raise ValueError(f"checkpoint {source}: {err}") from err
        model.load_state_dict(mapped.state_dict(), strict=True)
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
    official = official_format(spec, state)
    return official.build_args(state) if official is not None else {}
