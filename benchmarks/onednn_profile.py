"""Where a CPU step's time goes inside oneDNN: seconds per primitive, from oneDNN's own timer.

PyTorch runs convolutions (and some element-wise ops such as GELU) as oneDNN primitives. With
oneDNN's verbose mode on, every primitive execution prints one line ending in its wall time in
ms; :func:`profile_primitives` runs a callable with that mode on, reads the lines back from
standard output (file descriptor 1, where the C library writes them) and sums them by primitive
kind, implementation and propagation kind. Unlike an operator-level profiler it adds no Python
overhead to the timed region, and it tells the GEMM kernels apart (for example ``brgconv_1x1``
forward against ``jit_1x1`` backward-weights).
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import torch

_EXEC = "onednn_verbose,v1,primitive,exec,"


@dataclass(frozen=True)
class PrimitiveTime:
    """Total time of one (kind, implementation, propagation) group of primitive executions."""

    kind: str  # convolution, eltwise, reorder, matmul, ...
    implementation: str  # e.g. brgconv_1x1:avx512_core
    propagation: str  # forward_training, backward_data, backward_weights, undef
    calls: int
    seconds: float


def parse_verbose(lines: list[str]) -> list[PrimitiveTime]:
    """Sum oneDNN ``primitive,exec`` verbose lines by (kind, implementation, propagation).

    Line format (oneDNN v3): ``onednn_verbose,v1,primitive,exec,<engine>,<kind>,<impl>,<prop>,
    ...,<time ms>``. Other lines are ignored. Sorted by total time, longest first.
    """
    totals: dict[tuple[str, str, str], list[float]] = {}
    for line in lines:
        if not line.startswith(_EXEC):
            continue
        fields = line.rstrip().split(",")
        try:
            ms = float(fields[-1])
        except ValueError:
            continue
        key = (fields[5], fields[6], fields[7])
        entry = totals.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += ms / 1e3
    rows = [PrimitiveTime(kind, impl, prop, int(n), s)
            for (kind, impl, prop), (n, s) in totals.items()]
    return sorted(rows, key=lambda r: -r.seconds)


def profile_primitives(fn: Callable[[], object]) -> list[PrimitiveTime]:
    """Run ``fn()`` once with oneDNN verbose on; its primitive times (see :func:`parse_verbose`).

    File descriptor 1 is redirected to a temporary file meanwhile, so anything else ``fn`` writes
    to standard output is dropped.
    """
    libc = ctypes.CDLL(None)
    with tempfile.TemporaryFile("w+") as sink:
        sys.stdout.flush()
        libc.fflush(None)
        saved = os.dup(1)
        os.dup2(sink.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                fn()
        finally:
            sys.stdout.flush()
            libc.fflush(None)
            os.dup2(saved, 1)
            os.close(saved)
        sink.seek(0)
        return parse_verbose(sink.readlines())


def format_table(rows: list[PrimitiveTime], step_seconds: float) -> str:
    """A plain-text table of ``rows`` with each group's share of a ``step_seconds`` step."""
    lines = [f"{'kind':<12} {'propagation':<17} {'implementation':<48} {'calls':>5} "
             f"{'seconds':>8} {'share':>6}"]
    for r in rows:
        lines.append(f"{r.kind:<12} {r.propagation:<17} {r.implementation:<48} {r.calls:>5} "
                     f"{r.seconds:>8.3f} {r.seconds / step_seconds:>6.1%}")
    total = sum(r.seconds for r in rows)
    lines.append(f"{'all oneDNN primitives':<80} {sum(r.calls for r in rows):>5} {total:>8.3f} "
                 f"{total / step_seconds:>6.1%}")
    return "\n".join(lines)
