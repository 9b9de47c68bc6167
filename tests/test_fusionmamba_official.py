"""from_official / to_official: the authors' U2Net state_dict keys, shapes and loading rules."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import methods
from methods.fusionmamba import FusionMamba, from_official, to_official

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def official_state():
    with np.load(FIXTURES / "fusionmamba_small.npz") as data:
        return {k[len("param/"):]: torch.from_numpy(data[k]) for k in data.files
                if k.startswith("param/")}


def test_paper_model_has_the_official_key_set_and_shapes():
    reference = json.loads((FIXTURES / "fusionmamba_default_keys.json").read_text())
    with torch.device("meta"):
        model = methods.build("fusionmamba", 172, 4)
    got = {k: list(v.shape) for k, v in to_official(model).items()}
    assert got == {k: v["shape"] for k, v in reference["keys"].items()}
    assert sum(v.numel() for v in to_official(model).values()) == reference["total_params"]


def test_round_trip_through_official_keys_is_exact(official_state):
    back = to_official(from_official(official_state))
    assert back.keys() == official_state.keys()
    assert all(torch.equal(back[k], v) for k, v in official_state.items())


def test_config_is_read_off_the_checkpoint(official_state):
    cfg = from_official(official_state).config
    assert (cfg.hsi_bands, cfg.msi_bands, cfg.width, cfg.ratio, cfg.d_state) == (8, 3, 16, 4, 8)


def test_direction_tensors_land_in_the_stacked_parameters(official_state):
    model = from_official(official_state)
    mamba = model.enc1.fusion.hsi_cross.mamba
    prefix = "stage1.fm.spe_cross_mamba.block."
    x_proj = mamba.x_proj.weight.view(4, -1, mamba.d_inner)
    assert torch.equal(x_proj[2], official_state[prefix + "x_proj_c.weight"])
    assert torch.equal(mamba.A_log[3], official_state[prefix + "A_d_log"])
    assert torch.equal(mamba.conv.stacked()[0][1], official_state[prefix + "conv1d_b.weight"][:, 0])
    assert torch.equal(mamba.cond_proj.weight, official_state[prefix + "in_proj_b.weight"])


def test_module_prefix_and_model_wrapper_are_accepted(official_state):
    wrapped = {"model": {f"module.{k}": v for k, v in official_state.items()}, "epoch": 3}
    model = from_official(wrapped)
    assert torch.equal(model.out_conv2.bias, official_state["to_hrms.2.bias"])


def test_checkpoint_file_loads_with_weights_only(official_state, tmp_path):
    path = tmp_path / "fusionmamba.pth"
    torch.save({"model": official_state}, path)
    model = from_official(path)
    assert torch.equal(model.lr_upsample.weight, official_state["upsample.upsamle.0.weight"])


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        from_official(tmp_path / "nope.pth")


def test_missing_and_unknown_keys_are_listed(official_state):
    broken = dict(official_state)
    del broken["stage2.fm.out_proj.bias"]
    broken["stage9.extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="stage2.fm.out_proj.bias") as info:
        from_official(broken)
    assert "stage9.extra.weight" in str(info.value)


def test_wrong_shapes_are_listed(official_state):
    broken = dict(official_state)
    broken["stage0.fm.spa_cross_mamba.block.D_c"] = torch.zeros(3)
    with pytest.raises(ValueError, match=r"D_c: \(3,\)"):
        from_official(broken)


def test_config_override_that_does_not_fit_is_rejected(official_state):
    with pytest.raises(ValueError, match="wrong shape"):
        from_official(official_state, dim=32)


def test_unknown_option_is_a_value_error(official_state):
    with pytest.raises(ValueError, match="depth"):
        from_official(official_state, depth=2)


def test_not_a_fusionmamba_checkpoint_is_a_value_error():
    with pytest.raises(ValueError, match="not a FusionMamba"):
        from_official({"conv.weight": torch.zeros(1)})


def test_to_official_returns_copies():
    model = FusionMamba(hsi_bands=4, msi_bands=2, dim=16)
    state = to_official(model)
    state["to_hrms.2.bias"].add_(1.0)
    assert not torch.equal(state["to_hrms.2.bias"], model.out_conv2.bias)
