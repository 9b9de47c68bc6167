"""Regenerate the HSSDCT paper's Table 1 (FusionMamba, QRCODE, HSSDCT) from measurements.

    python -m benchmarks.paper_table                      # CPU: shipped indian_pines, smoke budget
    python -m benchmarks.paper_table --root AVIRIS --list test.txt \\
        --checkpoint hssdct=h.pth --checkpoint fusionmamba=f.pth --checkpoint qrcode=q.pth \\
        --device cuda --profile paper                     # the paper's data, trained weights
    python -m benchmarks.paper_table --profile train --device cuda   # train the budgets first

Runs the benchmark (resuming an earlier run in --out), then writes ``paper_table.md``: Table 1
with published and measured values side by side, the data and budget behind it, and a paragraph
per method that explains every gap, all generated from the rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import fileio
from benchmarks.report import load_run, table1_markdown
from benchmarks.report.gaps import gap_paragraphs, gpu_sentence

PAPER_METHODS = "fusionmamba,qrcode,hssdct"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.paper_table", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--out", type=Path, default=Path("results/paper-table"),
                   help="run directory (resumed if it exists; default: %(default)s)")
    p.add_argument("--methods", default=PAPER_METHODS, help="default: %(default)s")
    p.add_argument("--root", help="the paper's dataset root (AVIRIS tiles); default: shipped data")
    p.add_argument("--list", help="list file under --root (default: <root>/test.txt)")
    p.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH")
    p.add_argument("--weights", metavar="DIR",
                   help="trained weights with manifests (see python -m benchmarks.weights)")
    p.add_argument("--device", default="auto", help="cpu | cuda | auto (default: %(default)s)")
    p.add_argument("--profile", choices=("smoke", "train", "paper"), default="smoke",
                   help="smoke: 8 training steps, a pipeline check (quality shown as untrained); "
                        "train: each method's registry budget; paper: full-size counts, needs "
                        "--checkpoint or --weights (default: %(default)s)")
    p.add_argument("--no-run", action="store_true", help="only rebuild paper_table.md from --out")
    return p.parse_args(argv)


def build_markdown(run_dir: Path) -> str:
    run = load_run(run_dir)
    methods = [m for m in PAPER_METHODS.split(",") if m in set(run.rows["method"])]
    lines = ["# HSSDCT Table 1, regenerated", "",
             table1_markdown(run), "",
             "## Where the measured values differ from the published ones", ""]
    for paragraph in gap_paragraphs(run, methods or None):
        lines += [paragraph, ""]
    lines += [gpu_sentence(run), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    code = 0
    if not args.no_run:
        from benchmarks.run import main as run_main

        run_args = ["--methods", args.methods, "--profile", args.profile, "--device", args.device,
                    "--out", str(args.out), "--no-report"]
        if args.root:
            run_args += ["--dataset", "paper", "--root", args.root]
            run_args += ["--list", args.list] if args.list else []
        for item in args.checkpoint:
            run_args += ["--checkpoint", item]
        if args.weights:
            run_args += ["--weights", args.weights]
        if (args.out / "rows.csv").exists():
            run_args.append("--resume")
        code = run_main(run_args)
        if code == 2:
            return code
    if not (args.out / "rows.csv").exists():
        print(f"error: no rows.csv in {args.out}; run without --no-run first", file=sys.stderr)
        return 2
    text = build_markdown(args.out)
    fileio.write_text(args.out / "paper_table.md", text)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
