"""Run a measurement in a child process, with a memory cap and a time limit.

The child is started with the ``spawn`` method, so that its peak RSS is its own, and a counter
that runs out of memory (fvcore's trace of a large model can take > 20 GB) kills only the child.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from typing import Any

import psutil


class ChildError(RuntimeError):
    """A measurement that failed in its child. kind: "oom" | "timeout" | "crash" | "error"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def _child_main(conn: Any, fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        conn.send(("ok", fn(**kwargs)))
    except MemoryError as exc:
        conn.send(("oom", f"MemoryError: {exc}"))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent as text
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"))
    finally:
        conn.close()


def run_isolated(
    fn: Callable[..., Any],
    kwargs: dict[str, Any] | None = None,
    *,
    timeout_s: float = 3600.0,
    max_rss_gb: float | None = None,
    poll_s: float = 0.2,
) -> Any:
    """Call ``fn(**kwargs)`` in a spawned child and return its (picklable) result.

    Raises ChildError("oom") when the child's RSS exceeds ``max_rss_gb`` or it dies by a signal
    (the kernel's OOM killer), "timeout" after ``timeout_s``, "error" when ``fn`` raised.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_main, args=(child, fn, kwargs or {}), daemon=True)
    proc.start()
    child.close()
    limit = None if max_rss_gb is None else max_rss_gb * 1024**3
    start = time.monotonic()
    try:
        handle = psutil.Process(proc.pid)
        while True:
            if parent.poll(poll_s):
                status, payload = parent.recv()
                proc.join(30)
                if status == "ok":
                    return payload
                raise ChildError(status, payload)
            if not proc.is_alive():
                code = proc.exitcode
                kind = "oom" if code is not None and code < 0 else "crash"
                raise ChildError(kind, f"child exited with code {code} (killed by a signal if < 0)")
            if time.monotonic() - start > timeout_s:
                raise ChildError("timeout", f"no result after {timeout_s:.0f} s")
            if limit is not None:
                try:
                    rss = handle.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                if rss > limit:
                    raise ChildError("oom", f"RSS {rss / 1024**3:.1f} GB over the {max_rss_gb} GB cap")
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        parent.close()
