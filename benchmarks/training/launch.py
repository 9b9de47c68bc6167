"""Start N training processes on this machine (what ``torchrun --standalone`` does), with errors
that read as one line.

A worker that fails writes its one-line message into the file torch's elastic agent names in
``TORCHELASTIC_ERROR_FILE``; ``launch`` reads it back from the failure and returns it, so the
user sees ``error: <message> (rank r)`` instead of the agent's traceback. Plain ``torchrun``
shows the same message inside its own failure report.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Sequence

ERROR_FILE = "TORCHELASTIC_ERROR_FILE"
LAUNCHED = "HSFUSION_BENCH_LAUNCHED"  # set for workers of ``launch``, which prints their errors


def under_agent() -> bool:
    """True in a worker started by torch's elastic agent (torchrun or ``launch``)."""
    return ERROR_FILE in os.environ


def record_error(message: str) -> bool:
    """Leave ``message`` for the agent, in the JSON layout its failure reader parses. True when
    ``launch`` will print it (the worker need not)."""
    with open(os.environ[ERROR_FILE], "w") as f:
        json.dump({"message": message, "timestamp": int(time.time())}, f)
    return LAUNCHED in os.environ


def worker_command(argv: Sequence[str] | None, module: str) -> list[str]:
    """The command line that starts this program again: the interpreter and how it was started
    (``-m module`` or a script path) from ``sys.orig_argv`` when ``argv`` is None, else
    ``python -m module``."""
    if argv is None:
        n_args = len(sys.argv) - 1
        return list(sys.orig_argv[: len(sys.orig_argv) - n_args])
    return [sys.executable, "-m", module]


def launch(nproc: int, command: Sequence[str]) -> tuple[int, str | None]:
    """Run ``command`` in ``nproc`` local processes under torch's elastic agent (standalone
    rendezvous, no restarts). Returns (exit code, the first failed worker's message or None)."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    os.environ[LAUNCHED] = "1"
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=str(uuid.uuid4()),
                          rdzv_backend="c10d", rdzv_endpoint="localhost:0", max_restarts=0)
    try:
        elastic_launch(config, command[0])(*command[1:])
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        return (failure.exitcode if failure.exitcode > 0 else 1), f"{failure.message} (rank {rank})"
    return 0, None
