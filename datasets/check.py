"""Every problem in a layout dataset at once (``python -m datasets check --root R --list L``)."""

from __future__ import annotations

from datasets.errors import DataError
from datasets.layout import check_entry, entry_problem, parse_list
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
