"""Per-method cost and speed measurements, each run in a child process.

Children rebuild the method from its registry name and configuration (a model cannot cross the
process boundary cheaply) and feed it random inputs of an ``InputShape`` in the method's domain,
with the side inputs its adapter needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import methods
from benchmarks.cost import cache as count_cache
from benchmarks.cost.counters import COUNTERS
from benchmarks.cost.isolate import ChildError, run_isolated
from benchmarks.cost.latency import time_callable
from benchmarks.cost.memory import peak_memory_gib, reset_peak_memory, resident_memory_gib
from benchmarks.cost.params import count_params
from benchmarks.shapes import InputShape
from benchmarks.threads import torch_threads

AUTOCAST = {"float32": None, "fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class BoundMethod(torch.nn.Module):
    """Wraps a built method as ``forward(lrhsi, hrmsi)``, with its side inputs bound."""

    def __init__(self, method: Any, side: dict[str, Any]) -> None:
        super().__init__()
        self.method = method
        self.side = side

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        return self.method(lrhsi, hrmsi, **self.side)


def synthetic_inputs(spec: methods.MethodSpec, shape: InputShape, device: torch.device | str = "cpu",
                     seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor], dict[str, Any]]:
    """Random inputs in the method's domain, plus the side inputs its entry needs (a flat SRF,
    a box PSF, a bicubic anchor)."""
    lr, hr = shape.random_inputs(seed)
    side: dict[str, Any] = {}
    if "anchor" in spec.needs:
        anchor = torch.nn.functional.interpolate(lr, scale_factor=shape.ratio, mode="bicubic")
        side["anchor"] = spec.to_domain(anchor).to(device)
    if "srf" in spec.needs:
        side["srf"] = np.full((shape.msi_bands, shape.bands), 1.0 / shape.bands, np.float32)
    if "psf" in spec.needs:
        side["psf"] = np.full((shape.ratio, shape.ratio), 1.0 / shape.ratio**2, np.float32)
    return (spec.to_domain(lr).to(device), spec.to_domain(hr).to(device)), side


def build_for(name: str, cfg: dict[str, Any], shape: InputShape) -> Any:
    """The entry ``name`` built for ``shape`` with ``cfg``, in eval mode."""
    method = methods.get(name).build_model(shape.bands, shape.msi_bands, shape.ratio, **cfg)
    if isinstance(method, torch.nn.Module):
        method.eval()
    return method


def count_once(method: Any, spec: methods.MethodSpec, shape: InputShape, counter: str) -> dict:
    """One counter on a built method at one input shape."""
    inputs, side = synthetic_inputs(spec, shape)
    result = COUNTERS[counter](BoundMethod(method, side), inputs)
    return {"macs": result.macs, "reported": result.reported, "by_op": result.by_op,
            "uncounted": result.uncounted, "analytic": result.analytic}


def speed_in_child(name: str, cfg: dict[str, Any], shape: InputShape, device: str,
                   budget_s: float, min_iters: int | None = None, dtype: str = "float32") -> dict:
    """Child entry point: latency and peak memory of one forward at ``shape`` (``dtype``: float32,
    or autocast to bf16 / fp16, see ``AUTOCAST``), and the params of the method as built for it.
    ``resident_mem_gb``: the resident set just before the forwards (model and inputs built);
    ``peak_mem_gb`` is the peak from then on."""
    dev = torch.device(device)
    torch.manual_seed(0)
    method = build_for(name, cfg, shape)
    if isinstance(method, torch.nn.Module):
        method.to(dev)
    inputs, side = synthetic_inputs(methods.get(name), shape, dev)
    base_gb, _ = peak_memory_gib(dev)
    resident_gb = resident_memory_gib()
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    reset_peak_memory(dev)
    if dtype not in AUTOCAST:
        raise ValueError(f"dtype must be one of {sorted(AUTOCAST)}, got {dtype!r}")
    autocast = torch.autocast(dev.type, dtype=AUTOCAST[dtype] or torch.float32,
                              enabled=AUTOCAST[dtype] is not None)

    def forward() -> None:
        with torch.inference_mode(), autocast:
            method(*inputs, **side)

    stats = time_callable(forward, dev, budget_s=budget_s, min_iters=min_iters)
    peak, kind = peak_memory_gib(dev)
    total, trainable = count_params(method) if isinstance(method, torch.nn.Module) else (0, 0)
    return {**stats.as_dict(), "peak_mem_gb": peak, "base_mem_gb": base_gb,
            "resident_mem_gb": resident_gb, "mem_kind": kind,
            "threads": torch.get_num_threads(), "params_total": total,
            "params_trainable": trainable}


def fit_affine(points: list[tuple[int, float]], target: int) -> float:
    """Value at ``target`` pixels of the line through two (pixels, value) points."""
    (p0, v0), (p1, v1) = points
    slope = (v1 - v0) / (p1 - p0)
    return v0 + slope * (target - p0)


def counts_in_child(name: str, cfg: dict[str, Any], shapes: list[InputShape],
                    counters: list[str]) -> dict[str, list[dict] | str]:
    """Child entry point: several counters at several shapes; a counter's failure is its text.

    Every count is of the first forward of a freshly built method: models cache shape-dependent
    tables on their first call, and a second forward would not show that work. Counts come from
    and go to the on-disk cache (``benchmarks.cost.cache``)."""
    spec = methods.get(name)
    results: dict[str, list[dict] | str] = {}
    with torch_threads(1):  # a count does not depend on threads; one is fastest on a busy machine
        for counter in counters:
            results[counter] = _count_all(name, cfg, shapes, counter, spec)
    return results


def _count_all(name: str, cfg: dict[str, Any], shapes: list[InputShape], counter: str,
               spec: methods.MethodSpec) -> list[dict] | str:
    """One counter at each shape (from the cache where it holds the count), or its error text."""
    try:
        found = []
        for shape in shapes:
            result = count_cache.load(name, cfg, shape, counter)
            if result is None:
                torch.manual_seed(0)
                result = count_once(build_for(name, cfg, shape), spec, shape, counter)
                count_cache.store(name, cfg, shape, counter, result)
            found.append(result)
        return found
    except Exception as exc:  # noqa: BLE001 - reported per counter
        return f"{type(exc).__name__}: {exc}"


def _extrapolate(results: list[dict], shapes: list[InputShape], target: InputShape) -> dict:
    points = [s.hr**2 for s in shapes]
    pixels = target.hr**2

    def fit(values: list[float]) -> float:
        return fit_affine(list(zip(points, values, strict=True)), pixels)

    uncounted = results[-1]["uncounted"]
    for item in uncounted.values():
        if "gmacs" in item:
            item["gmacs"] *= pixels / points[-1]
    return {"macs": fit([r["macs"] for r in results]),
            "reported": fit([r["reported"] for r in results]), "by_op": {},
            "uncounted": uncounted,
            "analytic": {k: fit([r["analytic"].get(k, 0) for r in results])
                         for k in results[-1]["analytic"]},
            "extrapolated": True, "extrapolated_from": [s.lr_text() for s in shapes]}


def measure_counts(name: str, cfg: dict[str, Any], shape: InputShape, counters: list[str], *,
                   small_lrs: tuple[int, int], try_full: bool, max_rss_gb: float,
                   timeout_s: float, say: Callable[[str], None] = lambda _text: None
                   ) -> dict[str, dict | str]:
    """Each counter at ``shape``, or extrapolated from two smaller LR sides.

    With ``try_full`` every counter first runs at ``shape`` in a child of its own; one that runs
    out of memory or time is counted at ``small_lrs`` and extrapolated linearly in pixels (the
    cost of these models is affine in the pixel count). Without it, all counters run at the small
    sizes in one child. Values are result dicts, or the error text of a counter that failed.
    ``say`` gets a line as each counter starts and ends.
    """
    out: dict[str, dict | str] = {}
    pending = list(counters)
    if try_full:
        pending = []
        for counter in counters:
            cached = count_cache.load(name, cfg, shape, counter)
            if cached is not None:
                out[counter] = {**cached, "extrapolated": False}
                say(f"cost: {counter} at {shape.lr_text()} from the count cache")
                continue
            say(f"cost: {counter} at {shape.lr_text()} (timeout {timeout_s:.0f} s, memory cap "
                f"{max_rss_gb:g} GB) ...")
            t0 = time.perf_counter()
            try:
                res = run_isolated(counts_in_child, {"name": name, "cfg": cfg, "shapes": [shape],
                                                     "counters": [counter]},
                                   timeout_s=timeout_s, max_rss_gb=max_rss_gb)[counter]
                out[counter] = res if isinstance(res, str) else {**res[0], "extrapolated": False}
                say(f"cost: {counter} done in {time.perf_counter() - t0:.0f} s")
            except ChildError as exc:
                say(f"cost: {counter}: {exc} after {time.perf_counter() - t0:.0f} s")
                if exc.kind not in ("oom", "timeout"):
                    out[counter] = str(exc)
                else:
                    pending.append(counter)
    if pending:
        shapes = [shape.with_lr(lr) for lr in small_lrs]
        say(f"cost: {', '.join(pending)} at LR {' and '.join(str(lr) for lr in small_lrs)}, to "
            f"extrapolate (timeout {timeout_s:.0f} s) ...")
        try:
            found = run_isolated(counts_in_child, {"name": name, "cfg": cfg, "shapes": shapes,
                                                   "counters": pending},
                                 timeout_s=timeout_s, max_rss_gb=max_rss_gb)
        except ChildError as exc:
            found = {c: str(exc) for c in pending}
        out.update(extrapolate_counts(found, shapes, shape))
    return out


def extrapolate_counts(found: dict[str, list[dict] | str], shapes: list[InputShape],
                       target: InputShape) -> dict[str, dict | str]:
    """``counts_in_child``'s results at ``shapes``, each extrapolated to ``target`` (an error
    text stays as it is)."""
    return {counter: res if isinstance(res, str) else _extrapolate(res, shapes, target)
            for counter, res in found.items()}


def speed_and_counts_in_child(speed: dict[str, Any], counts: dict[str, Any]) -> dict[str, Any]:
    """Child entry point: ``speed_in_child(**speed)`` (its peak memory read before anything else
    runs), then ``counts_in_child(**counts)``, in one process; each part's result, or its error
    text, and the seconds each took."""
    found: dict[str, Any] = {"seconds": {}}
    for part, fn, kwargs in (("speed", speed_in_child, speed), ("counts", counts_in_child, counts)):
        t0 = time.perf_counter()
        try:
            found[part] = fn(**kwargs)
        except Exception as exc:  # noqa: BLE001 - reported per part
            found[part] = f"{type(exc).__name__}: {exc}"
        found["seconds"][part] = time.perf_counter() - t0
    return found
