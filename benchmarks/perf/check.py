"""Compare a pytest-benchmark JSON with the committed baseline; fail on a median regression.

    python -m benchmarks.perf.check CURRENT.json [--baseline benchmarks/perf/baseline.json]

Each benchmark's median is divided by the median of ``test_reference_conv`` from the same JSON
(the same job, the same machine), and that ratio is compared with the baseline's ratio. A ratio
more than ``--threshold`` (25 %) above the baseline's fails; benchmarks new since the baseline are
listed, never failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REFERENCE_NAME = "test_reference_conv"
BASELINE = Path(__file__).with_name("baseline.json")


def relative_medians(report: dict) -> dict[str, float]:
    """Benchmark name -> median / reference median, from a pytest-benchmark JSON report."""
    medians = {b["fullname"].split("::", 1)[-1]: b["stats"]["median"] for b in report["benchmarks"]}
    if REFERENCE_NAME not in medians:
        raise ValueError(f"the report has no {REFERENCE_NAME} benchmark to normalise by")
    ref = medians[REFERENCE_NAME]
    return {name: m / ref for name, m in medians.items() if name != REFERENCE_NAME}


def compare(baseline: dict[str, float], current: dict[str, float], threshold: float
            ) -> tuple[list[str], list[str]]:
    """(lines for every benchmark, names that regressed above ``threshold``)."""
    lines, failed = [], []
    for name in sorted(current):
        if name not in baseline:
            lines.append(f"  new   {name}: {current[name]:.3g} x reference (no baseline)")
            continue
        change = current[name] / baseline[name] - 1
        bad = change > threshold
        failed += [name] if bad else []
        lines.append(f"  {'FAIL' if bad else 'ok  '}  {name}: {change:+.1%} vs baseline")
    return lines, failed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf.check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("current", type=Path, help="pytest-benchmark --benchmark-json output")
    p.add_argument("--baseline", type=Path, default=BASELINE, help="default: %(default)s")
    p.add_argument("--threshold", type=float, default=0.25, help="default: %(default)s")
    p.add_argument("--write-baseline", action="store_true",
                   help="store CURRENT's relative medians as the new baseline")
    args = p.parse_args(argv)
    try:
        current = relative_medians(json.loads(args.current.read_text()))
        if args.write_baseline:
            args.baseline.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
            print(f"wrote {args.baseline} ({len(current)} benchmarks)")
            return 0
        baseline = json.loads(args.baseline.read_text())
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lines, failed = compare(baseline, current, args.threshold)
    print("\n".join(lines))
    if failed:
        print(f"{len(failed)} median regression(s) above {args.threshold:.0%}: {', '.join(failed)}")
        return 1
    print(f"no median regression above {args.threshold:.0%} ({len(current)} benchmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
