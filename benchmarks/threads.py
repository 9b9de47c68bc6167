"""Torch's intra-op thread count for a block of work, restored afterwards.

Work that is not a timing (FLOP counting, the smoke profile's pipeline-check training) runs on one
thread: on a machine busy with other jobs, a second OpenMP thread that gets descheduled stalls
every parallel op at its barrier (docs/measurement.md), and one thread finishes far sooner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads (unchanged when None)."""
    saved = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(saved)
