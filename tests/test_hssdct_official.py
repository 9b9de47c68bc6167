"""Loading and writing HSSDCT state_dicts with the authors' key names."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from hssdct.model import HSSDCT, HSSDCTConfig
from hssdct.official import from_official, official_key, to_official
from tests.test_hssdct_oracle import oracle_config, oracle_meta, oracle_state_dict

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def official():
    meta = oracle_meta()
    return oracle_state_dict(meta["state_dict"], meta["salt"])


@pytest.fixture(scope="module")
def config():
    return oracle_config(oracle_meta())


def _same_weights(a: HSSDCT, b: HSSDCT) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_round_trip_reproduces_keys_order_and_values(official, config):
    back = to_official(from_official(official, **config))
    assert list(back) == list(official)
    for key, value in official.items():
        assert back[key].dtype == value.dtype and torch.equal(back[key], value), key


def test_default_model_writes_every_released_key_and_shape_in_order():
    released = json.loads((FIXTURES / "hssdct_default_keys.json").read_text())
    ours = to_official(HSSDCT())
    assert [(k, list(v.shape)) for k, v in ours.items()] == [
        (e["key"], e["shape"]) for e in released["state_dict"]]
    assert [str(v.dtype).removeprefix("torch.") for v in ours.values()] == [
        e["dtype"] for e in released["state_dict"]]


def _released_module(key: str) -> str:
    """The module that the released JSON's params_by_submodule groups an official key under."""
    parts = key.split(".")
    return ".".join(parts[:3] if parts[1] in ("hsifeat", "msifeat", "final_blk") else parts[:2])


def test_default_model_has_the_released_parameter_counts():
    released = json.loads((FIXTURES / "hssdct_default_keys.json").read_text())
    model = HSSDCT()
    assert sum(p.numel() for p in model.parameters()) == released["total_params"] == 7_977_406
    per_module: dict[str, int] = {}
    for name, param in model.named_parameters():
        module = _released_module(official_key(name))
        per_module[module] = per_module.get(module, 0) + param.numel()
    assert per_module == released["params_by_submodule"]


def test_config_is_read_from_checkpoint_shapes(official):
    model = from_official(official)
    assert (model.config.bands, model.config.msi_bands, model.config.nf, model.config.gc) == (
        31, 3, 64, 32)


def test_missing_keys_are_listed(official, config):
    broken = OrderedDict(official)
    del broken["decoder.hsifeat.0.swin1.correlation.qv.conv.0.weight"]
    del broken["decoder.last.weight"]
    with pytest.raises(ValueError, match="missing keys \\(2\\)") as err:
        from_official(broken, **config)
    assert "decoder.hsifeat.0.swin1.correlation.qv.conv.0.weight" in str(err.value)
    assert "decoder.last.weight" in str(err.value)


def test_unknown_keys_are_listed(official, config):
    extra = OrderedDict(official)
    extra["decoder.hsifeat.0.swin5.norm1.weight"] = torch.ones(128)
    with pytest.raises(ValueError, match="unknown keys \\(1\\): decoder.hsifeat.0.swin5"):
        from_official(extra, **config)


def test_shape_mismatch_is_listed(official, config):
    bad = OrderedDict(official)
    bad["decoder.conv_fuse.0.bias"] = torch.zeros(30)
    with pytest.raises(ValueError, match="decoder.conv_fuse.0.bias: checkpoint \\(30,\\)"):
        from_official(bad, **config)


def test_dataparallel_prefix_and_model_wrapper_load(official, config):
    reference = from_official(official, **config)
    prefixed = OrderedDict(("module." + k, v) for k, v in official.items())
    assert _same_weights(from_official(prefixed, **config), reference)
    assert _same_weights(from_official({"model": official}, **config), reference)


def test_unused_decoder_norm_is_loaded_or_may_be_absent(official, config):
    with_norm = OrderedDict(official)
    with_norm["decoder.norm.weight"] = torch.full((32,), 3.0)
    assert torch.equal(from_official(with_norm, **config).unused_norm.weight, torch.full((32,), 3.0))
    without = OrderedDict((k, v) for k, v in official.items() if not k.startswith("decoder.norm."))
    assert torch.equal(from_official(without, **config).unused_norm.weight, torch.ones(32))


def test_relative_position_index_may_be_absent_but_not_wrong(official, config):
    without = OrderedDict((k, v) for k, v in official.items()
                          if not k.endswith("relative_position_index"))
    assert _same_weights(from_official(without, **config), from_official(official, **config))
    wrong = OrderedDict(official)
    key = "decoder.final_blk.0.swin2.attn.relative_position_index"
    wrong[key] = torch.zeros(16, 16, dtype=torch.long)
    with pytest.raises(ValueError, match=key):
        from_official(wrong, **config)


def test_checkpoint_file_loads(tmp_path, official, config):
    path = tmp_path / "best.pth"
    torch.save({"model": official, "epoch": 3}, path)
    assert _same_weights(from_official(path, **config), from_official(official, **config))
    assert _same_weights(from_official(str(path), **config), from_official(official, **config))


def test_missing_file_and_non_tensor_entries_are_errors(tmp_path, official, config):
    with pytest.raises(ValueError, match="no such file"):
        from_official(tmp_path / "nope.pth", **config)
    with pytest.raises(ValueError, match="'decoder.last.weight' is str"):
        from_official({**official, "decoder.last.weight": "oops"}, **config)


def test_explicit_config_overrides_inferred_and_mismatch_is_reported(official):
    with pytest.raises(ValueError, match="shape mismatches"):
        from_official(official, bands=31, msi_bands=3, nf=96)
    assert from_official(official, chunk_tokens=512).config == HSSDCTConfig(
        bands=31, msi_bands=3, nf=64, gc=32, chunk_tokens=512)
