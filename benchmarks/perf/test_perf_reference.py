"""The yardstick of ``make bench-check``: one 3x3 conv, timed in the same job as the guards.

Every guarded median is divided by this one before it is compared with the committed baseline,
so a slower or faster machine does not read as a regression.
"""

import torch

from benchmarks.perf.check import REFERENCE_NAME


def test_reference_conv(benchmark):
    assert benchmark.name == REFERENCE_NAME
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(31, 31, 3, padding=1).eval()
    x = torch.randn(1, 31, 64, 64)
    benchmark.group = "reference"

    def forward():
        with torch.inference_mode():
            return conv(x)

    benchmark(forward)
