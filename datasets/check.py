"""Every problem in a layout dataset at once (``python -m datasets check --root R --list L``)."""

from __future__ import annotations

import os

from datasets.errors import DataError
from datasets.layout import ENTRY_FILES, check_entry, entry_dir, list_lines
from datasets.paper import read_degradation


def check_dataset(root: str, list_file: str) -> list[DataError]:
    """All problems: the list file, each entry's files/keys/shapes/values, degradation.json."""
    try:
        lines = list_lines(list_file)
    except DataError as err:
        return [err]
    problems: list[DataError] = []
    try:
        read_degradation(root)
    except DataError as err:
        problems.append(err)
    seen: dict[str, int] = {}
    for n, entry in lines:
        if entry in seen:
            problems.append(DataError(list_file, f"line {n}: entry {entry!r} repeats line "
                                      f"{seen[entry]}", "each entry once"))
            continue
        seen[entry] = n
        if not os.path.isdir(entry_dir(root, entry)):
            problems.append(DataError(list_file, f"line {n}: entry {entry!r} does not exist "
                                      f"under {root}", ENTRY_FILES))
            continue
        problems.extend(check_entry(root, entry))
    return problems
