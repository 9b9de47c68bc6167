"""Power-law fits, cost = a * pixels^b, on a log-log scale."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PowerLaw:
    """cost = a * pixels^b; r2 of the straight line in log-log; n points used."""

    a: float
    b: float
    r2: float
    n: int

    def at(self, pixels: float) -> float:
        return self.a * pixels**self.b


def fit_power_law(pixels: Sequence[float], values: Sequence[float]) -> PowerLaw:
    """Least-squares line through (log pixels, log value). Needs two or more positive points.

    >>> fit = fit_power_law([1e4, 4e4, 1.6e5], [2.0, 8.0, 32.0])
    >>> round(fit.b, 6), round(fit.r2, 6)
    (1.0, 1.0)
    """
    px = np.asarray(pixels, dtype=np.float64)
    vals = np.asarray(values, dtype=np.float64)
    if px.shape != vals.shape or px.size < 2:
        raise ValueError(f"need two or more (pixels, value) pairs, got {px.size}")
    if not (np.all(np.isfinite(px)) and np.all(np.isfinite(vals)) and np.all(px > 0)
            and np.all(vals > 0)):
        raise ValueError("pixels and values must be positive and finite")
    x, y = np.log(px), np.log(vals)
    if np.ptp(x) == 0:
        raise ValueError("pixels must not all be equal")
    b, log_a = np.polyfit(x, y, 1)
    residual = y - (log_a + b * x)
    spread = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - float(np.sum(residual**2) / spread) if spread > 0 else 1.0
    return PowerLaw(a=float(np.exp(log_a)), b=float(b), r2=r2, n=int(x.size))
