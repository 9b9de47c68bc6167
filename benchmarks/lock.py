"""One process at a time in a run directory: ``<dir>/.lock`` holds the owner's pid and host.

A lock left by a process that is gone (same host, pid no longer running) is taken over with a
message; a live owner's lock is an error that names it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".lock"


class LockedError(RuntimeError):
    """The directory is in use by another live process."""


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _owner(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "since": datetime.now(UTC).isoformat(timespec="seconds")}, f)
    return True


@contextmanager
def run_lock(directory: Path, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold ``directory``'s lock for a ``with`` block (the directory is created)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    if not _create(path):
        owner = _owner(path)
        pid, host = owner.get("pid"), owner.get("host")
        if host == socket.gethostname() and isinstance(pid, int) and alive(pid):
            raise LockedError(f"{directory} is in use by pid {pid} on {host} (since "
                              f"{owner.get('since', '?')}); wait for it or choose another --out")
        if host not in (None, socket.gethostname()):
            raise LockedError(f"{directory} is locked by pid {pid} on host {host}; if that run is "
                              f"gone, delete {path}")
        log(f"{directory}: taking over the stale lock of pid {pid} (no longer running)")
        path.unlink(missing_ok=True)
        if not _create(path):
            raise LockedError(f"{directory}: another process took the lock first")
    try:
        yield
    finally:
        if _owner(path).get("pid") == os.getpid():
            path.unlink(missing_ok=True)
