"""``make bench-check``: the working tree against a base commit, timed in one job, interleaved.

    python -m benchmarks.perf.check [--base REV] [--rounds 2] [--confirm 2] [--threshold 0.25]

The base commit is checked out in a git worktree (``.benchmarks/base``). Both trees run the same
speed guards (their own copies of ``GUARDS``) with pytest-benchmark, one thread, alternately:
base, work, work, base, ... A pass's time for a guard is the fastest of its repetitions (the one
least disturbed by other jobs). A guard is suspect when the working tree's best pass is slower
than the base's best pass by more than the threshold and slower than every base pass; suspects
are timed again, alone, for ``--confirm`` more rounds (with more repetitions each), and the gate
fails only when that still holds over all rounds: a slowdown that repeats in every pass, not a
noisy minute.

The control guard (``test_reference_conv``) is the same code in both trees: its ratio is the noise
of this job. Default base: ``HEAD`` when the working tree has uncommitted changes, otherwise the
merge base with ``main`` (or ``master``) when ``HEAD`` is off it, otherwise ``HEAD~1``.
Exit status: 0 pass, 1 a repeated regression (or a guard that fails in the working tree), 2 the
comparison could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CONTROL = "test_reference_conv"
GUARDS = ("benchmarks/perf/test_perf_reference.py", "benchmarks/perf/test_perf_methods.py",
          "benchmarks/perf/test_perf_metrics.py")
# torchmetrics' functions are third-party code, identical in both trees: not guarded here.
DESELECT = "not test_torchmetrics"
WORKTREE = Path(".benchmarks/base")
REPORTS = Path(".benchmarks/check")
PYTEST_OPTIONS = ("-q", "-p", "no:cacheprovider", "--benchmark-only", "--benchmark-max-time=0.5")
ROUNDS = 3  # repetitions per guard and pass at least; a confirmation pass times few guards, more
CONFIRM_ROUNDS = 10
# One thread: on a shared 2-core machine two-thread medians moved by up to 3x between identical runs.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class GateError(RuntimeError):
    """The comparison could not run (no base commit, git failed, no guard measured)."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode:
        raise GateError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def resolve_base(repo: Path, rev: str | None = None) -> tuple[str, str]:
    """(commit sha, why it was chosen) of the base to compare the working tree with."""
    if rev is not None:
        return git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}"), f"--base {rev}"
    if git(repo, "status", "--porcelain", "--untracked-files=no"):
        return git(repo, "rev-parse", "HEAD"), "HEAD (the working tree has uncommitted changes)"
    head = git(repo, "rev-parse", "HEAD")
    for main in ("main", "master"):
        try:
            base = git(repo, "merge-base", "HEAD", main)
        except GateError:
            continue
        if base != head:
            return base, f"merge base of HEAD and {main}"
    try:
        return git(repo, "rev-parse", "--verify", "HEAD~1^{commit}"), "HEAD~1 (the previous commit)"
    except GateError:
        raise GateError("HEAD has no parent commit to compare with; pass --base REV") from None


def checkout_worktree(repo: Path, sha: str, path: Path) -> Path:
    """A detached git worktree of ``sha`` at ``path`` (created, or moved to ``sha``)."""
    path = path if path.is_absolute() else repo / path
    if (path / ".git").exists():
        git(path, "checkout", "-q", "--detach", "--force", sha)
    else:
        git(repo, "worktree", "prune")
        path.parent.mkdir(parents=True, exist_ok=True)
        git(repo, "worktree", "add", "-q", "--detach", "--force", str(path), sha)
    return path


@dataclass
class Pass:
    """One pytest-benchmark run of one tree: seconds (the chosen statistic) by guard id, and
    pytest's verdict."""

    times: dict[str, float]
    returncode: int
    tail: str
    seconds: float


def run_guards(tree: Path, guards: Sequence[str], report: Path, select: Sequence[str] = (),
               deselect: str | None = DESELECT, stat: str = "min", rounds: int = ROUNDS) -> Pass:
    """The guards (or only the ``select``-ed ids) of ``tree``, timed by pytest-benchmark in a
    child that imports ``tree``'s code; its JSON report is kept at ``report``."""
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", *PYTEST_OPTIONS, f"--benchmark-min-rounds={rounds}",
           f"--benchmark-json={report}", *(select or guards)]
    if deselect and not select:
        cmd += ["-k", deselect]
    env = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    data = json.loads(report.read_text()) if report.exists() else {"benchmarks": []}
    times = {b["fullname"]: b["stats"][stat] for b in data["benchmarks"]}
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    return Pass(times, done.returncode, tail, seconds)


@dataclass
class Timings:
    """Each guard's time (s) per pass of each tree, the passes paired by round."""

    base: dict[str, list[float]] = field(default_factory=dict)
    work: dict[str, list[float]] = field(default_factory=dict)
    new: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)

    def add(self, base: dict[str, float], work: dict[str, float]) -> None:
        """One round: the two trees' passes."""
        for name in work.keys() & base.keys():
            self.base.setdefault(name, []).append(base[name])
            self.work.setdefault(name, []).append(work[name])
        self.new |= work.keys() - base.keys()
        self.gone |= base.keys() - work.keys()

    def change(self, name: str) -> float:
        """The working tree's best pass against the base's best pass, minus 1."""
        return min(self.work[name]) / min(self.base[name]) - 1

    def round_ratios(self, name: str) -> list[float]:
        return [w / b for w, b in zip(self.work[name], self.base[name], strict=True)]


def regressed(timings: Timings, threshold: float) -> list[str]:
    """Guards whose best pass in the working tree is slower than the base's best by more than
    ``threshold`` and slower than every base pass: other jobs can slow single passes, not every
    pass of one tree only."""
    return sorted(n for n in timings.base if timings.change(n) > threshold
                  and min(timings.work[n]) > max(timings.base[n]))


def short(name: str) -> str:
    return name.split("::", 1)[-1]


def verdict_lines(timings: Timings, failed: Sequence[str], threshold: float) -> list[str]:
    """One line per guard: best-against-best change, the ratio of each round, and the verdict."""
    lines = []
    for name in sorted(timings.base, key=lambda n: (short(n) != CONTROL, n)):
        ratios = timings.round_ratios(name)
        if short(name) == CONTROL:
            word = "control"
        elif name in failed:
            word = "FAIL"
        elif any(r > 1 + threshold for r in ratios):
            word = "noise"  # slower in some rounds, not best against best
        else:
            word = "ok"
        rs = " ".join(f"{r:.2f}" for r in ratios)
        lines.append(f"  {word:7s} {short(name):45s} {timings.change(name):+7.1%}  "
                     f"(work/base per round: {rs})")
    lines += [f"  new     {short(n)} (not in the base)" for n in sorted(timings.new)]
    lines += [f"  gone    {short(n)} (only in the base)" for n in sorted(timings.gone)]
    return lines


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def interleave(timings: Timings, base: Path, work: Path, n: int, guards: Sequence[str],
               select: Sequence[str], label: str, reports: Path, stat: str) -> list[str]:
    """``n`` more rounds into ``timings``, alternating which tree goes first, each pass's JSON
    kept under ``reports``; returns the working tree's pytest failures (last output lines)."""
    errors = []
    for i in range(n):
        passes = {}
        for tree, which in ((base, "base"), (work, "work"))[:: 1 if i % 2 == 0 else -1]:
            say(f"{label} {i + 1}/{n}: timing {which} ...")
            passes[which] = run_guards(tree, guards, reports / f"{label}{i + 1}-{which}.json",
                                       select, stat=stat,
                                       rounds=CONFIRM_ROUNDS if select else ROUNDS)
            say(f"{label} {i + 1}/{n}: {which} done in {passes[which].seconds:.0f} s "
                f"({len(passes[which].times)} guards)")
            if passes[which].returncode and which == "work":
                errors.append(passes[which].tail)
        timings.add(passes["base"].times, passes["work"].times)
    return errors


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.perf.check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--base", metavar="REV", help="commit to compare with (default: see above)")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default: 2)")
    p.add_argument("--confirm", type=int, default=2,
                   help="extra rounds for guards that regressed in every round (default: 2)")
    p.add_argument("--threshold", type=float, default=0.25,
                   help="largest tolerated slowdown, as a fraction (default: 0.25)")
    p.add_argument("--guards", nargs="+", default=list(GUARDS), metavar="FILE",
                   help="pytest-benchmark files, relative to each tree (default: the speed guards)")
    p.add_argument("--stat", choices=("min", "median"), default="min",
                   help="statistic of each guard's rounds compared (default: min, the least "
                   "disturbed by other jobs)")
    p.add_argument("--worktree", type=Path, default=WORKTREE,
                   help=f"where the base is checked out (default: {WORKTREE})")
    p.add_argument("--reports", type=Path, default=REPORTS,
                   help=f"where each pass's pytest-benchmark JSON is kept (default: {REPORTS})")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.confirm < 0:
        p.error("--rounds must be >= 1 and --confirm >= 0")
    try:
        repo = Path(git(Path.cwd(), "rev-parse", "--show-toplevel"))
        sha, why = resolve_base(repo, args.base)
        base = checkout_worktree(repo, sha, args.worktree)
        reports = args.reports if args.reports.is_absolute() else repo / args.reports
        reports.mkdir(parents=True, exist_ok=True)
        say(f"base {sha[:10]}: {why}; worktree {base}; reports {reports}")
        timings = Timings()
        errors = interleave(timings, base, repo, args.rounds, args.guards, (), "round", reports,
                            args.stat)
        if not timings.base:
            raise GateError("no guard was timed in both trees")
    except GateError as exc:
        say(f"error: {exc}")
        return 2
    suspects = regressed(timings, args.threshold)
    if suspects and args.confirm:
        control = [n for n in timings.base if short(n) == CONTROL]
        say(f"{len(suspects)} guard(s) slower best against best; timing them again: "
            f"{', '.join(short(n) for n in suspects)}")
        errors += interleave(timings, base, repo, args.confirm, args.guards, [*control, *suspects],
                             "confirm", reports, args.stat)
        suspects = [n for n in suspects if n in regressed(timings, args.threshold)]
    print(f"bench-check: working tree vs {sha[:10]} ({why}); threshold {args.threshold:.0%}, "
          f"best pass against best pass ({args.stat} of each pass's repetitions)")
    print("\n".join(verdict_lines(timings, suspects, args.threshold)))
    if errors:
        print("guards failed in the working tree:\n" + "\n".join(errors))
    if suspects:
        print(f"FAIL: {len(suspects)} guard(s) slower by more than {args.threshold:.0%} in every "
              f"pass, confirmed: {', '.join(short(n) for n in suspects)}")
    elif not errors:
        print(f"pass: no repeated slowdown above {args.threshold:.0%} "
              f"({len(timings.base)} guards, {args.rounds} rounds)")
    return 1 if suspects or errors else 0


if __name__ == "__main__":
    sys.exit(main())
