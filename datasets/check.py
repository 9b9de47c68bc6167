"""Every problem in a layout dataset at once (``python -m datasets check --root R --list L``)."""

from __future__ import annotations

import os

import numpy as np
from tqdm import tqdm

from datasets.errors import DataError
from datasets.layout import (
    GT_FILE,
    HRMSI_KEYS,
    LRHSI_FILE,
    check_entry,
    entry_dir,
    entry_problem,
    load_array,
    parse_list,
)
from datasets.limits import warn_small_tiles
from datasets.paper import read_degradation
from datasets.registry import get, parse_name, spec


def check_dataset(root: str, list_file: str) -> list[DataError]:
    """All problems: the list file, each entry's files/keys/shapes/values, degradation.json."""
    lines, problems = parse_list(list_file)
    if not lines:
        return problems
    keys = HRMSI_KEYS
    try:
        record = read_degradation(root)
        keys = tuple(sorted(record["srf"])) if record and record.get("srf") else HRMSI_KEYS
    except DataError as err:
        problems.append(err)
    for n, entry in lines:
        problem = entry_problem(root, list_file, n, entry)
        if problem is not None:
            problems.append(problem)
            continue
        problems.extend(check_entry(root, entry, keys))
    return problems


def check_download(name: str, root: str, shrink: int = 1, progress: bool = True
                   ) -> tuple[list[str], int]:
    """Every problem in a download of a registered dataset, read by each of its protocols
    (``name``, or ``name:protocol`` for one; ``shrink`` as in ``Protocol.shrunk``), split by
    split and scene by scene: (problems as one line each, scenes read)."""
    dataset, chosen = parse_name(name)
    entry = spec(name)
    if not entry.protocols:
        raise ValueError(f"dataset {dataset!r} is not read from a download (it has no "
                         "protocols); use --root/--list for a layout")
    problems: list[str] = []
    loaded = 0
    for protocol in entry.protocols:
        if chosen is not None and protocol.name != chosen:
            continue
        for split in protocol.split.names:
            where = f"{dataset}:{protocol.name} {split}"
            try:
                scenes = get(f"{dataset}:{protocol.name}", split=split, root=root,
                             shrink=shrink)
            except ValueError as err:  # DataError included: the download is not what it expects
                problems.append(f"{where}: {err}")
                continue
            for i in tqdm(range(len(scenes)), desc=where, unit="scene", disable=not progress,
                          leave=False):
                try:
                    scenes[i]
                    loaded += 1
                except ValueError as err:
                    problems.append(f"{where} {scenes.names[i]}: {err}")
    return list(dict.fromkeys(problems)), loaded


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
