"""FusionMamba reproduces the official U2Net's outputs (tests/fixtures/fusionmamba_small.*)."""

import pytest
import torch

import methods
from methods.fusionmamba import FusionMamba, FusionMambaConfig, from_official, scan_recurrence_macs
from methods.fusionmamba import model as fm_model
from methods.fusionmamba import scan as fm_scan

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def official_state(fusionmamba_oracle):
    return {k[len("param/"):]: v for k, v in fusionmamba_oracle.items() if k.startswith("param/")}


@pytest.fixture(scope="module")
def model(official_state):
    return from_official(official_state).eval()


def run(model, oracle, prefix=""):
    with torch.inference_mode():
        return model(oracle[f"{prefix}input/lrhsi"], oracle[f"{prefix}input/hrmsi"])


def max_error(got, want):
    assert got.shape == want.shape
    return (got - want).abs().max().item()


def test_output_matches_official_golden(model, fusionmamba_oracle):
    assert max_error(run(model, fusionmamba_oracle), fusionmamba_oracle["output/fused"]) < 1e-5


def test_batch_of_two_matches_official_golden(model, fusionmamba_oracle):
    got = run(model, fusionmamba_oracle, "extra/batch2/")
    assert max_error(got, fusionmamba_oracle["extra/batch2/output/fused"]) < 1e-5


def test_non_square_input_matches_official_golden_without_rebuilding(model, fusionmamba_oracle):
    """32 x 24 catches h/w mix-ups in the column-major scans; the model was never rebuilt."""
    got = run(model, fusionmamba_oracle, "extra/nonsquare/")
    assert max_error(got, fusionmamba_oracle["extra/nonsquare/output/fused"]) < 1e-5


def test_float64_matches_official_float64_golden(official_state, fusionmamba_oracle):
    model = from_official({k: v.double() for k, v in official_state.items()}).double().eval()
    with torch.inference_mode():
        got = model(fusionmamba_oracle["input/lrhsi"].double(), fusionmamba_oracle["input/hrmsi"].double())
    assert max_error(got, fusionmamba_oracle["output/fused_float64"]) < 1e-6


def test_streaming_in_tiny_blocks_gives_the_same_output(model, fusionmamba_oracle, monkeypatch):
    """Many streamed blocks and scan blocks: conv history and SSM state cross block borders."""
    monkeypatch.setitem(fm_model._STREAM_ELEMENTS, "cpu", 1)
    monkeypatch.setitem(fm_scan._BLOCK_ELEMENTS, "cpu", 1)
    assert fm_scan.block_tokens(4 * 8 * 16, torch.device("cpu")) < 64
    assert max_error(run(model, fusionmamba_oracle), fusionmamba_oracle["output/fused"]) < 1e-5


def test_stage_outputs_match_official_intermediates(model, fusionmamba_oracle):
    """First fusion block (both streams) and the band weights, to localise a mismatch."""
    seen = {}
    hooks = [model.enc0.fusion.register_forward_hook(lambda m, i, o: seen.setdefault("fm", o)),
             model.band_attention.register_forward_hook(lambda m, i, o: seen.setdefault("att", o))]
    try:
        run(model, fusionmamba_oracle)
    finally:
        for h in hooks:
            h.remove()
    assert max_error(seen["fm"][0], fusionmamba_oracle["inter/stage0.fm/out0"]) < 1e-5
    assert max_error(seen["fm"][1], fusionmamba_oracle["inter/stage0.fm/out1"]) < 1e-5
    assert max_error(seen["att"], fusionmamba_oracle["inter/spe_attn"]) < 1e-6


def test_training_forward_equals_inference_and_gives_finite_gradients(model, fusionmamba_oracle):
    """With autograd each streamed block is a checkpoint; numbers must not change."""
    model.zero_grad()
    lrhsi, hrmsi = fusionmamba_oracle["input/lrhsi"], fusionmamba_oracle["input/hrmsi"]
    out = model(lrhsi, hrmsi)
    assert max_error(out.detach(), fusionmamba_oracle["output/fused"]) < 1e-5
    out.square().mean().backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values())
    assert grads["enc0.fusion.msi_cross.mamba.A_log"].abs().sum() > 0
    assert grads["band_attention.mamba.dt_bias"].abs().sum() > 0
    model.zero_grad()


def test_bf16_autocast_trains_with_the_scan_in_float32(official_state, fusionmamba_oracle):
    model = from_official(official_state)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(fusionmamba_oracle["input/lrhsi"], fusionmamba_oracle["input/hrmsi"])
        out.float().abs().mean().backward()
    assert max_error(out.detach().float(), fusionmamba_oracle["output/fused"]) < 0.05
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_runs_at_any_size_divisible_by_four_with_the_same_weights(model):
    for h, w in [(4, 4), (5, 3), (6, 10)]:
        out = model(torch.rand(2, 8, h, w), torch.rand(2, 3, 4 * h, 4 * w))
        assert out.shape == (2, 8, 4 * h, 4 * w) and torch.isfinite(out).all()


def test_batch_elements_do_not_mix(model):
    lrhsi, hrmsi = torch.rand(3, 8, 4, 6), torch.rand(3, 3, 16, 24)
    with torch.inference_mode():
        together = model(lrhsi, hrmsi)
        alone = model(lrhsi[1:2], hrmsi[1:2])
    assert max_error(together[1:2], alone) < 1e-5


@pytest.mark.parametrize("ratio,lrhsi,hrmsi,match", [
    (4, (1, 7, 8, 8), (1, 3, 32, 32), "lrhsi"),
    (4, (1, 8, 8, 8), (1, 4, 32, 32), "hrmsi"),
    (4, (1, 8, 8, 8), (1, 3, 32, 28), "hrmsi"),
    (4, (8, 8, 8), (1, 3, 32, 32), "lrhsi"),
    (2, (1, 8, 5, 5), (1, 3, 10, 10), "divisible by 4"),
])
def test_bad_input_shapes_raise_value_error_naming_the_problem(ratio, lrhsi, hrmsi, match):
    model = FusionMamba(hsi_bands=8, msi_bands=3, dim=16, ratio=ratio)
    with pytest.raises(ValueError, match=match):
        model(torch.rand(lrhsi), torch.rand(hrmsi))


def test_config_rejects_unknown_scan_backend():
    with pytest.raises(ValueError, match="scan_backend"):
        FusionMambaConfig(scan_backend="fast")


def test_paper_config_has_21_674_925_parameters():
    with torch.device("meta"):
        model = methods.build("fusionmamba", 172, 4)
    assert model.config.width == 172
    assert sum(p.numel() for p in model.parameters()) == 21_674_925


def test_six_band_config_has_21_678_021_parameters():
    with torch.device("meta"):
        model = methods.build("fusionmamba", 172, 6)
    assert sum(p.numel() for p in model.parameters()) == 21_678_021


def test_init_follows_mamba_recipe():
    torch.manual_seed(0)
    mamba = FusionMamba(hsi_bands=8, msi_bands=3, dim=16).enc0.fusion.msi_self.mamba
    assert torch.equal(mamba.A_log[2, 5], torch.log(torch.arange(1.0, 9.0)))
    assert torch.equal(mamba.D, torch.ones_like(mamba.D))
    dt = torch.nn.functional.softplus(mamba.dt_bias)
    assert dt.min() >= 1e-3 * 0.999 and dt.max() <= 0.1 * 1.001
    assert mamba.dt_proj_weight.abs().max() <= mamba.dt_rank ** -0.5


def test_scan_macs_declared_by_modules_sum_to_the_closed_form(model, fusionmamba_oracle):
    total = []
    hooks = [m.register_forward_hook(lambda m, i, o: total.append(m.analytic_macs(i, o)))
             for m in model.modules() if hasattr(m, "analytic_macs")]
    try:
        run(model, fusionmamba_oracle, "extra/nonsquare/")
    finally:
        for h in hooks:
            h.remove()
    assert sum(total) == scan_recurrence_macs(model.config, 32, 24)
    # docs/fusionmamba.md, "Complexity" (section 11 of the source spec)
    assert scan_recurrence_macs(FusionMambaConfig(), 256, 256) == 18_758_820_864


def test_module_calls_follow_the_official_code_for_hook_counts(model, fusionmamba_oracle):
    """Cross Mambas call conv, SiLU and x_proj as modules (official v7 CPU path), the others
    apply the same weights functionally (official fused path); x_proj sees every token once."""
    calls = []
    hooks = [m.register_forward_hook(lambda m, i, o, name=name: calls.append((name, i[0].numel())))
             for name, m in model.named_modules() if name.endswith(("mamba.conv", "mamba.act", "x_proj"))]
    try:
        run(model, fusionmamba_oracle, "")
    finally:
        for h in hooks:
            h.remove()
    called = {name for name, _ in calls}
    assert called and all("_cross." in name for name in called)
    assert len(called) == 3 * 2 * 5  # conv, act, x_proj of both cross Mambas in five blocks
    x_proj_inputs = {name: n for name, n in calls if name.endswith("x_proj")}
    assert x_proj_inputs["enc0.fusion.msi_cross.mamba.x_proj"] == 32 * 32 * 16  # b L E, once


def test_registry_entry_builds_with_dim_equal_to_bands_in_pm1_domain():
    spec = methods.get("fusionmamba")
    assert (spec.family, spec.domain, spec.label) == ("deep", "pm1", "FusionMamba")
    recipe = spec.recipe
    assert (recipe.loss_name, recipe.lr, recipe.scheduler, recipe.step_size, recipe.gamma) == (
        "l1", 5e-4, "step", 200, 0.5)
    assert (recipe.epochs, recipe.batch_size, recipe.crop_size) == (500, 32, 64)
    assert recipe.loss_fn(torch.zeros(2), torch.ones(2)).item() == 1.0
    assert {(p.msi_bands, p.psnr, p.sam) for p in spec.published} == {(4, 30.741, 1.978),
                                                                      (6, 32.407, 1.540)}
    model = methods.build("fusionmamba", 8, 3)
    assert model.config.width == 8 and isinstance(model, FusionMamba)
    assert methods.build("fusionmamba", 8, 3, dim=16).config.width == 16
