"""What every command line of the suite shares: the help formatter and one-line errors.

An error is one line on stderr, ``error: <file or argument>: <problem>``; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback


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
