"""Atomic file writes for every layer of the suite: a killed process leaves the old file or the new
one, never half of one, and new files get the usual mode (0666 minus the umask), not mkstemp's 0600.

    from fileio import write_json, write_atomic
    write_atomic(path, lambda tmp: torch.save(state, tmp))

This package imports nothing of the suite; datasets, methods and benchmarks all write through it.
"""

from fileio.atomic import (
    TEMP_PREFIX,
    remove_stale_temps,
    write_atomic,
    write_bytes,
    write_csv,
    write_json,
    write_npz,
    write_text,
)

__all__ = ["TEMP_PREFIX", "remove_stale_temps", "write_atomic", "write_bytes", "write_csv",
           "write_json", "write_npz", "write_text"]
