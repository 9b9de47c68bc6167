"""Train and measure deep methods over datasets and seeds as jobs on a job engine (a SLURM
cluster, or this machine), then merge every job's rows into one run with one report.

    python -m benchmarks.sweep --methods ssrnet,fusformer --max-steps 200
    python -m benchmarks.sweep --methods hssdct,fusionmamba,qrcode --datasets paper --root AVIRIS \\
        --executor slurm --partition gpu --gpus-per-node 1 --cpus-per-task 8 --time 2880 \\
        --device cuda --measure-profile paper --out results/sweep-aviris
    python -m benchmarks.sweep --out results/sweep-aviris --resume

Each (method, dataset, seed) is one job: benchmarks.train with the method's recipe (the options
below override it), then benchmarks.run --weights on the weights it wrote. --out becomes the
sweep's directory: sweep.json (the plan, and each job's status and job ids), jobs/<key>/ (the
job's job.json, submitit logs, weights and run) and the merged run: rows.csv, per_band.csv,
run.json, published.json, the tables and figures (python -m benchmarks.report DIR rebuilds
them). A job that fails, or is killed, gives its method status=error rows there, and the others
are merged as usual. --resume resubmits every job that has not finished, each continuing from
its last checkpoint (weights/last.pth), skips the finished ones and merges again.

Exit status: 0 when every row is ok, 1 when some job or scene failed (0 with --keep-going), 2
when the sweep could not start (one line naming the file or argument; --debug adds the
traceback).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

import pandas as pd

import datasets
import fileio
import methods
from benchmarks import provenance
from benchmarks.cli import HelpFormatter, method_names, report_error
from benchmarks.lock import run_lock
from benchmarks.run import check_writable, report
from benchmarks.sweep.engine import EXECUTORS, last_attempt, run_jobs, settle
from benchmarks.sweep.job import SweepJob
from benchmarks.sweep.merge import merge
from benchmarks.sweep.plan import DONE, SUBMITTED, JobRecord, Sweep, job_key
from benchmarks.training.optim import recipe_of
from benchmarks.training.sources import held_out_split

# benchmarks.train's options that a sweep passes on, with their type and help (absent: the recipe's)
TRAIN_OPTIONS = {
    "epochs": (int, "training epochs"),
    "max_steps": (int, "stop after this many optimizer steps (the schedule runs over them)"),
    "max_minutes": (float, "stop after this many minutes of training steps"),
    "batch_size": (int, "batch per process"),
    "crop_size": (int, "HR crop side in px (a multiple of the ratio)"),
    "val_every": (int, "validate every N epochs"),
    "val_every_steps": (int, "validate every N optimizer steps instead"),
    "val_per_decade": (int, "validate at N log-spaced steps per decade"),
    "workers": (int, "DataLoader processes (default 4 on CUDA, 0 on CPU)"),
}
SLURM_OPTIONS = {"partition": "slurm_partition", "account": "slurm_account", "qos": "slurm_qos",
                 "constraint": "slurm_constraint"}
DAY_MIN = 24 * 60


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    what = p.add_argument_group("what to run (under --resume: as sweep.json says)")
    what.add_argument("--methods", help="comma-separated deep methods, or 'all' for every deep "
                      "method (python -m methods list)")
    what.add_argument("--datasets", help="comma-separated registered datasets, dataset:protocol "
                      "allowed (python -m datasets list); default indian_pines")
    what.add_argument("--root", action="append", default=[], metavar="[NAME=]DIR",
                      help="where a dataset is read from: DIR for every dataset, NAME=DIR for one "
                      "(NAME: cave or cave:x8-gauss); repeatable")
    what.add_argument("--seeds", help="comma-separated training seeds, one job each (default: "
                      "each method's recipe seed)")
    what.add_argument("--split", help="the split scored (default test)")
    what.add_argument("--reference", metavar="NAME", help="method the merged tables' paired "
                      "columns compare with (default: hssdct, else the best measured)")
    train = p.add_argument_group("training: benchmarks.train's options (default: the recipe's)")
    for name, (kind, text) in TRAIN_OPTIONS.items():
        train.add_argument(f"--{name.replace('_', '-')}", type=kind, help=text)
    train.add_argument("--amp", action="store_true", default=None,
                       help="mixed precision (bf16 on CPU, fp16 on CUDA)")
    train.add_argument("--nproc-per-node", type=int, metavar="N", help="train in N processes "
                       "(DDP, one per GPU; default: --gpus-per-node when above 1)")
    measure = p.add_argument_group("measuring: benchmarks.run on the trained weights")
    measure.add_argument("--measure-profile", choices=("smoke", "paper"),
                         help="smoke: counts at small inputs, extrapolated, latency at LR 16; "
                         "paper: counts and latency at the paper's input (default smoke)")
    measure.add_argument("--no-cost", action="store_true", default=None,
                         help="quality only (no params, FLOPs, latency, memory)")
    measure.add_argument("--device", choices=("auto", "cpu", "cuda"),
                         help="for training and measuring (default auto: CUDA when available)")
    engine = p.add_argument_group("job engine (submitit); under --resume these may change")
    engine.add_argument("--executor", choices=EXECUTORS, help="slurm: sbatch on a cluster; "
                        "local: this machine (default local)")
    engine.add_argument("--time", type=int, metavar="MIN", help="time limit of a job attempt in "
                        f"minutes; a job that reaches it is requeued and resumes (default {DAY_MIN})")
    engine.add_argument("--gpus-per-node", type=int, metavar="N", help="GPUs of each job "
                        "(default: --nproc-per-node, else 1 with slurm or a local GPU, else 0)")
    engine.add_argument("--cpus-per-task", type=int, metavar="N", help="CPUs of each job")
    engine.add_argument("--mem-gb", type=float, metavar="GB", help="memory of each job")
    for name in SLURM_OPTIONS:
        engine.add_argument(f"--{name}", help=f"SLURM --{name}")
    engine.add_argument("--slurm-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="any other sbatch option, e.g. mail-user=me@x (repeatable)")
    engine.add_argument("--setup", action="append", default=[], metavar="CMD",
                        help="shell line run before each job, e.g. 'module load cuda' (repeatable)")
    engine.add_argument("--max-parallel", type=int, metavar="N", help="jobs running at once "
                        "(0: all; default 1 with local, 0 with slurm)")
    engine.add_argument("--poll-s", type=float, metavar="S",
                        help="seconds between looks at the jobs (default 2 local, 30 slurm)")
    engine.add_argument("--no-wait", action="store_true", help="slurm: submit and exit; "
                        "--resume later waits for the jobs and merges")
    out = p.add_argument_group("the sweep directory")
    out.add_argument("--out", type=Path, help="sweep directory (default results/sweep-<time>)")
    out.add_argument("--resume", action="store_true", help="continue the sweep in --out: "
                     "resubmit the jobs that have not finished, skip the finished ones, merge")
    out.add_argument("--no-report", action="store_true", help="write the tables, no figures")
    out.add_argument("--keep-going", action="store_true",
                     help="exit 0 even when some job or scene failed")
    out.add_argument("--debug", action="store_true", help="print the traceback of an error")
    return p.parse_args(argv)


def _listed(text: str, what: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"--{what} {text!r}: give distinct, comma-separated names")
    return names


def deep_methods(text: str) -> list[str]:
    """``--methods``: registered deep methods ("all": every one); ValueError for a method
    without a training recipe."""
    if text == "all":
        return [n for n in methods.list_methods() if methods.get(n).recipe is not None]
    names = method_names(",".join(_listed(text, "methods")))
    for name in names:
        recipe_of(methods.get(name))
    return names


def check_dataset(name: str, split: str) -> None:
    """ValueError naming ``name`` when it is unknown or lacks a train or the scored split."""
    try:
        splits = datasets.registry.splits_of(name)
    except KeyError as err:
        raise ValueError(f"--datasets {name}: {err.args[0] if err.args else err}") from None
    missing = [s for s in ("train", split) if s not in splits]
    if missing:
        raise ValueError(f"--datasets {name}: no {' or '.join(missing)} split (it has "
                         f"{', '.join(splits)})")


def parse_roots(items: list[str], names: list[str]) -> dict[str, str]:
    """``--root`` items: ``DIR`` (key ``*``) or ``NAME=DIR`` for a dataset of the sweep."""
    roots: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        bases = {n for d in names for n in (d, d.partition(":")[0])}
        key, directory = (name, path) if sep and name in bases else ("*", item)
        if key in roots:
            raise ValueError(f"--root {item}: a second root for {key}")
        if not Path(directory).is_dir():
            raise ValueError(f"--root {item}: no such directory {directory}")
        roots[key] = str(Path(directory).resolve())
    return roots


def plan_of(args: argparse.Namespace, default_datasets: list[str]) -> dict[str, Any]:
    """What ``args`` say about the sweep's content (None where nothing was given);
    ``default_datasets``: the datasets that ``--root NAME=DIR`` may name without --datasets."""
    names = _listed(args.datasets, "datasets") if args.datasets else None
    return {
        "methods": deep_methods(args.methods) if args.methods else None,
        "datasets": names,
        "seeds": [int(s) for s in _listed(args.seeds, "seeds")] if args.seeds else None,
        "roots": parse_roots(args.root, names or default_datasets) if args.root else None,
        "split": args.split,
        "reference": args.reference,
        "train": {k: getattr(args, k) for k in (*TRAIN_OPTIONS, "amp", "nproc_per_node")
                  if getattr(args, k) is not None},
        "measure": {k: v for k, v in (("profile", args.measure_profile),
                                      ("no_cost", args.no_cost), ("device", args.device))
                    if v is not None},
    }


def engine_options(args: argparse.Namespace, kind: str, stored: dict[str, Any],
                   nproc: int | None) -> dict[str, Any]:
    """submitit's parameters: ``stored`` (a resumed sweep's) with what ``args`` give on top."""
    slurm_given = [f"--{n}" for n in SLURM_OPTIONS if getattr(args, n)] + (
        ["--slurm-arg"] if args.slurm_arg else [])
    if kind != "slurm" and slurm_given:
        raise ValueError(f"{', '.join(slurm_given)}: only with --executor slurm")
    extra = {}
    for item in args.slurm_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--slurm-arg expects KEY=VALUE, got {item!r}")
        extra[key.replace("-", "_")] = value
    given = {"timeout_min": args.time, "gpus_per_node": args.gpus_per_node,
             "cpus_per_task": args.cpus_per_task, "mem_gb": args.mem_gb,
             f"{kind}_setup": args.setup or None,
             "slurm_additional_parameters": extra or None,
             **{key: getattr(args, name) for name, key in SLURM_OPTIONS.items()}}
    options = {**stored, **{k: v for k, v in given.items() if v is not None}}
    options.setdefault("timeout_min", DAY_MIN)
    if "gpus_per_node" not in options:
        import torch

        options["gpus_per_node"] = nproc or int(kind == "slurm" or torch.cuda.is_available())
    return options


def new_sweep(args: argparse.Namespace, out: Path, command: str) -> Sweep:
    """The sweep that ``args`` describe, with one pending job per (dataset, method, seed);
    ``command``: the command line, kept in sweep.json."""
    if (out / "sweep.json").exists():
        raise ValueError(f"{out / 'sweep.json'} exists; pass --resume to continue that sweep or "
                         "choose another --out")
    plan = plan_of(args, ["indian_pines"])
    if plan["methods"] is None:
        raise ValueError("--methods is required (e.g. --methods hssdct,fusionmamba,qrcode)")
    names = plan["datasets"] or ["indian_pines"]
    split = plan["split"] or "test"
    for name in names:
        check_dataset(name, split)
    if plan["reference"] is not None and plan["reference"] not in plan["methods"]:
        raise ValueError(f"--reference {plan['reference']}: not among --methods")
    train = dict(plan["train"])
    kind = args.executor or "local"
    options = engine_options(args, kind, {}, train.get("nproc_per_node"))
    if "nproc_per_node" not in train and options["gpus_per_node"] > 1:
        train["nproc_per_node"] = options["gpus_per_node"]
    jobs = [JobRecord(job_key(m, d, s), m, d, s) for d in names for m in plan["methods"]
            for s in (plan["seeds"] or [recipe_of(methods.get(m)).seed])]
    return Sweep(path=out, methods=plan["methods"], datasets=names, seeds=plan["seeds"],
                 roots=plan["roots"] or {}, split=split, executor=kind,
                 executor_options=options, train=train,
                 measure={"profile": "smoke", "no_cost": False, "device": "auto",
                          **plan["measure"]},
                 jobs=jobs, reference=plan["reference"], command=command)


def resumed_sweep(args: argparse.Namespace, out: Path) -> tuple[Sweep, dict[str, Any]]:
    """The sweep in ``out`` with the engine options of ``args`` on top, and the attempts of an
    earlier command that still run (key -> submitit job). ValueError naming each difference
    when ``args`` describe other content than sweep.json."""
    sweep = Sweep.load(out)
    plan = plan_of(args, sweep.datasets)
    stored = {"methods": sweep.methods, "datasets": sweep.datasets, "seeds": sweep.seeds,
              "roots": sweep.roots, "split": sweep.split, "reference": sweep.reference}
    changed = [f"{k}: {stored[k]!r} there, {v!r} here" for k, v in plan.items()
               if k in stored and v is not None and v != stored[k]]
    changed += [f"{k}: {sweep.train.get(k)!r} there, {v!r} here" for k, v in plan["train"].items()
                if sweep.train.get(k) != v]
    changed += [f"{k}: {sweep.measure.get(k)!r} there, {v!r} here"
                for k, v in plan["measure"].items() if sweep.measure.get(k) != v]
    if args.executor and args.executor != sweep.executor:
        changed.append(f"executor: {sweep.executor!r} there, {args.executor!r} here")
    if changed:
        raise ValueError(f"--resume {sweep.file}: this command differs from it in "
                         + "; ".join(changed) + ". Drop those options or choose another --out.")
    sweep.executor_options = engine_options(args, sweep.executor, sweep.executor_options,
                                            sweep.train.get("nproc_per_node"))
    attached = {}
    for record in sweep.jobs:
        if record.status == SUBMITTED:
            handle = last_attempt(sweep, record)
            if handle is not None and not handle.done(force_check=True):
                attached[record.key] = handle
            else:
                settle(sweep, record, handle)
    return sweep, attached


def job_for(sweep: Sweep, record: JobRecord) -> SweepJob:
    """The job of ``record``: its benchmarks.train and benchmarks.run command lines."""
    directory = sweep.job_dir(record)
    root = sweep.root_of(record.dataset)
    data = ["--dataset", record.dataset] + (["--root", root] if root else [])
    device = sweep.measure["device"]
    train = ["--method", record.method, *data, "--seed", str(record.seed), "--device", device,
             "--out", str(directory / "weights")]
    for name in TRAIN_OPTIONS:
        if sweep.train.get(name) is not None:
            train += [f"--{name.replace('_', '-')}", str(sweep.train[name])]
    if sweep.train.get("amp"):
        train.append("--amp")
    if held_out_split(record.dataset) == sweep.split:  # validated on the scored scenes
        train += ["--keep", "last"]
    run = ["--methods", record.method, *data, "--split", sweep.split, "--seed", str(record.seed),
           "--device", device, "--profile", sweep.measure["profile"], "--weights",
           str(directory / "weights"), "--out", str(directory / "run"), "--keep-going",
           "--no-report"] + (["--no-cost"] if sweep.measure["no_cost"] else [])
    return SweepJob(record.key, str(directory), train, run, sweep.train.get("nproc_per_node"))


def job_table(sweep: Sweep) -> str:
    """Each job's status, ids, steps, resume point and error, as Markdown."""
    return pd.DataFrame([{"job": r.key, "status": r.status, "job ids": ", ".join(r.job_ids),
                          "steps": r.steps, "resumed at step": r.resumed_at_step,
                          "error": r.error or ""} for r in sweep.jobs]
                        ).to_markdown(index=False)


def execute(args: argparse.Namespace, out: Path, command: str) -> int:
    """The sweep, inside its directory's lock."""
    for tmp in fileio.remove_stale_temps(out):
        print(f"removed {tmp}, left by a killed writer", file=sys.stderr)
    sweep, attached = (resumed_sweep(args, out) if args.resume
                       else (new_sweep(args, out, command), {}))
    wait = not args.no_wait
    if not wait and sweep.executor != "slurm":
        raise ValueError("--no-wait: only with --executor slurm (local jobs are started by this "
                         "command, one --max-parallel batch at a time)")
    max_parallel = args.max_parallel if args.max_parallel is not None else (
        1 if sweep.executor == "local" else 0)
    if not wait and max_parallel:
        raise ValueError("--no-wait submits every job at once; drop --max-parallel")
    sweep.save()
    todo = [r.key for r in sweep.jobs if r.status != DONE and r.key not in attached]
    print(f"sweep {out}: {len(sweep.jobs)} jobs on {sweep.executor}; "
          f"{len(sweep.jobs) - len(todo) - len(attached)} finished, {len(attached)} still "
          f"running, {len(todo)} to submit")
    poll_s = args.poll_s if args.poll_s is not None else (2.0 if sweep.executor == "local" else 30.0)
    run_jobs(sweep, lambda record: job_for(sweep, record), max_parallel=max_parallel,
             poll_s=poll_s, wait=wait, attached=attached)
    if not wait:
        print(f"submitted; python -m benchmarks.sweep --out {out} --resume waits for the jobs "
              "and merges their rows")
        return 0
    merge(sweep)
    print(report(out, figures=not args.no_report))
    print(f"\njobs (sweep.json):\n{job_table(sweep)}\nresults in {out}")
    rows = pd.read_csv(out / "rows.csv")
    failed = sorted(rows.loc[rows["status"] == "error", "run_id"].unique())
    if failed:
        print(f"status=error rows from {len(failed)} job(s): {', '.join(failed)} (rows.csv; each "
              f"job's log under {out / 'jobs'})", file=sys.stderr)
        return 0 if args.keep_going else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        out = (args.out or Path("results") / f"sweep-{provenance.run_stamp()}").resolve()
        if args.resume and args.out is None:
            raise ValueError("--resume needs --out DIR, the sweep to continue")
        check_writable(out)
        command = shlex.join(["python", "-m", "benchmarks.sweep",
                              *(sys.argv[1:] if argv is None else argv)])
        with run_lock(out, log=lambda msg: print(msg, file=sys.stderr)):
            return execute(args, out, command)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)
