"""The error the data layer raises for bad input: a ValueError whose text names the file."""

from __future__ import annotations


class DataError(ValueError):
    """Bad input data. ``str(err)`` is one line: ``<file>[:<key>]: <problem>; expected <what>``."""

    def __init__(self, path: str, problem: str, expected: str = "", key: str | None = None) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        self.expected = expected
        where = f"{self.path}:{key}" if key else self.path
        text = f"{where}: {problem}"
        if expected:
            text += f"; expected {expected}"
        super().__init__(text)
