"""Every problem in a layout dataset at once (``python -m datasets check --root R --list L``)."""

from __future__ import annotations

import os

import numpy as np

from datasets.errors import DataError
from datasets.layout import (
    GT_FILE,
    LRHSI_FILE,
    check_entry,
    entry_dir,
    entry_problem,
    load_array,
    parse_list,
)
from datasets.limits import warn_small_tiles
from datasets.paper import read_degradation


def check_dataset(root: str, list_file: str) -> list[DataError]:
    """All problems: the list file, each entry's files/keys/shapes/values, degradation.json."""
    lines, problems = parse_list(list_file)
    if not lines:
        return problems
    try:
        read_degradation(root)
    except DataError as err:
        problems.append(err)
    for n, entry in lines:
        problem = entry_problem(root, list_file, n, entry)
        if problem is not None:
            problems.append(problem)
            continue
        problems.extend(check_entry(root, entry))
    return problems


def tile_warnings(root: str, list_file: str) -> list[str]:
    """Warnings for entries whose LR-HSI side some installed method does not accept (one per
    distinct LR side and ratio; entries that cannot be read are ``check_dataset``'s business)."""
    sides = set()
    lines, _ = parse_list(list_file)
    for _, entry in lines:
        d = entry_dir(root, entry)
        try:
            lr = load_array(os.path.join(d, LRHSI_FILE), "lrhsi")
            gt = np.load(os.path.join(d, GT_FILE), mmap_mode="r")
        except (DataError, OSError, ValueError):
            continue
        side = min(lr.shape[:2])
        sides.add((side, max(1, gt.shape[0] // lr.shape[0])))
    return list(dict.fromkeys(w for side, ratio in sorted(sides)
                              for w in warn_small_tiles(side, ratio)))
