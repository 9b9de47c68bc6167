"""Each FLOP counter on models whose MACs are known by hand."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.cost.counters import count_flop_counter, count_fvcore, count_hooks
from benchmarks.cost.params import count_params

CONV_MACS = 8 * 3 * 9 * 16 * 16          # out elements x (in/groups) x k^2
LINEAR_MACS = 256 * 8 * 16               # tokens x in x out
MATMUL_MACS = 256 * 256 * 8              # (256x8) @ (8x256)
ATTENTION_MACS = 2 * 256 * 256 * (8 + 8)  # heads x L x S x (E + Ev)


class Conv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Linear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(8, 16, bias=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.lin(t)


class MatMul(nn.Module):
    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return t @ t.transpose(1, 2)


class Attention(nn.Module):
    def forward(self, t: torch.Tensor) -> torch.Tensor:
        q = t.view(1, 256, 2, 8).transpose(1, 2)
        return F.scaled_dot_product_attention(q, q, q)


IMAGE = torch.randn(1, 3, 16, 16)
TOKENS = torch.randn(1, 256, 8)
TOKENS16 = torch.randn(1, 256, 16)
CASES = {
    "conv": (Conv(), IMAGE, CONV_MACS),
    "linear": (Linear(), TOKENS, LINEAR_MACS),
    "matmul": (MatMul(), TOKENS, MATMUL_MACS),
    "attention": (Attention(), TOKENS16, ATTENTION_MACS),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("counter", [count_fvcore, count_flop_counter])
def test_graph_counters_give_known_macs(counter, case):
    model, x, macs = CASES[case]
    result = counter(model.eval(), (x,))
    assert result.macs == macs


def test_flop_counter_reports_two_flops_per_mac():
    model, x, macs = CASES["conv"]
    assert count_flop_counter(model, (x,)).reported == 2 * macs


@pytest.mark.parametrize("case", ["conv", "linear"])
def test_hooks_count_layers(case):
    model, x, macs = CASES[case]
    assert count_hooks(model.eval(), (x,)).macs == macs


@pytest.mark.parametrize("case", ["matmul", "attention"])
def test_hooks_list_products_they_cannot_see_with_their_macs(case):
    model, x, macs = CASES[case]
    result = count_hooks(model, (x,))
    assert result.macs == 0
    assert sum(item["gmacs"] for item in result.uncounted.values()) * 1e9 == pytest.approx(macs)


def test_hooks_count_bias_like_ptflops():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    out_elements = 8 * 16 * 16
    assert count_hooks(conv, (IMAGE,)).macs == CONV_MACS + out_elements


def test_hooks_count_linear_bias_per_output_like_ptflops():
    linear = nn.Linear(8, 16)
    assert count_hooks(linear, (TOKENS,)).macs == LINEAR_MACS + 256 * 16


def test_hooks_count_layer_norm_once_per_element_like_ptflops():
    # ptflops doubles only for modules with ``affine`` (batch norm), not LayerNorm
    assert count_hooks(nn.LayerNorm(8), (TOKENS,)).macs == TOKENS.numel()
    assert count_hooks(nn.BatchNorm2d(3), (IMAGE,)).macs == 2 * IMAGE.numel()


def test_hooks_count_a_layer_subclass_as_its_base_type():
    class TokenLinear(nn.Linear):
        def forward(self, x):
            return F.linear(x, self.weight, self.bias)

    result = count_hooks(TokenLinear(8, 16, bias=False), (TOKENS,))
    assert result.by_op == {"Linear": LINEAR_MACS}


def test_hooks_report_declared_analytic_cost_separately():
    class Scan(nn.Module):
        def analytic_macs(self, inputs, output) -> int:
            return 4 * inputs[0].numel()

        def forward(self, x):
            return torch.cumsum(x, -1)

    result = count_hooks(Scan(), (TOKENS,))
    assert result.analytic == {"Scan": 4 * TOKENS.numel()}
    assert result.macs == 0


def test_graph_counters_list_ops_they_skip():
    class Softmax(nn.Module):
        def forward(self, x):
            return torch.softmax(x, -1)

    result = count_flop_counter(Softmax(), (TOKENS,))
    assert result.macs == 0
    assert "aten._softmax" in result.uncounted


def test_count_params_total_and_trainable():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[1].weight.requires_grad_(False)
    assert count_params(model) == (15 + 8, 15 + 2)
