"""``python -m methods list [PATTERN]``: the registered methods, their family, size, needs and paper."""

from __future__ import annotations

import argparse
import sys

import torch
from tabulate import tabulate

from methods.registry import get, list_methods


def _params(name: str) -> str:
    try:
        with torch.device("meta"):
            from methods.registry import build

            model = build(name, 172, 4, 4)
    except Exception as exc:  # noqa: BLE001 - a row that says why, not a crash
        return f"? ({type(exc).__name__})"
    if not isinstance(model, torch.nn.Module):
        return "0"
    return f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m methods", description=__doc__, allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list registered methods")
    ls.add_argument("pattern", nargs="?", default="*", help="glob filter on names")
    args = parser.parse_args(argv)
    rows = []
    for name in list_methods(args.pattern):
        spec = get(name)
        rows.append([name, spec.family, _params(name), ",".join(sorted(spec.needs)) or "-",
                     spec.label, spec.paper[:60]])
    print(tabulate(rows, headers=["name", "family", "params @172/4", "needs", "label", "paper"]))
    print("params are counted at 172 HSI bands, 4 MSI bands, ratio 4 (the paper's AVIRIS setting)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
