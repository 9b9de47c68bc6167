"""The device's dense matmul rate, measured in the same run as the methods."""

from __future__ import annotations

import torch

from benchmarks.cost.latency import time_callable


def matmul_rate(device: torch.device | str = "cpu", n: int = 2048, dtype: torch.dtype = torch.float32,
                budget_s: float = 3.0) -> float:
    """Best FLOP/s of an (n x n) @ (n x n) product (2 n^3 FLOPs) on ``device``.

    The fastest call, not the median: the rate the device reaches, which a shared machine's
    background load can only lower."""
    device = torch.device(device)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    with torch.inference_mode():
        stats = time_callable(lambda: a @ b, device, budget_s=budget_s)
    return 2 * n**3 / stats.min_s
