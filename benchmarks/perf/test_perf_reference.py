"""The control of ``make bench-check``: one 3x3 conv, the same code in the base and the work tree.

Its work/base ratio is the noise of the job that timed both; a guard that moves no more than the
control has not regressed. It is the suite's yardstick (``benchmarks.cost.yardstick``) at 31
channels on 64x64.
"""

from benchmarks.cost.yardstick import reference_conv


def test_reference_conv(benchmark):
    benchmark.group = "control"
    benchmark(reference_conv(31, 64))
