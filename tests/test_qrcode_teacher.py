"""CSAKD teacher: our COGuidedTeacher against the official class's golden vectors."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from fileio.checkpoints import load_state_dict
from methods.qrcode.blocks import lrelu
from methods.qrcode.official import (
    from_official,
    official_name_to_ours,
    our_name_to_official,
    to_official,
)
from methods.qrcode.teacher import COGuidedTeacher, TeacherConfig

FIXTURES = Path(__file__).parent / "fixtures"
ATOL = 1e-5


@cache
def golden() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "qrcode_teacher_small.npz") as z:
        return {k: z[k] for k in z.files}


def golden_config() -> TeacherConfig:
    cfg = json.loads((FIXTURES / "qrcode_teacher_small.json").read_text())["config"]
    assert cfg["in_nc"] == cfg["out_nc"] and cfg["groups"] == 1
    return TeacherConfig(bands=cfg["in_nc"], msi_bands=cfg["in_msi"], nf=cfg["nf"], gc=cfg["gc"])


def official_state() -> dict[str, torch.Tensor]:
    return {
        k[len("param/") :]: torch.from_numpy(v)
        for k, v in golden().items()
        if k.startswith("param/")
    }


def loaded_teacher() -> COGuidedTeacher:
    model = COGuidedTeacher(golden_config()).eval()
    model.load_state_dict(from_official(official_state(), model), strict=True)
    return model


def golden_inputs() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(golden()["input/lrhsi"]), torch.from_numpy(golden()["input/hrmsi"])


def test_teacher_param_count_matches_official_small_build():
    assert sum(p.numel() for p in COGuidedTeacher(golden_config()).parameters()) == 540_456


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        (TeacherConfig(), 33_832_082),  # docs/qrcode.md, section A.4, measured on the official class
        (TeacherConfig(msi_bands=6), 33_833_630),
        (TeacherConfig(groups=4, gc=48), 14_735_762),  # "COCNN-Light"
        (TeacherConfig(trunk_blocks=9), 41_922_704),  # A.5 budget-matched trunk
    ],
)
def test_teacher_param_count_matches_official_aviris_builds(cfg, expected):
    with torch.device("meta"):
        model = COGuidedTeacher(cfg)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_teacher_output_matches_official_golden():
    with torch.no_grad():
        out = loaded_teacher()(*golden_inputs())
    expected = torch.from_numpy(golden()["output/fused"])
    torch.testing.assert_close(out, expected, atol=ATOL, rtol=0)


def test_teacher_float64_output_matches_official_float64_golden():
    lrhsi, hrmsi = golden_inputs()
    with torch.no_grad():
        out = loaded_teacher().double()(lrhsi.double(), hrmsi.double())
    expected = torch.from_numpy(golden()["output/fused_float64"])
    torch.testing.assert_close(out, expected, atol=1e-12, rtol=0)


def _ours_for_inter(official: str) -> tuple[str, bool]:
    """Our module path for a golden ``inter/<module>`` and whether to apply LReLU to its output.

    ``conv_fuse`` is the official Sequential(conv, LReLU); ours is the plain conv ``fuse``. The
    golden ``codfeat.0.MFB1.conv1`` is the raw conv output (the hook clone precedes the in-place
    LReLU; a post-LReLU reading does not hold for the stored values: docs/qrcode.md, section C).
    """
    if official == "conv_fuse":
        return "fuse", True
    ours = official_name_to_ours(official)
    assert ours is not None, official
    return ours, False


INTER_KEYS = sorted(k[len("inter/") :] for k in golden() if k.startswith("inter/"))


@cache
def teacher_activations() -> dict[str, torch.Tensor]:
    """One forward pass of the loaded teacher, with every golden ``inter/`` module hooked."""
    model = loaded_teacher()
    seen: dict[str, torch.Tensor] = {}
    for official in INTER_KEYS:
        ours, activate = _ours_for_inter(official)

        def hook(module, inputs, output, official=official, activate=activate):
            seen[official] = lrelu(output) if activate else output.clone()

        model.get_submodule(ours).register_forward_hook(hook)
    with torch.no_grad():
        model(*golden_inputs())
    return seen


@pytest.mark.parametrize("official", INTER_KEYS)
def test_teacher_intermediate_activation_matches_official_golden(official):
    expected = torch.from_numpy(golden()[f"inter/{official}"])
    torch.testing.assert_close(teacher_activations()[official], expected, atol=ATOL, rtol=0)


def test_stack_intermediates_exclude_the_outer_residual():
    model = loaded_teacher()
    seen: list[torch.Tensor] = []
    model.trunk.feat.register_forward_hook(lambda m, i, o: seen.append(o.clone()))
    with torch.no_grad():
        model(*golden_inputs())
    stack_only = torch.from_numpy(golden()["inter/codfeat"])
    assert (seen[0] - stack_only).abs().max() > 1e-3  # the residual output differs from the stack's


def test_to_official_inverts_from_official_on_every_golden_key():
    state = official_state()
    assert len(state) == 313
    back = to_official(from_official(state, COGuidedTeacher(golden_config())))
    assert set(back) == set(state)
    assert all(torch.equal(back[k], state[k]) for k in state)


def test_name_mapping_renames_dense_block_convs():
    assert (
        official_name_to_ours("codfeat.2.MFB3.conv5.bias")
        == "trunk.feat.mfas.2.mfbs.2.convs.4.bias"
    )
    assert (
        our_name_to_official("hsi.feat.mfas.1.mfbs.0.convs.0.weight")
        == "hsifeat.1.MFB1.conv1.weight"
    )
    assert official_name_to_ours("decoder.conv_fuse.0.weight") == "fuse.weight"
    assert official_name_to_ours("coconv1.weight") is None


def test_from_official_lists_unknown_and_missing_keys():
    state = official_state()
    state["coconv1.weight"] = torch.zeros(1)
    del state["last.weight"]
    with pytest.raises(
        ValueError,
        match=r"unknown official keys \['coconv1.weight'\].*missing keys \['trunk.tail.weight'\]",
    ):
        from_official(state, COGuidedTeacher(golden_config()))


def test_from_official_rejects_trunk_blocks_the_model_lacks():
    model = COGuidedTeacher(TeacherConfig(bands=8, msi_bands=3, nf=16, gc=8, trunk_blocks=5))
    with pytest.raises(ValueError, match=r"codfeat\.5\.MFB1\.conv1\.weight"):
        from_official(official_state(), model)


def load_official_file(path: Path, model: COGuidedTeacher) -> COGuidedTeacher:
    """An official teacher weights file into ``model``: safe load, then rename strictly."""
    model.load_state_dict(from_official(load_state_dict(path), model), strict=True)
    return model


def test_official_checkpoint_file_with_wrapper_prefix_loads(tmp_path):
    path = tmp_path / "teacher.pth"
    torch.save({f"decoder.{k}": v for k, v in official_state().items()}, path)
    model = load_official_file(path, COGuidedTeacher(golden_config()).eval())
    with torch.no_grad():
        out = model(*golden_inputs())
    torch.testing.assert_close(out, torch.from_numpy(golden()["output/fused"]), atol=ATOL, rtol=0)


@dataclass
class _NotWeights:
    payload: str = "arbitrary object"


def test_official_checkpoint_file_holding_arbitrary_pickles_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"obj": _NotWeights()}, path)
    with pytest.raises(ValueError, match=r"evil\.pth: cannot be read with weights_only=True") as err:
        load_official_file(path, COGuidedTeacher(golden_config()))
    assert isinstance(err.value.__cause__, pickle.UnpicklingError)


def test_teacher_rejects_hr_size_not_four_times_lr():
    model = COGuidedTeacher(golden_config())
    with pytest.raises(ValueError, match="hrmsi must be"):
        model(torch.zeros(1, 8, 8, 8), torch.zeros(1, 3, 16, 16))
