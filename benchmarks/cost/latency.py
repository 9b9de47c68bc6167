"""Latency: warm up, then time a callable; CPU by perf_counter, CUDA by events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class LatencyStats:
    """Seconds per call over ``n`` timed calls."""

    n: int
    median_s: float
    p90_s: float
    iqr_s: float
    mean_s: float
    min_s: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def latency_stats(samples_s: list[float] | np.ndarray) -> LatencyStats:
    """Summarise timed samples (seconds). p90 and quartiles use linear interpolation."""
    x = np.asarray(samples_s, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"samples_s must be a non-empty 1-D sequence, got shape {x.shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("samples_s must be finite and non-negative")
    q1, med, q3, p90 = np.percentile(x, [25, 50, 75, 90])
    return LatencyStats(n=int(x.size), median_s=float(med), p90_s=float(p90),
                        iqr_s=float(q3 - q1), mean_s=float(x.mean()), min_s=float(x.min()))


def time_callable(
    fn: Callable[[], object],
    device: torch.device | str = "cpu",
    *,
    warmup: int | None = None,
    min_iters: int | None = None,
    max_iters: int = 1000,
    budget_s: float = 30.0,
) -> LatencyStats:
    """Time ``fn()`` after warm-up; keep timing past ``min_iters`` while ``budget_s`` allows.

    Defaults follow docs/measurement.md, "Latency": CUDA 10 warm-up / at least 30 timed (events +
    synchronize); CPU 1 warm-up / at least 5 timed (perf_counter).
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    warmup = (10 if cuda else 1) if warmup is None else warmup
    min_iters = (30 if cuda else 5) if min_iters is None else min_iters
    for _ in range(warmup):
        fn()
    if cuda:
        torch.cuda.synchronize(device)
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < max_iters and (
        len(samples) < min_iters or time.perf_counter() - start + _mean(samples) < budget_s
    ):
        samples.append(_time_once(fn, device) if cuda else _time_cpu(fn))
    return latency_stats(samples)


def _mean(samples: list[float]) -> float:
    return sum(samples) / len(samples) if samples else 0.0


def _time_cpu(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _time_once(fn: Callable[[], object], device: torch.device) -> float:
    begin = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    begin.record()
    fn()
    end.record()
    torch.cuda.synchronize(device)
    return begin.elapsed_time(end) / 1e3
