"""Load and write HSSDCT state_dicts with the authors' key names (timm's checkpoint-filter idea).

The released code wraps its network as ``HyDCFN.decoder``; its keys look like
``decoder.hsifeat.0.swin1.correlation.qv.conv.0.weight``. Our module names are mapped onto
theirs by the ordered rules in :data:`KEY_RULES`; our modules are registered in the authors'
order, so :func:`to_official` reproduces their key order exactly.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Mapping

import torch

from fileio.checkpoints import load_state_dict
from hssdct.model import HSSDCT, HSSDCTConfig

# (our pattern, official replacement), applied in order to every key of our state_dict.
KEY_RULES: tuple[tuple[str, str], ...] = (
    (r"^spectral_in\.", "decoder.hsiconv1."),
    (r"^spectral_out\.", "decoder.hsiconvlast."),
    (r"^spectral_groups\.", "decoder.hsifeat."),
    (r"^spatial_in\.", "decoder.msiconv1."),
    (r"^spatial_out\.", "decoder.msiconvlast."),
    (r"^spatial_groups\.", "decoder.msifeat."),
    (r"^fuse\.", "decoder.conv_fuse.0."),
    (r"^refine\.", "decoder.final_blk.0."),
    (r"^unused_norm\.", "decoder.norm."),
    (r"^out_conv\.", "decoder.last."),
    (r"\.layers\.(\d+)\.block\.", r".swin<\1>."),
    (r"\.layers\.(\d+)\.adjust\.", r".adjust<\1>."),
    (r"\.sscl\.", ".correlation."),
    (r"\.features\.body\.", ".qv.conv."),
    (r"\.features\.gate\.", ".qv.linear."),
    (r"\.key_pool\.", ".spatial_linear."),
    (r"\.pos_bias\.embed\.", ".pos.pos_proj."),
    (r"\.pos_bias\.stages\.(\d+)\.", r".pos.pos<\1>."),
    (r"\.attn\.bias_table$", ".attn.relative_position_bias_table"),
    (r"\.attn\.bias_index$", ".attn.relative_position_index"),
)
# Official keys that may be absent from a checkpoint: unused by the forward, or recomputable.
OPTIONAL = re.compile(r"^decoder\.norm\.(weight|bias)$|\.relative_position_index$")


def official_key(key: str) -> str:
    """Our state_dict key -> the authors' key. ``<k>`` marks 0-based indices made 1-based."""
    for pattern, repl in KEY_RULES:
        key = re.sub(pattern, repl, key)
    return re.sub(r"<(\d+)>", lambda m: str(int(m.group(1)) + 1), key)


def to_official(model: HSSDCT) -> OrderedDict[str, torch.Tensor]:
    """Our model's weights as a state_dict with the authors' key names, in their order."""
    return OrderedDict((official_key(k), v) for k, v in model.state_dict().items())


def infer_config(state: Mapping[str, torch.Tensor]) -> dict[str, int]:
    """bands, msi_bands, nf and gc read from an official state_dict's shapes (when present)."""
    found: dict[str, int] = {}
    if "decoder.last.weight" in state:
        found["bands"] = int(state["decoder.last.weight"].shape[0])
    if "decoder.hsiconvlast.weight" in state:
        found["nf"] = int(state["decoder.hsiconvlast.weight"].shape[0])
    if "decoder.hsiconv1.weight" in state and "bands" in found:
        found["msi_bands"] = int(state["decoder.hsiconv1.weight"].shape[1]) - found["bands"]
    if "decoder.hsifeat.0.adjust1.weight" in state:
        found["gc"] = int(state["decoder.hsifeat.0.adjust1.weight"].shape[0])
    return found


def from_official(state_dict_or_path: Mapping | str | os.PathLike, **config) -> HSSDCT:
    """Build an :class:`HSSDCT` and load the authors' weights into it (strictly).

    ``config`` overrides :class:`HSSDCTConfig` fields; bands, msi_bands, nf and gc default to the
    values the checkpoint's shapes imply. Missing or unknown keys and shape mismatches raise a
    ValueError that lists them. ``decoder.norm`` (unused) and ``relative_position_index`` may be
    absent; a present index must equal the one this model computes. Files are read with
    ``torch.load(path, map_location="cpu", weights_only=True)``. The model is returned in
    training mode, like any new module: call ``.eval()`` for inference.
    """
    state = load_state_dict(state_dict_or_path)
    source = (os.fspath(state_dict_or_path) if isinstance(state_dict_or_path, str | os.PathLike)
              else "state_dict")
    model = HSSDCT(HSSDCTConfig(**{**infer_config(state), **config}))
    ours = model.state_dict()
    to_ours = {official_key(k): k for k in ours}

    missing = [k for k in to_ours if k not in state and not OPTIONAL.search(k)]
    unknown = [k for k in state if k not in to_ours]
    if missing or unknown:
        lines = [f"{source} does not match HSSDCT({model.config}):"]
        if missing:
            lines.append(f"  missing keys ({len(missing)}): " + ", ".join(missing))
        if unknown:
            lines.append(f"  unknown keys ({len(unknown)}): " + ", ".join(unknown))
        raise ValueError("\n".join(lines))

    mismatched = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(ours[to_ours[k]].shape)}"
                  for k in state if state[k].shape != ours[to_ours[k]].shape]
    if mismatched:
        raise ValueError(f"{source}: shape mismatches ({len(mismatched)}):\n  "
                         + "\n  ".join(mismatched))
    for key in state:
        if key.endswith(".relative_position_index") and not torch.equal(state[key].cpu(),
                                                                        ours[to_ours[key]]):
            raise ValueError(f"{source}: {key} differs from the Swin index for window 4")

    loadable = {to_ours[k]: v for k, v in state.items()}
    model.load_state_dict({**ours, **loadable}, strict=True)
    return model
