"""Regression guard: every registered method's forward at a small fixed size (CPU, fp32).

Run by ``make bench-check``, which compares medians with the committed baseline
(benchmarks/perf/baseline/) and fails on a regression above 25 %.
"""

import pytest
import torch

import methods
from benchmarks.measure import InputShape, synthetic_inputs

SMALL = InputShape(bands=31, msi_bands=3, lr=16, ratio=4)


@pytest.mark.parametrize("name", methods.list_methods())
def test_forward_small(benchmark, name):
    torch.manual_seed(0)
    model = methods.build(name, SMALL.bands, SMALL.msi_bands, SMALL.ratio)
    if isinstance(model, torch.nn.Module):
        model.eval()
    inputs, side = synthetic_inputs(name, SMALL)
    benchmark.group = "method forward, LR 1x31x16x16 + HR 1x3x64x64"
    benchmark.extra_info["shape"] = f"{SMALL.lr_text()} + {SMALL.hr_text()}"

    def forward():
        with torch.inference_mode():
            return model(*inputs, **side)

    out = benchmark(forward)
    assert out.shape == (1, SMALL.bands, SMALL.hr, SMALL.hr)
