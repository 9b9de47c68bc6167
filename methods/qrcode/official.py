"""State_dict key conversion between CSAKD's ``COGuidedDCSN_Teacher`` and our ``COGuidedTeacher``.

Official names (github.com/ming053l/CSAKD, ``models/FLOPs_KD_QRCODE.py``) -> ours:

    hsiconv1 -> hsi.head        hsifeat  -> hsi.feat.mfas     hsiconvlast -> hsi.tail
    msiconv1 -> msi.head        msifeat  -> msi.feat.mfas     msiconvlast -> msi.tail
    conv_fuse.0 -> fuse         codconv1 -> trunk.head        codfeat -> trunk.feat.mfas
    last -> trunk.tail          inside a stack: <k>.MFB<i>.conv<j> -> <k>.mfbs.<i-1>.convs.<j-1>

The same renaming applies to module paths (e.g. forward-hook names). Checkpoints saved from
the lab's ``DCSN_Teacher`` wrapper (``decoder.`` prefix) or from ``DataParallel`` (``module.``)
load too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

_TOP = {
    "hsiconv1": "hsi.head",
    "hsifeat": "hsi.feat.mfas",
    "hsiconvlast": "hsi.tail",
    "msiconv1": "msi.head",
    "msifeat": "msi.feat.mfas",
    "msiconvlast": "msi.tail",
    "conv_fuse.0": "fuse",
    "codconv1": "trunk.head",
    "codfeat": "trunk.feat.mfas",
    "last": "trunk.tail",
}
_STACKS = ("hsifeat", "msifeat", "codfeat")
_WRAPPER_PREFIXES = ("module.", "decoder.")
_OFFICIAL_STACK_REST = re.compile(r"^(\d+)(?:\.MFB([1-3])(?:\.conv([1-5]))?)?(\..+)?$")
_OUR_STACK_REST = re.compile(r"^(\d+)(?:\.mfbs\.([0-2])(?:\.convs\.([0-4]))?)?(\..+)?$")


def _split(name: str, table: Mapping[str, str]) -> tuple[str, str] | None:
    """(prefix, rest) for the longest table prefix that ``name`` equals or starts with."""
    for prefix in sorted(table, key=len, reverse=True):
        if name == prefix:
            return prefix, ""
        if name.startswith(prefix + "."):
            return prefix, name[len(prefix) + 1 :]
    return None


@dataclass(frozen=True)
class _Naming:
    """One direction of the renaming: top-level prefixes, which of them are MFA stacks, and how
    a stack's ``<block>[.<mfb>[.<conv>]]`` suffix is written on the target side."""

    top: Mapping[str, str]
    stacks: tuple[str, ...]
    stack_rest: re.Pattern[str]
    mfb: str
    conv: str
    shift: int  # added to the MFB / conv indices (official ones are 1-based)


_TO_OURS = _Naming(_TOP, _STACKS, _OFFICIAL_STACK_REST, ".mfbs.{}", ".convs.{}", -1)
_TO_OFFICIAL = _Naming({v: k for k, v in _TOP.items()}, tuple(_TOP[k] for k in _STACKS),
                       _OUR_STACK_REST, ".MFB{}", ".conv{}", +1)


def _rename(name: str, naming: _Naming) -> str | None:
    split = _split(name, naming.top)
    if split is None:
        return None
    prefix, rest = split
    out = naming.top[prefix]
    if not rest:
        return out
    if prefix not in naming.stacks:
        return f"{out}.{rest}" if rest in ("weight", "bias") else None
    match = naming.stack_rest.match(rest)
    if match is None:
        return None
    block, mfb, conv, tail = match.groups()
    out += f".{block}"
    if mfb is not None:
        out += naming.mfb.format(int(mfb) + naming.shift)
    if conv is not None:
        out += naming.conv.format(int(conv) + naming.shift)
    return out + (tail or "")


def official_name_to_ours(name: str) -> str | None:
    """Our parameter key or module path for an official one; None when it has no counterpart."""
    for wrapper in _WRAPPER_PREFIXES:
        name = name.removeprefix(wrapper)
    return _rename(name, _TO_OURS)


def our_name_to_official(name: str) -> str | None:
    """The official key or module path for one of ours; None when it has no counterpart."""
    return _rename(name, _TO_OFFICIAL)


def from_official(
    state_dict: Mapping[str, torch.Tensor], model: nn.Module
) -> dict[str, torch.Tensor]:
    """Rename an official teacher state_dict to ``model``'s keys, strictly.

    Raises ValueError listing the official keys with no counterpart in ``model`` (unknown) and the
    model keys the checkpoint does not provide (missing).
    """
    expected = set(model.state_dict())
    converted: dict[str, torch.Tensor] = {}
    unknown = []
    for key, value in state_dict.items():
        ours = official_name_to_ours(key)
        if ours is None or ours not in expected:
            unknown.append(key)
        else:
            converted[ours] = value
    missing = sorted(expected - set(converted))
    if unknown or missing:
        raise ValueError(
            f"state_dict does not match {type(model).__name__}: "
            f"unknown official keys {sorted(unknown)}; "
            f"missing keys {missing}"
        )
    return converted


def to_official(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename our teacher state_dict to official names; ValueError on keys without one."""
    converted = {}
    unknown = []
    for key, value in state_dict.items():
        official = our_name_to_official(key)
        if official is None:
            unknown.append(key)
        else:
            converted[official] = value
    if unknown:
        raise ValueError(f"state_dict keys with no official counterpart: {sorted(unknown)}")
    return converted
