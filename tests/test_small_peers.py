"""SSR-Net, Fusformer and PSRT: any band count, ratio and size; they train, and their parts do
what the papers say (MSI insertion, tiled pixel attention, shuffle/reshuffle)."""

import math

import numpy as np
import pytest
import torch

import methods
from benchmarks.training import train_for_budget
from datasets.simulate import simulate_scene
from methods.fusformer import PixelAttention
from methods.psrt import reshuffle, shuffle
from methods.ssrnet import SSRNet, SSRNetConfig, insertion_positions

NAMES = ["ssrnet", "fusformer", "psrt"]
# bands, msi_bands, ratio, LR height, LR width
CASES = [(31, 3, 4, 8, 6), (20, 4, 2, 10, 10)]


pytestmark = pytest.mark.usefixtures("one_thread")


def inputs(bands, msi_bands, ratio, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(2, bands, ratio * h, ratio * w, generator=g) * 2 - 1
    lr = torch.nn.functional.avg_pool2d(gt, ratio)
    srf = torch.rand(msi_bands, bands, generator=g)
    hr = torch.einsum("cC,bChw->bchw", srf / srf.sum(1, keepdim=True), gt)
    return lr, hr, gt


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", CASES)
def test_output_has_hr_shape_at_any_bands_ratio_and_size(name, case):
    bands, msi_bands, ratio, h, w = case
    lr, hr, _ = inputs(*case)
    model = methods.build(name, bands, msi_bands, ratio)
    with torch.no_grad():
        out = model(lr, hr)
    assert out.shape == (2, bands, ratio * h, ratio * w)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_wrong_hrmsi_size_raises_value_error(name):
    lr, hr, _ = inputs(20, 4, 2, 10, 10)
    model = methods.build(name, 20, 4, 4)
    with pytest.raises(ValueError, match="hrmsi"):
        model(lr, hr)


@pytest.mark.parametrize("name", NAMES)
def test_loss_decreases_on_a_fixed_batch_and_every_parameter_gets_a_gradient(name):
    torch.manual_seed(0)
    case = CASES[0]
    lr, hr, gt = inputs(*case)
    spec = methods.get(name)
    if spec.domain == "unit":
        lr, hr, gt = (lr + 1) / 2, (hr + 1) / 2, (gt + 1) / 2
    model = methods.build(name, *case[:3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = spec.recipe.loss_fn(model(lr, hr), gt)
        loss.backward()
        if not losses:
            silent = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
            assert not silent, f"no gradient reaches {silent}"
        losses.append(float(loss.detach()))
        opt.step()
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]


@pytest.fixture(scope="module")
def scenes():
    g = torch.Generator().manual_seed(3)
    out = []
    for i in range(2):
        gt = torch.nn.functional.avg_pool2d(torch.rand(1, 20, 40, 40, generator=g), 5, 1)[0]
        out.append(simulate_scene(gt.numpy(), np.linspace(450, 2200, 20), np.full(20, 90.0),
                                  ratio=4, msi_bands=4, seed=i, name=f"peers/{i}"))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_train_for_budget_runs_the_recipe_on_scenes(name, scenes):
    model = methods.build(name, 20, 4, 4)
    result = train_for_budget(model, methods.get(name), scenes, steps=2, batch_size=1,
                              crop_size=32, device="cpu", seed=0)
    assert result["steps"] == 2
    assert math.isfinite(result["final_loss"])


def test_ssrnet_spreads_msi_bands_from_first_to_last_hsi_band():
    assert insertion_positions(172, 4) == [0, 57, 114, 171]
    assert insertion_positions(31, 3) == [0, 15, 30]
    assert insertion_positions(5, 1) == [2]
    with pytest.raises(ValueError, match="msi_bands"):
        insertion_positions(3, 4)


def test_ssrnet_insertion_writes_msi_bands_over_upsampled_hsi():
    lr, hr, _ = inputs(20, 4, 2, 10, 10)
    x = SSRNet(SSRNetConfig(20, 4, 2)).insert(lr, hr)
    for i, band in enumerate(insertion_positions(20, 4)):
        assert torch.equal(x[:, band], hr[:, i])
    assert not torch.equal(x[:, 1], torch.zeros_like(x[:, 1]))


def test_fusformer_attention_is_global_within_a_tile_and_blind_across_tiles():
    torch.manual_seed(0)
    attn = PixelAttention(dim=8, heads=2, head_dim=4, tile=4)
    x = torch.randn(1, 6, 7, 8)  # padded to 8x8: 2x2 tiles
    y = attn(x)
    assert y.shape == x.shape
    # top-left tile alone gives the same output: other tiles and padding are not attended
    assert torch.allclose(y[:, :4, :4], attn(x[:, :4, :4]), atol=1e-5)
    # bottom-right (padded) tile equals running that 2x3 piece on its own
    assert torch.allclose(y[:, 4:, 4:], attn(x[:, 4:, 4:]), atol=1e-5)
    x2 = x.clone()
    x2[:, 0, 0] += 1.0
    y2 = attn(x2)
    assert torch.equal(y2[:, 4:], y[:, 4:]) and not torch.allclose(y2[:, 1, 1], y[:, 1, 1])


def test_psrt_shuffle_gathers_patches_two_apart_and_reshuffle_undoes_it():
    x = torch.arange(2 * 3 * 8 * 16, dtype=torch.float32).view(2, 3, 8, 16)
    s = shuffle(x, 4)  # 2x2 patches
    assert torch.equal(s[..., 0:2, 2:4], x[..., 0:2, 4:6])  # patch (0, 1) <- original (0, 2)
    assert torch.equal(s[..., 2:4, 0:2], x[..., 4:6, 0:2])  # patch (1, 0) <- original (2, 0)
    assert torch.equal(s[..., 4:6, 0:2], x[..., 2:4, 0:2])  # patch (2, 0) <- original (1, 0)
    assert torch.equal(reshuffle(s, 4), x)
    assert not torch.equal(s, x)
