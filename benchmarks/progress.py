"""Progress as plain lines: what a long run is doing, with the seconds since it started, on stderr.

Each line reads ``   12.3 s  [hssdct] latency: ...``; a stage gets one line when it starts and one
when it ends, with its duration. Lines go through ``tqdm.write`` so that progress bars on a
terminal are not torn; the bars themselves are off when stderr is not a terminal (a log file
keeps only the lines).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm


class Progress:
    """Writes progress lines; ``t0`` is the run's start (``time.perf_counter``)."""

    def __init__(self, t0: float | None = None, stream: TextIO | None = None) -> None:
        self.t0 = time.perf_counter() if t0 is None else t0
        self.stream = stream

    def say(self, who: str, text: str) -> None:
        tqdm.write(f"{time.perf_counter() - self.t0:8.1f} s  [{who}] {text}",
                   file=self.stream or sys.stderr)

    @contextmanager
    def stage(self, who: str, name: str, detail: str = "") -> Iterator[None]:
        """A start line (``name: detail``) and an end line with the stage's duration."""
        self.say(who, f"{name}: {detail}" if detail else f"{name} ...")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.say(who, f"{name} done in {time.perf_counter() - t0:.1f} s")
