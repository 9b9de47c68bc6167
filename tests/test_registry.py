"""The method registry: one decorator registers; list/get/build find entries by name."""

import pytest
import torch

import methods
from methods.registry import _REGISTRY, Published, register


@pytest.fixture
def scratch_entry():
    @register("zz_scratch", family="baseline", label="Scratch", defaults={"gain": 2.0},
              published=(Published(source="nowhere", dataset="none", psnr=1.0),))
    def build(bands, msi_bands, ratio, gain=1.0):
        return lambda lr, hr: gain * torch.nn.functional.interpolate(lr, scale_factor=ratio)

    yield "zz_scratch"
    _REGISTRY.pop("zz_scratch", None)


def test_decorator_registers_without_editing_any_list(scratch_entry):
    assert scratch_entry in methods.list()
    assert methods.list("zz_*") == [scratch_entry]


def test_build_applies_entry_defaults_then_overrides(scratch_entry):
    lr, hr = torch.ones(1, 3, 2, 2), torch.ones(1, 1, 8, 8)
    assert methods.build(scratch_entry, 3, 1, 4)(lr, hr).max() == 2.0
    assert methods.build(scratch_entry, 3, 1, 4, gain=3.0)(lr, hr).max() == 3.0


def test_published_figures_are_labelled_published(scratch_entry):
    (pub,) = methods.get(scratch_entry).published
    assert pub.source == "nowhere" and pub.psnr == 1.0


def test_unknown_method_error_lists_registered_names():
    with pytest.raises(KeyError, match="bicubic"):
        methods.get("no_such_method")


def test_register_rejects_unknown_needs_and_family():
    with pytest.raises(ValueError, match="needs"):
        register("zz_bad", family="deep", needs=("gpu",))
    with pytest.raises(ValueError, match="family"):
        register("zz_bad", family="magic")


def test_bicubic_entry_upsamples_to_hr_size():
    model = methods.build("bicubic", 5, 3, 4)
    out = model(torch.rand(2, 5, 4, 4), torch.rand(2, 3, 16, 16))
    assert out.shape == (2, 5, 16, 16)


def test_every_entry_has_a_label_family_and_paper():
    for name in methods.list():
        spec = methods.get(name)
        assert spec.label and spec.family in ("deep", "classical", "baseline") and spec.paper


def test_cli_lists_methods(capsys):
    from methods.__main__ import main

    assert main(["list"]) == 0
    assert "bicubic" in capsys.readouterr().out
