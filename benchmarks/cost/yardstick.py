"""The suite's speed yardstick: one 3x3 convolution, timed in the same process as what it judges.

Absolute times move with the machine and its load; a time divided by the yardstick's, measured
interleaved in the same process, moves much less. The default is ``nn.Conv2d(172, 172, 3,
padding=1)`` on 1x172x256x256 (NCHW, fp32, seed 0): one conv at the HSSDCT paper's HR size.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from benchmarks.threads import torch_threads


def reference_conv(channels: int = 172, side: int = 256, seed: int = 0) -> Callable[[], torch.Tensor]:
    """A call of ``Conv2d(channels, channels, 3, padding=1)`` on 1 x channels x side x side under
    ``inference_mode``; weights and input drawn with ``seed``."""
    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(channels, channels, 3, padding=1).eval()
    x = torch.randn(1, channels, side, side)

    def forward() -> torch.Tensor:
        with torch.inference_mode():
            return conv(x)

    return forward


def seconds(fn: Callable[[], object]) -> float:
    """Wall seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass(frozen=True)
class ConvRatio:
    """Seconds per model forward and per reference conv, interleaved, at ``threads`` threads."""

    threads: int
    model_s: tuple[float, ...]
    conv_s: tuple[float, ...]
    round_ratios: tuple[float, ...]  # model / mean of the convs just before and after it
    load_avg_1min: float

    @property
    def ratio_of_medians(self) -> float:
        return statistics.median(self.model_s) / statistics.median(self.conv_s)

    @property
    def ratio_of_mins(self) -> float:
        return min(self.model_s) / min(self.conv_s)

    @property
    def median_round_ratio(self) -> float:
        return statistics.median(self.round_ratios)

    def summary(self) -> dict[str, float | int]:
        return {"threads": self.threads, "ratio_median_round": round(self.median_round_ratio, 2),
                "ratio_of_medians": round(self.ratio_of_medians, 2),
                "ratio_of_mins": round(self.ratio_of_mins, 2),
                "model_median_s": round(statistics.median(self.model_s), 3),
                "conv_median_s": round(statistics.median(self.conv_s), 4),
                "rounds": len(self.model_s), "load_avg_1min": self.load_avg_1min}


def time_against_conv(forward: Callable[[], object], rounds: int = 5, threads: int | None = None,
                      warmup: int = 1) -> ConvRatio:
    """Interleave ``rounds`` x (conv, forward, conv) after ``warmup`` runs of each."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    with torch_threads(threads):
        conv_once = reference_conv()
        with torch.inference_mode():
            for _ in range(warmup):
                conv_once()
                forward()
            model_s, conv_s, ratios = [], [], []
            for _ in range(rounds):
                before = seconds(conv_once)
                model_s.append(seconds(forward))
                after = seconds(conv_once)
                conv_s += [before, after]
                ratios.append(model_s[-1] / ((before + after) / 2))
        return ConvRatio(torch.get_num_threads(), tuple(model_s), tuple(conv_s), tuple(ratios),
                         os.getloadavg()[0])
