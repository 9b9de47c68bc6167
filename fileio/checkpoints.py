"""Reading weights files safely: ``torch.load(weights_only=True)`` and one unwrapping rule.

Nothing but tensors and plain containers is ever unpickled. A weights file holds a state_dict,
bare or under ``'model'`` / ``'state_dict'``; a ``module.`` prefix (DataParallel, DDP) is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

WRAPPER_KEYS = ("model", "state_dict")


ZIP_MAGIC = b"PK\x03\x04"  # torch.save's format since PyTorch 1.6
PICKLE_MAGIC = b"\x80"  # the legacy format: a pickle stream (protocol 2 or later)


def read_checkpoint(path: str | os.PathLike[str]) -> Any:
    """The object stored in ``path``, loaded safely on the CPU; ValueError names the file and
    says what is wrong (missing, empty, not a PyTorch file, or holding more than weights)."""
    import torch

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"checkpoint {path}: no such file")
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise ValueError(f"checkpoint {path}: the file is empty")
    if not (head.startswith(ZIP_MAGIC) or head.startswith(PICKLE_MAGIC)):
        raise ValueError(f"checkpoint {path}: not a PyTorch checkpoint (a torch.save file starts "
                         f"with a zip or pickle header; this one starts with {head!r})")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file for the user
        first = str(err).splitlines()[0] if str(err) else ""
        raise ValueError(f"checkpoint {path}: cannot be read with weights_only=True "
                         f"({type(err).__name__}: {first})") from err


def state_dict_of(obj: Any, source: str = "state_dict") -> dict[str, Any]:
    """``{'model': sd}``, ``{'state_dict': sd}`` or a bare ``sd`` -> the state_dict of tensors,
    ``module.`` prefixes stripped; ValueError (naming ``source``) for anything else."""
    import torch

    if isinstance(obj, Mapping):
        for wrapper in WRAPPER_KEYS:
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping) or not obj:
        raise ValueError(f"{source}: expected a state_dict or {{'model': state_dict}}, "
                         f"got {type(obj).__name__}{' (empty)' if isinstance(obj, Mapping) else ''}")
    state = {}
    for key, value in obj.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{source}: entry {key!r} is {type(value).__name__}, not a tensor")
        state[str(key).removeprefix("module.")] = value
    return state


def load_state_dict(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A weights file path or an in-memory checkpoint -> its flat state_dict."""
    if isinstance(source, str | os.PathLike):
        return state_dict_of(read_checkpoint(source), f"checkpoint {os.fspath(source)}")
    return state_dict_of(source)
