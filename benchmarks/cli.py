"""What every command line of the suite shares: the help formatter and one-line errors.

An error is one line on stderr, ``error: <file or argument>: <problem>``; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults (unless the help already speaks of its default, or there is none) and keeps
    the description's line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


def add_debug_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="print the traceback of an error")


def error_line(exc: BaseException) -> str:
    """``exc`` as one line: its message, with the exception's type unless it is a plain
    ValueError, KeyError or FileNotFoundError."""
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, ValueError | KeyError | FileNotFoundError):
        text = f"{type(exc).__name__}: {text}"
    return text.splitlines()[0]


def report_error(exc: BaseException, debug: bool, code: int = 2) -> int:
    """Print ``exc`` as one line (plus its traceback with ``debug``); return ``code``."""
    print(f"error: {error_line(exc)}", file=sys.stderr)
    if debug:
        traceback.print_exception(exc)
    return code


def method_names(text: str) -> list[str]:
    """``--methods`` as registry names: "all", or a comma-separated list of registered names
    (ValueError naming the unknown ones)."""
    import methods  # here, so that commands without methods do not import torch

    registered = methods.list_methods()
    if text == "all":
        return registered
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in registered]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; registered: {', '.join(registered)}")
    return names


def checkpoint_paths(items: list[str], names: list[str]) -> dict[str, Path]:
    """``--checkpoint NAME=PATH`` items; ValueError for a malformed item, a missing file, or a
    NAME that is not among the run's methods (a misspelling would silently train instead)."""
    found = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--checkpoint expects NAME=PATH, got {item!r}")
        if name not in names:
            raise ValueError(f"--checkpoint {name}: {name!r} is not among --methods "
                             f"({', '.join(names)})")
        if not Path(path).is_file():
            raise ValueError(f"--checkpoint {name}: no such file {path}")
        found[name] = Path(path)
    return found
