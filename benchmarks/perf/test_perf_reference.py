"""The yardstick of ``make bench-check``: one 3x3 conv, timed in the same job as the guards.

Every guarded median is divided by this one before it is compared with the committed baseline,
so a slower or faster machine does not read as a regression. It is the suite's yardstick
(``benchmarks.cost.yardstick.reference_conv``) at 31 channels on 64x64: the committed baseline's
ratios were measured against that size.
"""

from benchmarks.cost.yardstick import reference_conv
from benchmarks.perf.check import REFERENCE_NAME


def test_reference_conv(benchmark):
    assert benchmark.name == REFERENCE_NAME  # check.py finds the yardstick under this name
    benchmark.group = "reference"
    benchmark(reference_conv(31, 64))
