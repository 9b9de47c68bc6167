"""Converters between our FusionMamba state_dict and the authors' (PSRben/FusionMamba ``U2Net``).

Our module names are our own and each Mamba stacks its per-direction tensors on a first axis;
the official names (``stage0.fm.spa_cross_mamba.block.x_proj_c.weight``) keep one tensor per
direction with suffixes '', '_b', '_c', '_d'. One table, built by walking the model, drives both
directions, so ``from_official(to_official(m))`` is the identity.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from fileio.checkpoints import load_state_dict
from methods.fusionmamba.model import (
    CrossMambaLayer,
    DirectionalMamba,
    Downsample,
    DownStage,
    FusionBlock,
    FusionMamba,
    FusionMambaConfig,
    SelfMambaLayer,
    SpectralAttention,
    Upsample,
    UpStage,
)

# our child module name -> official name, per module class
_CHILDREN: dict[type, dict[str, str]] = {
    FusionMamba: {
        "lr_upsample": "upsample.upsamle.0", "msi_embed": "raise_pan_dim.0",
        "hsi_embed": "raise_ms_dim.0", "enc0": "stage0", "enc1": "stage1", "dec0": "stage2",
        "dec1": "stage3", "out_fusion": "stage4", "band_attention": "spe_attn",
        "out_conv1": "to_hrms.0", "out_conv2": "to_hrms.2",
    },
    DownStage: {"fusion": "fm", "resample": "sample"},
    UpStage: {"fusion": "fm", "resample": "sample"},
    Downsample: {"down": "down.0"},
    Upsample: {"up": "up.0", "depthwise": "conv.0", "pointwise": "conv.1"},
    FusionBlock: {
        "msi_self": "spa_mamba_layers.0", "hsi_self": "spe_mamba_layers.0",
        "msi_cross": "spa_cross_mamba", "hsi_cross": "spe_cross_mamba", "merge": "out_proj",
    },
    SelfMambaLayer: {"norm": "norm", "mamba": "block"},
    CrossMambaLayer: {"norm_primary": "norm0", "norm_secondary": "norm1", "mamba": "block"},
    SpectralAttention: {"embed": "block.0", "norm": "block.1", "mamba": "block.2", "head": "block.3"},
    DirectionalMamba: {"cond_proj": "in_proj_b"},
}
_SUFFIXES = ("", "_b", "_c", "_d")
# stacked Mamba parameter -> official name of direction k's part, given its suffix
_STACKED = {
    "conv.weight": "conv1d{}.weight", "conv.bias": "conv1d{}.bias", "x_proj.weight": "x_proj{}.weight",
    "dt_proj_weight": "dt_proj{}.weight", "dt_bias": "dt_proj{}.bias", "A_log": "A{}_log", "D": "D{}",
}
# parameters of the conv / x_proj child modules stack their directions by rows (G*n, ...); the
# others have a direction axis (G, ...)
_ROW_STACKED = {name for name in _STACKED if "." in name}
_STACKED_CHILDREN = {name.split(".")[0] for name in _ROW_STACKED}
Direction = tuple[int, int, bool]  # (k, G, row-stacked): direction k of G on the first axis


def direction_part(tensor: torch.Tensor, direction: Direction) -> torch.Tensor:
    """Direction k's part (a view) of a parameter stacked over G directions: (G, ...) -> (...),
    or, row-stacked, (G*n, ...) -> (n, ...)."""
    k, G, by_rows = direction
    return tensor.unflatten(0, (G, -1))[k] if by_rows else tensor[k]


def official_key_table(model: FusionMamba) -> list[tuple[str, Direction | None, str]]:
    """(our key, direction or None, official key) for every tensor of the model."""
    table: list[tuple[str, Direction | None, str]] = []

    def walk(module: nn.Module, ours: str, theirs: str) -> None:
        mamba = isinstance(module, DirectionalMamba)
        for name, _ in module.named_parameters(recurse=False):
            if not (mamba and name in _STACKED):
                table.append((ours + name, None, theirs + name))
        if mamba:
            G = module.conv.directions
            for name, _ in module.named_parameters():
                if name in _STACKED:
                    table.extend((ours + name, (k, G, name in _ROW_STACKED),
                                  theirs + _STACKED[name].format(_SUFFIXES[k])) for k in range(G))
        rename = _CHILDREN.get(type(module), {})
        for name, child in module.named_children():
            if not (mamba and name in _STACKED_CHILDREN):
                walk(child, f"{ours}{name}.", f"{theirs}{rename.get(name, name)}.")

    walk(model, "", "")
    return table


def to_official(model: FusionMamba) -> dict[str, torch.Tensor]:
    """The model's weights under the official U2Net key names and shapes (detached copies)."""
    ours = model.state_dict()
    out = {}
    for key, direction, official in official_key_table(model):
        tensor = ours[key] if direction is None else direction_part(ours[key], direction)
        out[official] = tensor.detach().clone()
    return out


def config_from_official(state_dict: Mapping[str, torch.Tensor]) -> dict[str, int]:
    """hsi_bands, msi_bands, dim, ratio, d_state, d_conv read off the official tensor shapes."""
    try:
        up = state_dict["upsample.upsamle.0.weight"]  # (C r^2, C, 3, 3)
        pan = state_dict["raise_pan_dim.0.weight"]  # (D, c, 3, 3)
        a_log = state_dict["stage0.fm.spa_mamba_layers.0.block.A_log"]  # (D, N)
        conv = state_dict["stage0.fm.spa_mamba_layers.0.block.conv1d.weight"]  # (D, 1, K)
    except KeyError as err:
        raise ValueError(f"not a FusionMamba U2Net state_dict: missing key {err}") from None
    C = up.shape[1]
    ratio = round((up.shape[0] / C) ** 0.5)
    return {"hsi_bands": C, "msi_bands": pan.shape[1], "dim": pan.shape[0], "ratio": ratio,
            "d_state": a_log.shape[1], "d_conv": conv.shape[2]}


def from_official(source: str | os.PathLike | Mapping[str, Any], **config: Any) -> FusionMamba:
    """Build a FusionMamba holding an official U2Net checkpoint (path or state_dict).

    The config is read off the tensor shapes; keyword options (FusionMambaConfig fields)
    override it. Strict: missing, unexpected or mis-shaped keys raise one ValueError listing them.
    """
    state = load_state_dict(source)
    fields = set(FusionMambaConfig.__dataclass_fields__)
    if set(config) - fields:
        raise ValueError(f"unknown FusionMamba options {sorted(set(config) - fields)}; "
                         f"known: {sorted(fields)}")
    model = FusionMamba(FusionMambaConfig(**{**config_from_official(state), **config}))
    expected = {key: tensor.shape for key, tensor in to_official(model).items()}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(f"{k}: {tuple(state[k].shape)} != {tuple(s)}" for k, s in expected.items()
                       if k in state and state[k].shape != s)
    if missing or unexpected or misshaped:
        raise ValueError(f"official FusionMamba state_dict does not fit the model: "
                         f"missing {missing}; unexpected {unexpected}; wrong shape {misshaped}")
    ours = {key: tensor.clone() for key, tensor in model.state_dict().items()}
    for key, direction, official in official_key_table(model):
        if direction is None:
            ours[key] = state[official]
        else:
            direction_part(ours[key], direction).copy_(state[official])
    model.load_state_dict(ours, strict=True)
    return model
