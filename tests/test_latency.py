"""Latency statistics and the timing loop."""

import numpy as np
import pytest

from benchmarks.cost.latency import latency_stats, time_callable


def test_latency_stats_median_p90_iqr_of_known_samples():
    stats = latency_stats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert stats.n == 10
    assert stats.median_s == pytest.approx(5.5)
    assert stats.p90_s == pytest.approx(np.percentile(np.arange(1, 11), 90))
    assert stats.iqr_s == pytest.approx(7.75 - 3.25)
    assert stats.min_s == 1


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [-1.0]])
def test_latency_stats_rejects_bad_samples(bad):
    with pytest.raises(ValueError):
        latency_stats(bad)


def test_time_callable_warms_up_then_times_at_least_min_iters():
    calls = []
    stats = time_callable(lambda: calls.append(1), "cpu", warmup=2, min_iters=5, budget_s=0.0)
    assert stats.n == 5
    assert len(calls) == 7


def test_time_callable_keeps_timing_while_budget_allows():
    stats = time_callable(lambda: None, "cpu", warmup=0, min_iters=1, max_iters=50, budget_s=10.0)
    assert stats.n == 50


def test_time_callable_defaults_on_cpu_are_one_warmup_five_timed():
    calls = []
    stats = time_callable(lambda: calls.append(1), "cpu", budget_s=0.0)
    assert (stats.n, len(calls)) == (5, 6)
