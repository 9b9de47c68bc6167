"""The method registry: one decorator registers; list/get/build find entries by name."""

import pytest
import torch

import methods
from methods.registry import Published, register


def _scratch_build(bands, msi_bands, ratio, gain=1.0):
    return lambda lr, hr: gain * torch.nn.functional.interpolate(lr, scale_factor=ratio)


@pytest.fixture
def scratch_entry():
    with methods.registered("zz_scratch", _scratch_build, family="baseline", label="Scratch",
                            published=(Published(source="nowhere", dataset="none", psnr=1.0),)):
        yield "zz_scratch"


def test_decorator_registers_without_editing_any_list(scratch_entry):
    assert scratch_entry in methods.list_methods()
    assert methods.list_methods("zz_*") == [scratch_entry]


def test_build_uses_the_builders_defaults_and_passes_options_through(scratch_entry):
    lr, hr = torch.ones(1, 3, 2, 2), torch.ones(1, 1, 8, 8)
    assert methods.build(scratch_entry, 3, 1, 4)(lr, hr).max() == 1.0
    assert methods.build(scratch_entry, 3, 1, 4, gain=3.0)(lr, hr).max() == 3.0


def test_published_figures_are_labelled_published(scratch_entry):
    (pub,) = methods.get(scratch_entry).published
    assert pub.source == "nowhere" and pub.psnr == 1.0


def test_registered_entry_is_gone_after_the_block_and_names_are_not_reused():
    with methods.registered("zz_scratch", _scratch_build, family="baseline") as spec:
        assert spec.name == "zz_scratch" and "zz_scratch" in methods.list_methods()
        with pytest.raises(ValueError, match="already registered"):
            with methods.registered("zz_scratch", _scratch_build, family="baseline"):
                pass
    assert "zz_scratch" not in methods.list_methods()
    with pytest.raises(ValueError, match="already registered"):
        with methods.registered("bicubic", _scratch_build, family="baseline"):
            pass
    assert methods.get("bicubic").build is not _scratch_build


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
    for name in methods.list_methods():
        spec = methods.get(name)
        assert spec.label and spec.family in ("deep", "classical", "baseline") and spec.paper


def test_cli_lists_methods(capsys):
    from methods.__main__ import main

    assert main(["list"]) == 0
    assert "bicubic" in capsys.readouterr().out


@pytest.mark.parametrize("name", methods.list_methods())
def test_declared_input_limits_are_what_the_forward_accepts(name):
    """Each entry's min_lr_side / lr_multiple, checked against forwards of its default build
    (8 bands, 3 MSI bands, ratio 4): the smallest accepted side works, the sides below it and
    between its multiples fail."""
    from benchmarks.measure import InputShape, build_for, synthetic_inputs

    spec = methods.get(name)

    def forward(lr: int) -> bool:
        shape = InputShape(bands=8, msi_bands=3, lr=lr, ratio=4)
        model = build_for(name, {}, shape)
        inputs, side = synthetic_inputs(spec, shape)
        try:
            with torch.inference_mode():
                return tuple(model(*inputs, **side).shape) == (1, 8, 4 * lr, 4 * lr)
        except Exception:  # noqa: BLE001 - any refusal counts
            return False

    step = spec.lr_multiple
    smallest = -(-spec.min_lr_side // step) * step
    assert forward(smallest)
    if smallest > 1:
        assert not forward(smallest - 1)
    if step > 1:
        assert not forward(smallest + 1)
