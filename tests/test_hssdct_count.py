"""HSSDCT's module-hook count against the count of the released network's layers.

The papers' "FLOPs" are ptflops module hooks: every Conv2d and Linear of the released code counts
its weight MACs plus one per output element for a bias. ``released_layer_macs`` derives those from
the layer shapes that docs/hssdct.md lists (the released code calls each of them as a module):

- a k x k conv from c_in to c_out on an h x w map: h w c_out (c_in k^2 + bias);
- a Linear from f_in to f_out on n rows: n f_out (f_in + bias);
- per HTB of width w on T tokens: DFE (1x1 w -> w/5, 3x3 w/5 -> w/5, 1x1 w/5 -> w, gate 1x1
  w -> w), the key pool Linear(g^2, 1) on the V half (T w/2 / g^2 rows), the position-bias MLP
  on the (2 ws - 1)^2 offsets (Linear(2, p), then three Linears p -> p, p, heads; p = w/16),
  ``proj`` Linear(w, w), the MLP (w -> r w -> w) and the group's 1x1 ``adjust``;
- per final-block layer of width w: qkv Linear(w, 3w), proj Linear(w, w), the MLP, ``adjust``.

At LR 16 (HR 64) with the released defaults this derivation gives the Conv2d and Linear totals
that ptflops 0.7.5 (pytorch backend) reports for the authors' model, to the MAC.
"""

import pytest
import torch

from benchmarks.cost.counters import count_hooks
from hssdct.model import HSSDCT, REFINE_GROWTH, HSSDCTConfig, head_count

# ptflops 0.7.5 (pytorch backend) on the authors' released model (docs/hssdct.md, "Size and
# cost"): the total at LR 1x172x64x64 + HR 1x4x256x256, and the Conv2d and Linear totals at
# LR 1x172x16x16 + HR 1x4x64x64.
PTFLOPS_RELEASED_PAPER_INPUT_GMAC = 295.68
PTFLOPS_RELEASED_LR16 = {"Conv2d": 4_940_787_712, "Linear": 13_470_148_120}


def conv(tokens: int, cin: int, cout: int, k: int = 1, bias: bool = True) -> int:
    return tokens * cout * (cin * k * k + bias)


def linear(rows: int, fin: int, fout: int) -> int:
    return rows * fout * (fin + 1)


def htb(tokens: int, width: int, window: int, base: int, heads: int, ratio: float) -> int:
    mid, hidden, pos = width // 5, int(width * ratio), width // 16
    group = window // min(window, base)
    offsets = (2 * window - 1) ** 2
    dfe = (conv(tokens, width, mid) + conv(tokens, mid, mid, 3) + conv(tokens, mid, width)
           + conv(tokens, width, width))
    key_pool = linear(tokens * (width // 2) // group**2, group**2, 1)
    pos_bias = (linear(offsets, 2, pos) + 2 * linear(offsets, pos, pos)
                + linear(offsets, pos, heads))
    return (dfe + key_pool + pos_bias + linear(tokens, width, width)
            + linear(tokens, width, hidden) + linear(tokens, hidden, width))


def hdrtb(cfg: HSSDCTConfig, tokens: int, base_width: int) -> int:
    total = 0
    for k, (window, ratio) in enumerate(zip(cfg.windows, cfg.mlp_ratios, strict=True)):
        width = base_width + k * cfg.gc
        heads = head_count(base_width, width)
        out = cfg.gc if k < 3 else base_width
        total += htb(tokens, width, window, cfg.base_window, heads, ratio) + conv(tokens, width, out)
    return total


def refine(cfg: HSSDCTConfig, tokens: int) -> int:
    total = 0
    for k, ratio in enumerate(cfg.mlp_ratios):
        width = cfg.bands + k * REFINE_GROWTH
        hidden = int(width * ratio)
        out = REFINE_GROWTH if k < 3 else cfg.bands
        total += (linear(tokens, width, 3 * width) + linear(tokens, width, width)
                  + linear(tokens, width, hidden) + linear(tokens, hidden, width)
                  + conv(tokens, width, out))
    return total


def released_layer_macs(cfg: HSSDCTConfig, h: int, w: int) -> int:
    """Conv2d + Linear MACs of the released network at LR h x w (no window padding)."""
    assert (2 * h) % max(cfg.windows) == 0 and (2 * w) % max(cfg.windows) == 0
    c, m, nf = cfg.bands, cfg.msi_bands, cfg.nf
    lr, mid, hr = h * w, 4 * h * w, 16 * h * w
    spectral = (conv(lr, c + m, 2 * nf, 3) + 2 * hdrtb(cfg, mid, 2 * nf)
                + conv(hr, 2 * nf, nf, 3))
    spatial = conv(hr, m + c, nf // 2, 3) + 2 * hdrtb(cfg, hr, nf // 2) + conv(hr, nf // 2, nf, 3)
    return (spectral + spatial + conv(hr, nf, c, 3) + refine(cfg, hr)
            + conv(hr, c, c, 3, bias=False))


@pytest.mark.parametrize("config", [{}, {"bands": 31, "msi_bands": 3, "nf": 64}],
                         ids=["released", "small"])
def test_hook_count_equals_the_released_layers(config):
    torch.manual_seed(0)
    cfg = HSSDCTConfig(**config)
    model = HSSDCT(cfg).eval()
    lr = torch.rand(1, cfg.bands, 16, 16) * 2 - 1
    hr = torch.rand(1, cfg.msi_bands, 64, 64) * 2 - 1
    count = count_hooks(model, (lr, hr))
    assert count.by_op["Conv2d"] + count.by_op["Linear"] == released_layer_macs(cfg, 16, 16)
    # the rest is element counts (GELU, LayerNorm, LeakyReLU, ReLU): well under 1 %
    assert 0 < count.macs - released_layer_macs(cfg, 16, 16) < 0.01 * count.macs


def test_released_derivation_reproduces_ptflops_on_the_authors_code():
    cfg = HSSDCTConfig()
    assert released_layer_macs(cfg, 16, 16) == sum(PTFLOPS_RELEASED_LR16.values())


def test_hook_count_at_the_paper_input_is_within_1_percent_of_ptflops_on_the_released_code():
    torch.manual_seed(0)
    model = HSSDCT().eval()
    count = count_hooks(model, (torch.rand(1, 172, 64, 64), torch.rand(1, 4, 256, 256)))
    assert count.macs / 1e9 == pytest.approx(PTFLOPS_RELEASED_PAPER_INPUT_GMAC, rel=0.01)
