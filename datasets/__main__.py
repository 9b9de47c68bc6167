"""``python -m datasets list`` and ``python -m datasets check --root R --list L``."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from datasets.check import check_dataset, tile_warnings
from datasets.registry import list_datasets, spec


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m datasets", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter, allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the registered datasets")
    check = sub.add_parser("check", help="report every problem in a layout dataset; exit 1 if any",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    check.add_argument("--root", required=True, help="root of the layout")
    check.add_argument("--list", required=True, help="list file of entries under root")
    check.add_argument("--debug", action="store_true", help="print the traceback of an error")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        for name in list_datasets():
            s = spec(name)
            print(f"{name:<14} splits {','.join(s.splits):<15} {s.description}")
        return 0
    try:
        problems = check_dataset(args.root, args.list)
        warnings = tile_warnings(args.root, args.list)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return 2
    for problem in problems:
        print(problem)
    for warning in warnings:
        print(warning, file=sys.stderr)
    print(f"{len(problems)} problem(s) in {args.list}" if problems else f"ok: {args.list}",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
