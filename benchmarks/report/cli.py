"""``python -m benchmarks.report RUN_DIR``: rebuild a run's tables and figures from its rows."""

from __future__ import annotations

import argparse
import sys

from benchmarks.cli import HelpFormatter, add_debug_arg, report_error
from benchmarks.report.figures import write_figures
from benchmarks.report.paired import check_method
from benchmarks.report.rundir import load_run
from benchmarks.report.tables import CONVENTIONS, table1_markdown, write_tables


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        prog="python -m benchmarks.report",
        description="Rebuild the tables (table1, paired, metrics, cost as .md and .tex) and figures "
                    "(figures/*.png) of a benchmark run from its rows.csv, and print Table 1.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run directory, e.g. results/<run-id>")
    parser.add_argument("--scene", default=None,
                        help="figure scene (needs fused/<scene>__gt.npz); default: the first saved")
    parser.add_argument("--convention", choices=CONVENTIONS, default="paper",
                        help="metric convention of the printed Table 1 and the PSNR-vs-GMACs chart")
    parser.add_argument("--reference", default=None, metavar="NAME",
                        help="method the paired columns (ΔPSNR, ΔSAM, W/T/L; paired.md) compare "
                             "with (default: run.json's reference, else hssdct; one without "
                             "measured quality in the run gives way to the best measured method)")
    parser.add_argument("--no-figures", action="store_true", help="write the tables only")
    add_debug_arg(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the report; 0 on success, 2 when the run directory or one of its files is unusable, or
    ``--reference`` names no method of the run."""
    args = build_parser().parse_args(argv)
    try:
        run = load_run(args.run_dir)
        if args.reference is not None:
            check_method(run, args.reference)
        written = write_tables(run, args.convention, args.reference)
        figures = None if args.no_figures else write_figures(run, args.scene, args.convention)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)
    print(table1_markdown(run, args.convention, args.reference))
    for notice in figures.skipped if figures else []:
        print(f"notice: {notice}", file=sys.stderr)
    n_figures = len(figures.written) if figures else 0
    print(f"wrote {len(written)} table files and {n_figures} figures under {run.path}",
          file=sys.stderr)
    return 0
