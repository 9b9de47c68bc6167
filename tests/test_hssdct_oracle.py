"""HSSDCT against the authors' released code: outputs and intermediates of the golden oracle.

tests/fixtures/hssdct_small.{json,npz} (see tests/fixtures/README.md) hold the released model's
outputs for weights made from each official key by the recipe in the JSON; we rebuild those
weights, load them through ``from_official`` and compare.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from benchmarks.hssdct_speed import forward_at
from hssdct.model import (
    NEG_SLOPE,
    relative_position_index,
    tokens,
    upsample_nearest2x,
    window_partition,
    window_reverse,
)
from hssdct.official import from_official

FIXTURES = Path(__file__).parent / "fixtures"
ATOL = RTOL = 1e-4


pytestmark = pytest.mark.usefixtures("one_thread")


def oracle_meta() -> dict:
    return json.loads((FIXTURES / "hssdct_small.json").read_text())


def oracle_state_dict(entries: list[dict], salt: int = 0) -> OrderedDict[str, torch.Tensor]:
    """Official-key weights by the oracle's recipe (the JSON's "weights" text).

    For each float entry: a generator seeded with crc32(key) + salt draws z ~ N(0, 1) of the
    entry's shape; 0.5 z for relative_position_bias_table; z / sqrt(numel of tensor[0]) for
    2+ dims; else 1 + 0.1 z for weights and 0.1 z for the rest. Integer buffers
    (relative_position_index, window 4) keep their computed values.
    """
    state = OrderedDict()
    for entry in entries:
        key, shape = entry["key"], entry["shape"]
        if entry["dtype"] != "float32":
            state[key] = relative_position_index(4)
            continue
        gen = torch.Generator().manual_seed(zlib.crc32(key.encode("utf-8")) + salt)
        z = torch.randn(shape, generator=gen, dtype=torch.float32)
        if key.endswith("relative_position_bias_table"):
            value = 0.5 * z
        elif len(shape) >= 2:
            value = z / math.sqrt(z[0].numel())
        elif key.endswith("weight"):
            value = 1 + 0.1 * z
        else:
            value = 0.1 * z
        state[key] = value
    return state


def oracle_config(meta: dict) -> dict:
    return {k: meta["config"][k] for k in ("bands", "msi_bands", "nf", "gc")}


@pytest.fixture(scope="module")
def golden():
    with np.load(FIXTURES / "hssdct_small.npz") as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


@pytest.fixture(scope="module")
def model():
    meta = oracle_meta()
    return from_official(oracle_state_dict(meta["state_dict"], meta["salt"]),
                         **oracle_config(meta)).eval()


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(actual, expected, atol=ATOL, rtol=RTOL)


def test_weight_recipe_covers_every_official_key():
    meta = oracle_meta()
    state = oracle_state_dict(meta["state_dict"], meta["salt"])
    assert [tuple(v.shape) for v in state.values()] == [tuple(e["shape"]) for e in
                                                       meta["state_dict"]]


@pytest.mark.parametrize("case", ["", "_pad"])
def test_output_matches_released_code(model, golden, case):
    out = forward_at(model, golden[f"input{case}/lrhsi"], golden[f"input{case}/hrmsi"])
    assert_close(out, golden[f"output{case}/fused"])


@pytest.mark.parametrize("case", ["", "_pad"])
def test_strip_size_does_not_change_output(model, golden, case):
    """Tiny strips: many strips per block, and a last strip holding the padded rows."""
    meta = oracle_meta()
    tiny = from_official(oracle_state_dict(meta["state_dict"], meta["salt"]),
                         chunk_tokens=64, **oracle_config(meta)).eval()
    out = forward_at(tiny, golden[f"input{case}/lrhsi"], golden[f"input{case}/hrmsi"])
    assert_close(out, golden[f"output{case}/fused"])


def _nchw(tok: torch.Tensor) -> torch.Tensor:
    return tok.permute(0, 3, 1, 2)


def _intermediates(model, g) -> dict[str, torch.Tensor]:
    """Each official module's output recomputed from the oracle's own upstream intermediate."""
    lr, hr = g["input/lrhsi"], g["input/hrmsi"]
    lrmsi = F.interpolate(hr, scale_factor=0.25, mode="bicubic", align_corners=False)
    hrhsi = F.interpolate(lr, scale_factor=4, mode="bilinear", align_corners=False)
    spec_in = upsample_nearest2x(tokens(F.leaky_relu(g["inter/decoder.hsiconv1"], NEG_SLOPE)))
    spat_in = tokens(F.leaky_relu(g["inter/decoder.msiconv1"], NEG_SLOPE))
    fuse_tok = tokens(g["inter/decoder.conv_fuse"])
    first_htb = model.spectral_groups[0].layers[0].block
    first_swin = model.refine.layers[0].block
    h, w = fuse_tok.shape[1:3]
    return {
        "decoder.hsiconv1": model.spectral_in(torch.cat([lr, lrmsi], 1)),
        "decoder.hsifeat.0.swin1.correlation": _nchw(first_htb.sscl(spec_in)),
        "decoder.hsifeat.0.swin1": _nchw(first_htb(spec_in)),
        "decoder.hsifeat.0": _nchw(model.spectral_groups[0](spec_in)),
        "decoder.hsifeat.1": _nchw(model.spectral_groups[1](tokens(g["inter/decoder.hsifeat.0"]))),
        "decoder.msiconv1": model.spatial_in(torch.cat([hr, hrhsi], 1)),
        "decoder.msifeat.0": _nchw(model.spatial_groups[0](spat_in)),
        "decoder.conv_fuse": F.leaky_relu(
            model.fuse(model.spectral_branch(lr, lrmsi) + model.spatial_branch(hr, hrhsi)),
            NEG_SLOPE),
        "decoder.final_blk.0.swin1": _nchw(
            window_reverse(first_swin(window_partition(fuse_tok, 4)), 4, h, w)),
        "decoder.final_blk.0": _nchw(model.refine(fuse_tok)),
    }


def test_every_intermediate_matches_released_code(model, golden):
    meta = oracle_meta()
    with torch.inference_mode():
        ours = _intermediates(model, golden)
    assert sorted(ours) == sorted(e["module_path"] for e in meta["intermediates"])
    for entry in meta["intermediates"]:
        actual = ours[entry["module_path"]]
        assert list(actual.shape) == entry["shape"], entry["module_path"]
        torch.testing.assert_close(actual, golden[entry["key"]], atol=ATOL, rtol=RTOL,
                                   msg=lambda m, p=entry["module_path"]: f"{p}: {m}")


def test_bf16_autocast_stays_close_to_fp32(model, golden):
    lr, hr = golden["input/lrhsi"], golden["input/hrmsi"]
    ref = forward_at(model, lr, hr)
    low = forward_at(model, lr, hr, precision="bf16")
    assert low.dtype == torch.float32
    rel = (low - ref).norm() / ref.norm()
    assert rel < 0.05, f"bf16 relative L2 error {rel:.4f}"
