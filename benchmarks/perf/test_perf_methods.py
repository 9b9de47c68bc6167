"""Regression guard: every registered method's forward at a small fixed size (CPU, fp32).

Run by ``make bench-check``, which times it in the working tree and in a base commit,
interleaved, and fails on a regression above 25 % that repeats (``benchmarks.perf.check``).
"""

import pytest
import torch

import methods
from benchmarks.measure import InputShape, build_for, synthetic_inputs

SMALL = InputShape(bands=31, msi_bands=3, lr=16, ratio=4)


@pytest.mark.parametrize("name", methods.list_methods())
def test_forward_small(benchmark, name):
    torch.manual_seed(0)
    model = build_for(name, {}, SMALL)
    inputs, side = synthetic_inputs(methods.get(name), SMALL)
    benchmark.group = "method forward, LR 1x31x16x16 + HR 1x3x64x64"
    benchmark.extra_info["shape"] = f"{SMALL.lr_text()} + {SMALL.hr_text()}"

    def forward():
        with torch.inference_mode():
            return model(*inputs, **side)

    out = benchmark(forward)
    assert out.shape == (1, SMALL.bands, SMALL.hr, SMALL.hr)
