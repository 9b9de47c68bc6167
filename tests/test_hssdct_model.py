"""HSSDCT construction, input checks, the position-bias caches, training and the registry entry."""

from __future__ import annotations

import pytest
import torch

import methods
from hssdct.losses import hssdct_loss
from hssdct.model import HSSDCT, HSSDCTConfig, Mlp, head_count
from hssdct.official import from_official, to_official

TINY = {"bands": 8, "msi_bands": 3, "nf": 32}  # smallest valid width; LR sides >= 9


pytestmark = pytest.mark.usefixtures("one_thread")


def _inputs(batch=1, side=9, bands=8, msi=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, bands, side, side, generator=gen) * 2 - 1,
            torch.rand(batch, msi, 4 * side, 4 * side, generator=gen) * 2 - 1)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return HSSDCT(**TINY).eval()


def test_head_rule_matches_released_defaults():
    assert [head_count(192, 192 + 32 * k) for k in range(4)] == [8, 8, 8, 8]
    assert [head_count(172, 172 + 32 * k) for k in range(4)] == [4, 4, 4, 4]
    assert head_count(31, 31) == 1


def test_output_shape_and_batch_independence(tiny):
    lr, hr = _inputs(batch=2, side=10)
    with torch.inference_mode():
        both = tiny(lr, hr)
        first = tiny(lr[:1], hr[:1])
    assert both.shape == (2, 8, 40, 40) and both.is_contiguous()
    torch.testing.assert_close(both[:1], first, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("lr_shape", "hr_shape", "message"), [
    ((1, 8, 8, 8), (1, 3, 32, 32), "sides must be >= 9"),
    ((1, 8, 9, 9), (1, 3, 36, 35), "hrmsi must be 4x the lrhsi size"),
    ((1, 7, 9, 9), (1, 3, 36, 36), "lrhsi must have 8 bands, got 7"),
    ((1, 8, 9, 9), (1, 4, 36, 36), "hrmsi must have 3 bands, got 4"),
    ((2, 8, 9, 9), (1, 3, 36, 36), "batch sizes differ"),
    ((8, 9, 9), (3, 36, 36), "must be 4-D"),
])
def test_bad_inputs_raise_clear_errors(tiny, lr_shape, hr_shape, message):
    with pytest.raises(ValueError, match=message):
        tiny(torch.zeros(lr_shape), torch.zeros(hr_shape))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"nf": 80}, "nf must be a multiple of 32"),
    ({"nf": 0}, "nf must be positive"),
    ({"bands": 27}, "final block layer 3: width 91 is not divisible by its head count 4"),
    ({"gc": 24}, "spectral HTB 2: width 88 is not divisible by 2 x heads"),
    ({"ratio": 2}, "ratio must be 4"),
    ({"window_ratios": (0.5, 1, 2)}, "4 entries"),
    ({"window_ratios": (0.3, 1, 2, 4)}, "whole numbers"),
    ({"chunk_tokens": 0}, "chunk_tokens must be positive"),
])
def test_invalid_configurations_raise_at_construction(overrides, message):
    with pytest.raises(ValueError, match=message):
        HSSDCT(**{**TINY, **overrides})


def test_position_bias_cache_follows_loaded_weights(tiny):
    """A cached table must not survive a weight change (load_state_dict, in-place updates)."""
    lr, hr = _inputs()
    changed = {k: v + 0.05 * torch.randn_like(v) if "pos_bias" in k or "bias_table" in k else v
               for k, v in tiny.state_dict().items()}
    model = HSSDCT(**TINY).eval()
    model.load_state_dict(tiny.state_dict())
    with torch.inference_mode():
        before = model(lr, hr)
    model.load_state_dict(changed)
    fresh = HSSDCT(**TINY).eval()
    fresh.load_state_dict(changed)
    with torch.inference_mode():
        after, expected = model(lr, hr), fresh(lr, hr)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, atol=0, rtol=0)


def test_cached_tables_allow_gradients_to_the_inputs(tiny):
    """Tables cached under inference_mode must not block autograd w.r.t. the inputs later."""
    lr, hr = _inputs()
    with torch.inference_mode():
        expected = tiny(lr, hr)  # fills the caches
    frozen = HSSDCT(**TINY).eval().requires_grad_(False)
    frozen.load_state_dict(tiny.state_dict())
    with torch.inference_mode():
        frozen(lr, hr)
    lr = lr.clone().requires_grad_(True)
    out = frozen(lr, hr)
    out.sum().backward()
    torch.testing.assert_close(out.detach(), expected, atol=0, rtol=0)
    assert lr.grad is not None and lr.grad.abs().sum() > 0


def test_training_step_reaches_every_used_parameter():
    # nf 64: with nf 32 the first spatial HTB's position MLP is 1 wide, and LayerNorm(1)
    # legitimately passes no gradient to what precedes it.
    torch.manual_seed(0)
    model = HSSDCT(**{**TINY, "nf": 64}).train()
    lr, hr = _inputs(batch=2)
    target = torch.rand(2, 8, 36, 36) * 2 - 1
    with torch.no_grad():
        model.eval()(lr, hr)  # fills the eval caches; training must not use them
    model.train()
    hssdct_loss(model(lr, hr), target).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert no_grad == ["unused_norm.weight", "unused_norm.bias"]


def test_mlp_training_path_equals_autograd_through_its_modules():
    """The MLP's training path (GELU output recomputed in the backward) gives autograd's output
    and gradients, lets callers add into its output in place, and still calls all three modules."""
    torch.manual_seed(0)
    mlp = Mlp(8, 32)
    x = torch.randn(2, 5, 6, 8)
    gy = torch.randn(2, 5, 6, 8)

    def run(path):
        xx = x.clone().requires_grad_()
        mlp.zero_grad()
        out = path(xx)
        out.add_(1).backward(gy)  # in place on the output, as the blocks do
        return out.detach(), xx.grad, [p.grad.clone() for p in mlp.parameters()]

    calls = []
    handles = [m.register_forward_hook(lambda m, i, o: calls.append(type(m).__name__))
               for m in (mlp.fc1, mlp.act, mlp.fc2)]
    fused = run(mlp)
    for h in handles:
        h.remove()
    assert calls == ["TokenLinear", "GELU", "TokenLinear"]
    plain = run(lambda t: mlp.fc2(mlp.act(mlp.fc1(t))))
    torch.testing.assert_close(fused[0], plain[0], rtol=0, atol=0)
    torch.testing.assert_close(fused[1], plain[1], rtol=1e-6, atol=1e-7)
    for got, want in zip(fused[2], plain[2], strict=True):
        torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
    assert type(mlp(x.requires_grad_()).grad_fn).__name__ == "_GeluThenLinearBackward"
    with torch.autocast("cpu", dtype=torch.bfloat16):  # autocast keeps the modules' own graph
        assert type(mlp(x).grad_fn).__name__ != "_GeluThenLinearBackward"


def test_registry_entry_builds_the_released_configuration():
    spec = methods.get("hssdct")
    assert (spec.family, spec.domain, spec.label) == ("deep", "pm1", "HSSDCT")
    model = methods.build("hssdct", 172, 4)
    assert isinstance(model, HSSDCT) and model.config == HSSDCTConfig()
    assert sum(p.numel() for p in model.parameters()) == 7_977_406
    small = methods.build("hssdct", 31, 3, nf=64)
    assert small.config.nf == 64 and small.config.bands == 31


def test_registry_recipe_is_the_released_training_recipe():
    recipe = methods.get("hssdct").recipe
    assert recipe.loss_fn is hssdct_loss
    assert (recipe.optimizer, recipe.lr, recipe.weight_decay) == ("adam", 5.5e-5, 0.0)
    assert (recipe.scheduler, recipe.eta_min, recipe.epochs) == ("cosine", 1e-10, 1000)
    assert (recipe.batch_size, recipe.crop_size, recipe.seed) == (6, 128, 1029)
    assert (recipe.flips, recipe.rot90, recipe.train_snr_db) == (True, True, 35.0)
    published = methods.get("hssdct").published[0]
    assert (published.params_m, published.flops_g, published.psnr, published.sam) == (
        6.78, 283.84, 37.212, 1.348)


def test_official_round_trip_of_a_trained_looking_model(tiny):
    again = from_official(to_official(tiny))
    lr, hr = _inputs()
    with torch.inference_mode():
        torch.testing.assert_close(again.eval()(lr, hr), tiny(lr, hr), atol=0, rtol=0)
