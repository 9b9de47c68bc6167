"""Cost measurement: params, three FLOP counters, latency, peak memory and the device's matmul rate."""

from benchmarks.cost.counters import Count, count_flop_counter, count_fvcore, count_hooks
from benchmarks.cost.latency import LatencyStats, latency_stats, time_callable
from benchmarks.cost.params import count_params

__all__ = [
    "Count",
    "LatencyStats",
    "count_flop_counter",
    "count_fvcore",
    "count_hooks",
    "count_params",
    "latency_stats",
    "time_callable",
]
