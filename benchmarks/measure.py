"""Per-method cost and speed measurements, each run in a child process.

Shapes are (bands, msi_bands, lr_side, ratio): the LR-HSI is 1 x bands x lr x lr and the HR-MSI
1 x msi_bands x (ratio*lr) x (ratio*lr). Deep methods see inputs in their own domain.
"""

from __future__ import annotations

import json
import resource
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from benchmarks.cost.counters import COUNTERS
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.cost.latency import time_callable
from benchmarks.cost.params import count_params


@dataclass(frozen=True)
class InputShape:
    bands: int
    msi_bands: int
    lr: int
    ratio: int = 4

    @property
    def hr(self) -> int:
        return self.lr * self.ratio

    def lr_text(self) -> str:
        return f"1x{self.bands}x{self.lr}x{self.lr}"

    def hr_text(self) -> str:
        return f"1x{self.msi_bands}x{self.hr}x{self.hr}"

    def with_lr(self, lr: int) -> InputShape:
        return InputShape(self.bands, self.msi_bands, lr, self.ratio)


class BoundMethod(torch.nn.Module):
    """Wraps a built method as ``forward(lrhsi, hrmsi)``, with its side inputs bound."""

    def __init__(self, method: Any, side: dict[str, Any]) -> None:
        super().__init__()
        self.method = method
        self.side = side

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        return self.method(lrhsi, hrmsi, **self.side)


def synthetic_inputs(name: str, shape: InputShape, device: torch.device | str = "cpu",
                     seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], dict[str, Any]]:
    """Random inputs in the method's domain, plus the side inputs its entry needs."""
    import methods

    spec = methods.get(name)
    g = torch.Generator().manual_seed(seed)
    lr = torch.rand(1, shape.bands, shape.lr, shape.lr, generator=g)
    hr = torch.rand(1, shape.msi_bands, shape.hr, shape.hr, generator=g)
    side: dict[str, Any] = {}
    if "anchor" in spec.needs:
        side["anchor"] = torch.nn.functional.interpolate(lr, scale_factor=shape.ratio, mode="bicubic")
    if "srf" in spec.needs:
        side["srf"] = np.full((shape.msi_bands, shape.bands), 1.0 / shape.bands, np.float32)
    if "psf" in spec.needs:
        side["psf"] = np.full((shape.ratio, shape.ratio), 1.0 / shape.ratio**2, np.float32)
    if spec.domain == "pm1":
        lr, hr = (lr - 0.5) * 2, (hr - 0.5) * 2
        if "anchor" in side:
            side["anchor"] = (side["anchor"] - 0.5) * 2
    side = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in side.items()}
    return (lr.to(device), hr.to(device)), side


def _build(name: str, cfg: dict[str, Any], shape: InputShape) -> Any:
    import methods

    method = methods.build(name, shape.bands, shape.msi_bands, shape.ratio, **cfg)
    if isinstance(method, torch.nn.Module):
        method.eval()
    return method


def count_in_child(name: str, cfg: dict[str, Any], shape: InputShape, counter: str) -> dict:
    """Child entry point: one counter on one method at one input shape."""
    torch.manual_seed(0)
    method = _build(name, cfg, shape)
    inputs, side = synthetic_inputs(name, shape)
    result = COUNTERS[counter](BoundMethod(method, side), inputs)
    return {"macs": result.macs, "reported": result.reported, "by_op": result.by_op,
            "uncounted": result.uncounted, "analytic": result.analytic}


def speed_in_child(name: str, cfg: dict[str, Any], shape: InputShape, device: str,
                   budget_s: float, dtype: str = "float32") -> dict:
    """Child entry point: latency and peak memory of one forward at ``shape``."""
    dev = torch.device(device)
    torch.manual_seed(0)
    method = _build(name, cfg, shape)
    if isinstance(method, torch.nn.Module):
        method.to(dev)
    inputs, side = synthetic_inputs(name, shape, dev)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.cuda.reset_peak_memory_stats(dev)
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dtype == "bf16")

    def forward() -> None:
        with torch.inference_mode(), autocast:
            method(*inputs, **side)

    stats = time_callable(forward, dev, budget_s=budget_s)
    if dev.type == "cuda":
        peak, kind = torch.cuda.max_memory_allocated(dev) / 1024**3, "cuda_peak_allocated"
    else:
        peak, kind = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, "cpu_peak_rss"
    return {**stats.as_dict(), "peak_mem_gb": peak, "base_rss_gb": base_rss, "mem_kind": kind,
            "threads": torch.get_num_threads()}


def params_of(name: str, cfg: dict[str, Any], shape: InputShape) -> tuple[int, int]:
    method = _build(name, cfg, shape)
    return count_params(method) if isinstance(method, torch.nn.Module) else (0, 0)


def _fit_affine(points: list[tuple[int, float]], target: int) -> float:
    """Value at ``target`` pixels of the line through two (pixels, value) points."""
    (p0, v0), (p1, v1) = points
    slope = (v1 - v0) / (p1 - p0)
    return v0 + slope * (target - p0)


def measure_counter(name: str, cfg: dict[str, Any], shape: InputShape, counter: str, *,
                    small_lrs: tuple[int, int] | None, try_full: bool, max_rss_gb: float,
                    timeout_s: float) -> dict:
    """One counter at ``shape``; on OOM/timeout (or when ``try_full`` is False) count at two
    smaller LR sizes and extrapolate linearly in pixels (cost of these models is affine in the
    pixel count). The result says whether it was extrapolated."""
    def run(s: InputShape) -> dict:
        return run_isolated(count_in_child, {"name": name, "cfg": cfg, "shape": s,
                                             "counter": counter},
                            timeout_s=timeout_s, max_rss_gb=max_rss_gb)

    failure = None
    if try_full:
        try:
            return {**run(shape), "extrapolated": False}
        except ChildError as exc:
            if exc.kind not in ("oom", "timeout") or small_lrs is None:
                raise
            failure = exc.message
    if small_lrs is None:
        raise ValueError("no smaller sizes given to extrapolate from")
    results = [(s.hr**2, run(s)) for s in (shape.with_lr(lr) for lr in small_lrs)]
    target = shape.hr**2
    macs = _fit_affine([(p, r["macs"]) for p, r in results], target)
    reported = _fit_affine([(p, r["reported"]) for p, r in results], target)
    analytic = {k: _fit_affine([(p, r["analytic"].get(k, 0)) for p, r in results], target)
                for k in results[-1][1]["analytic"]}
    uncounted = results[-1][1]["uncounted"]
    scale = target / results[-1][0]
    for item in uncounted.values():
        if "gmacs" in item:
            item["gmacs"] *= scale
    return {"macs": macs, "reported": reported, "by_op": {}, "uncounted": uncounted,
            "analytic": analytic, "extrapolated": True,
            "extrapolated_from": [f"LR {lr}" for lr in small_lrs],
            "full_size_failure": failure}


def uncounted_text(uncounted: dict) -> str:
    return json.dumps(uncounted, sort_keys=True)
