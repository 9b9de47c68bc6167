"""QRCODE-style network: budget, anchor handling, and the closed-form MAC count."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import methods
from methods.qrcode.blocks import input_groups
from methods.qrcode.model import QRCodeConfig, QRCodeStyle, attention_macs

SMALL = QRCodeConfig(bands=8, msi_bands=3, nf=16, gc=8, window=8, heads=2)
LR = 8  # HR 32: a 4 x 4 grid of 8 x 8 windows, so the shifted layer's mask is exercised


def small_inputs(
    cfg: QRCodeConfig = SMALL, batch: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    lrhsi = torch.rand(batch, cfg.bands, LR, LR, generator=g) * 2 - 1
    hrmsi = torch.rand(batch, cfg.msi_bands, 4 * LR, 4 * LR, generator=g) * 2 - 1
    anchor = torch.rand(batch, cfg.bands, 4 * LR, 4 * LR, generator=g) * 2 - 1
    return lrhsi, hrmsi, anchor


def test_params_match_budget_at_aviris_config():
    with torch.device("meta"):
        model4 = QRCodeStyle(QRCodeConfig())
        model6 = QRCodeStyle(QRCodeConfig(msi_bands=6))
    n4 = sum(p.numel() for p in model4.parameters())
    assert n4 == 41_897_500
    assert abs(n4 / 41.88e6 - 1) < 1e-3  # QRCODE's published 41.88 M
    assert sum(p.numel() for p in model6.parameters()) == 41_899_048


def test_forward_adds_the_given_anchor_to_the_residual():
    model = QRCodeStyle(SMALL).eval()
    lrhsi, hrmsi, anchor = small_inputs()
    with torch.no_grad():
        out = model(lrhsi, hrmsi, anchor=anchor)
        residual = model.residual(lrhsi, hrmsi)
    assert out.shape == (1, 8, 32, 32) and torch.isfinite(out).all()
    torch.testing.assert_close(out, anchor + residual)


def test_output_equals_anchor_when_the_last_conv_is_zero():
    model = QRCodeStyle(SMALL).eval()
    nn.init.zeros_(model.trunk.tail.weight)
    assert model.trunk.tail.bias is None
    lrhsi, hrmsi, anchor = small_inputs()
    with torch.no_grad():
        out = model(lrhsi, hrmsi, anchor=anchor)
    assert torch.equal(out, anchor)


def test_bicubic_variant_uses_upsampled_lrhsi_without_anchor():
    model = QRCodeStyle(QRCodeConfig(**{**SMALL.__dict__, "anchor": "bicubic"})).eval()
    nn.init.zeros_(model.trunk.tail.weight)
    lrhsi, hrmsi, _ = small_inputs()
    with torch.no_grad():
        out = model(lrhsi, hrmsi)
    expected = F.interpolate(lrhsi, size=(32, 32), mode="bicubic", align_corners=False)
    torch.testing.assert_close(out, expected, atol=0, rtol=0)


def test_forward_without_anchor_raises_unless_built_bicubic():
    lrhsi, hrmsi, _ = small_inputs()
    with pytest.raises(ValueError, match="anchor is required"):
        QRCodeStyle(SMALL)(lrhsi, hrmsi)


def test_forward_rejects_anchor_of_wrong_shape():
    lrhsi, hrmsi, anchor = small_inputs()
    with pytest.raises(ValueError, match="anchor must be"):
        QRCodeStyle(SMALL)(lrhsi, hrmsi, anchor=anchor[:, :7])


def test_config_rejects_unknown_anchor_source():
    with pytest.raises(ValueError, match="anchor must be 'given' or 'bicubic'"):
        QRCodeConfig(anchor="cnmf")


def hook_weight_macs(model: nn.Module, *inputs: torch.Tensor, **side: torch.Tensor) -> int:
    """Conv2d/Linear weight MACs (bias excluded) counted by forward hooks, batch 1."""
    total = 0

    def count(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += out.numel() * (module.in_channels // module.groups) * kh * kw
        else:
            total += out.numel() * module.in_features

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(count)
    with torch.no_grad():
        model(*inputs, **side)
    return total


def _mfb_macs_per_pixel(nf: int, gc: int, groups: int) -> int:
    return 9 * (nf * nf + 8 * nf * gc + 6 * gc * gc) // groups


def weight_macs(cfg: QRCodeConfig, lr_size: tuple[int, int]) -> dict[str, int]:
    """The analytic oracle: closed-form conv + linear weight MACs (bias excluded) by part, for an
    LR-HSI of ``lr_size``, from the architecture of docs/qrcode.md, section B.2.

    This is what forward hooks on Conv2d/Linear count. The attention products (QK^T, AV) are
    separate: ``methods.qrcode.model.attention_macs``.
    """
    h, w = lr_size
    lr, mid, hr = h * w, 4 * h * w, 16 * h * w
    c, nf, gc, g = cfg.bands, cfg.nf, cfg.gc, cfg.groups
    g_in = input_groups(c, g)
    return {
        "hsi": lr * 9 * c * 2 * nf // g_in
        + mid * 2 * 3 * _mfb_macs_per_pixel(2 * nf, gc // 2, g)
        + hr * 9 * 2 * nf * nf // g,
        "msi": hr * (9 * cfg.msi_bands * (nf // 2) + 2 * 3 * _mfb_macs_per_pixel(nf // 2, 2 * gc, 1)
                     + 9 * (nf // 2) * nf),
        "swam": cfg.swam_layers * hr * 4 * nf * nf,
        "trunk": hr * (9 * nf * nf // g_in + cfg.trunk_blocks * 3 * _mfb_macs_per_pixel(nf, gc, g)
                       + 9 * nf * c),
    }


@pytest.mark.parametrize("groups", [1, 2])
def test_hook_macs_match_closed_form_at_small_input(groups):
    cfg = QRCodeConfig(**{**SMALL.__dict__, "groups": groups})
    lrhsi, hrmsi, anchor = small_inputs(cfg, batch=1)
    counted = hook_weight_macs(QRCodeStyle(cfg).eval(), lrhsi, hrmsi, anchor=anchor)
    assert counted == sum(weight_macs(cfg, (LR, LR)).values())


def test_closed_form_macs_reproduce_spec_measurements_at_paper_size():
    # docs/qrcode.md, section B.6 (measured at LR 64, HR 256, torch 2.13 CPU):
    # forward-hook conv+linear total 2237.267247104 G; aten FlopCounterMode/2 2240.152928256 G.
    parts = weight_macs(QRCodeConfig(), (64, 64))
    assert parts["swam"] == 15_510_536_192
    assert sum(parts.values()) == 2_237_267_247_104
    assert sum(parts.values()) + attention_macs(QRCodeConfig(), (64, 64)) == 2_240_152_928_256


def test_registered_builders_make_the_two_entries():
    with_anchor = methods.build("qrcode", 8, 3, nf=16, gc=8, window=8, heads=2)
    ablation = methods.build("qrcode_noanchor", 8, 3, nf=16, gc=8, window=8, heads=2)
    assert with_anchor.config.anchor == "given" and ablation.config.anchor == "bicubic"
    lrhsi, hrmsi, _ = small_inputs(with_anchor.config, batch=1)
    with torch.no_grad():
        assert ablation.eval()(lrhsi, hrmsi).shape == (1, 8, 32, 32)


def test_builders_reject_ratio_other_than_four():
    with pytest.raises(ValueError, match="ratio must be 4"):
        methods.build("qrcode", 8, 3, ratio=8, nf=16, gc=8)


def test_builders_reject_unknown_config_keys():
    with pytest.raises(ValueError, match=r"unknown QRCODE-style config keys \['depth'\]"):
        methods.build("qrcode_noanchor", 8, 3, depth=3)


def test_registry_entries_carry_published_figures_and_recipe():
    entry, ablation = methods.get("qrcode"), methods.get("qrcode_noanchor")
    assert entry.needs == {"anchor"} and ablation.needs == frozenset()
    assert entry.family == ablation.family == "deep" and entry.domain == ablation.domain == "pm1"
    assert entry.label == "QRCODE-style (re-implemented; no official code)"
    assert ablation.label == "QRCODE-style w/o convex anchor"
    by_bands = {p.msi_bands: p for p in entry.published}
    assert (by_bands[4].params_m, by_bands[4].flops_g, by_bands[4].psnr, by_bands[4].sam) == (
        41.88,
        2231.19,
        35.361,
        1.623,
    )
    assert (by_bands[6].psnr, by_bands[6].sam) == (38.948, 1.148)
    recipe = entry.recipe
    assert (recipe.optimizer, recipe.lr, recipe.weight_decay, recipe.scheduler) == (
        "adam",
        1e-4,
        0.0,
        "cosine",
    )
    assert (recipe.epochs, recipe.eta_min, recipe.batch_size, recipe.crop_size) == (
        600,
        1e-10,
        4,
        128,
    )
    assert recipe.flips and recipe.rot90 and recipe.train_snr_db == 35.0
