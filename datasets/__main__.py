"""``python -m datasets list``, ``python -m datasets check --dataset NAME --root R`` (a download)
and ``python -m datasets check --root R --list L`` (a layout)."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from datasets.check import check_dataset, check_download, tile_warnings
from datasets.protocol import Protocol
from datasets.registry import list_datasets, spec


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m datasets", description=__doc__,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter, allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="print the registered datasets and their protocols")
    listing.add_argument("--markdown", action="store_true",
                         help="one Markdown table of every protocol (docs/datasets.md)")
    check = sub.add_parser("check", help="report every problem in a download (--dataset) or a "
                                         "layout (--list); exit 1 if any",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    check.add_argument("--root", required=True, help="the unpacked download, or the layout's root")
    what = check.add_mutually_exclusive_group(required=True)
    what.add_argument("--dataset", help="a registered dataset (or dataset:protocol) read from "
                                        "--root as downloaded, by each of its protocols")
    what.add_argument("--list", help="list file of layout entries under --root")
    check.add_argument("--shrink", type=int, default=1,
                       help="with --dataset: divide every protocol's windows and crops by N (a "
                            "small sample of a download)")
    check.add_argument("--debug", action="store_true", help="print the traceback of an error")
    return p


def print_list() -> None:
    for name in list_datasets():
        s = spec(name)
        print(f"{name:<14} splits {','.join(s.splits):<15} {s.description}")
        for protocol in s.protocols:
            print(f"  {name + ':' + protocol.name:<22} {protocol.description}")


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _kernel(protocol: Protocol) -> str:
    b = protocol.blur.record(protocol.ratio)
    shape = f"{b['taps']}x{b['taps']} {b['kind']}"
    sigma = f", sigma {b['sigma_hr_px']:.3g}" if b["sigma_hr_px"] else ""
    start, taps = b["window_start_hr_px"], b["taps"]
    borders = ("no padding (the window stays in its block)" if 0 <= start and start + taps
               <= protocol.ratio else f"{b['boundary']} borders")
    return (f"{shape}{sigma}, {borders}, window r*i{start:+d} "
            f"(centroid r*i+{b['psf_centroid_hr_px']:.2f}; block centre r*i+"
            f"{b['block_centre_hr_px']:g})")


def _split(protocol: Protocol) -> str:
    s = protocol.split
    counts = ", ".join(f"{k} {len(v)}" for k, v in (s.scenes or s.windows).items())
    crop = f"; crop {s.crop.height}x{s.crop.width} at ({s.crop.row}, {s.crop.col})" if s.crop else ""
    return f"{counts} {'scenes' if s.scenes else 'windows'}{crop}. {s.note}"


def markdown_table() -> str:
    """Every dataset's protocols as one Markdown table (docs/datasets.md)."""
    lines = ["| protocol | dataset | terms | split | ratio | kernel | response | normalisation "
             "| sources |", "|" + "---|" * 9]
    for name in list_datasets():
        s = spec(name)
        for p in s.protocols:
            r = p.response
            cells = [f"`{name}:{p.name}`", f"{s.description}. {s.source}", s.licence,
                     _split(p), f"x{p.ratio}", _kernel(p),
                     f"{r.sensor} {'/'.join(r.bands)} ({r.band_model})",
                     f"{p.normalisation}; noise {p.snr_db or 'none'}", "; ".join(p.sources)]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        if args.markdown:
            print(markdown_table(), end="")
        else:
            print_list()
        return 0
    target = args.dataset or args.list
    try:
        if args.dataset:
            problems, loaded = check_download(args.dataset, args.root, args.shrink)
            warnings: list[str] = []
        else:
            problems = [str(p) for p in check_dataset(args.root, args.list)]
            warnings = tile_warnings(args.root, args.list)
            loaded = None
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return 2
    for problem in problems:
        print(problem)
    for warning in warnings:
        print(warning, file=sys.stderr)
    done = "" if loaded is None else f" ({loaded} scenes read)"
    print(f"{len(problems)} problem(s) in {target}{done}" if problems else f"ok: {target}{done}",
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
