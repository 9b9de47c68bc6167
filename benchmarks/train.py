"""Train a deep registry entry with its published recipe (loss, Adam, cosine lr, crops, flips/rot90,
training AWGN), validating every --val-every epochs with the paper's metrics.

    python -m benchmarks.train --method hssdct --root DATA --train-list train.txt --val-list val.txt
    python -m benchmarks.train --method hssdct --dataset indian_pines --epochs 5 --crop-size 64
    python -m benchmarks.train --nproc-per-node 4 --method hssdct --root DATA ...   (DDP)

Writes into --out: last.pth (every epoch), best.pth (lowest mean validation SAM), history.csv,
curve.csv (validation in both metric conventions against step and time; TensorBoard events too
when tensorboard is installed), config.json and manifest.json (what ``benchmarks.run --weights``
reads). --resume OUT/last.pth continues the same schedule exactly. Defaults marked "recipe"
come from the method's registry entry (shown with --method NAME --help).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import methods
from benchmarks.cli import HelpFormatter, error_line, report_error
from benchmarks.training import distributed, launch
from benchmarks.training.optim import DivergedError, recipe_of
from benchmarks.training.sources import (
    add_data_args,
    add_model_args,
    held_out_split,
    parse_model_cfg,
    scenes_for,
)
from benchmarks.training.trainer import TrainConfig, fit


def _recipe_defaults(argv: list[str] | None) -> dict[str, object]:
    """The recipe of --method (when given and known), for the defaults that --help shows."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--method")
    known, _ = pre.parse_known_args(argv)
    try:
        r = recipe_of(methods.get(known.method)) if known.method else None
    except (KeyError, ValueError):
        r = None
    if r is None:
        return {}
    return {"epochs": r.epochs, "batch_size": r.batch_size, "lr": r.lr, "crop_size": r.crop_size,
            "snr": r.train_snr_db, "scheduler": r.scheduler, "seed": r.seed}


def _recipes_epilog() -> str:
    lines = ["recipes (the defaults; None above means \"the method's recipe\"):"]
    for name in methods.list_methods():
        r = methods.get(name).recipe
        if r is not None:
            lines.append(f"  {name}: {r.loss_name}, {r.optimizer} lr {r.lr:g}, {r.scheduler}, "
                         f"{r.epochs} epochs, batch {r.batch_size}, crop {r.crop_size}, "
                         f"snr {r.train_snr_db}, seed {r.seed}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    d = _recipe_defaults(argv)
    p = argparse.ArgumentParser(prog="python -m benchmarks.train", description=__doc__,
                                epilog=_recipes_epilog(), formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--method", required=True, help="registry name of a deep method")
    add_data_args(p)
    p.add_argument("--train-list", help="list file of training entries (with --root)")
    p.add_argument("--val-list", help="list file of validation entries (with --root)")
    p.add_argument("--epochs", type=int, default=d.get("epochs"), help="training epochs")
    p.add_argument("--batch-size", type=int, default=d.get("batch_size"),
                   help="per process (under torchrun the global batch is this x world size)")
    p.add_argument("--lr", type=float, default=d.get("lr"), help="initial learning rate")
    p.add_argument("--scheduler", choices=("cosine", "step"), default=d.get("scheduler"),
                   help="cosine to eta_min over the epochs, or StepLR (per epoch)")
    p.add_argument("--crop-size", type=int, default=d.get("crop_size"),
                   help="HR crop side (a multiple of the ratio; lowered to fit small scenes)")
    p.add_argument("--snr", type=float, default=d.get("snr"),
                   help="AWGN SNR (dB) on the training LR-HSI")
    p.add_argument("--no-noise", action="store_true", help="train without the AWGN")
    p.add_argument("--repeat", type=int, default=1, help="random crops per scene per epoch")
    p.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
    p.add_argument("--val-every-steps", type=int, default=None,
                   help="validate every N optimizer steps instead of by epochs")
    p.add_argument("--val-per-decade", type=int, default=None,
                   help="validate at N log-spaced steps per decade (1, 2, 3, 4, 6, 10, ...)")
    p.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many optimizer steps (the schedule runs over them)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this many minutes of training steps (validation excluded)")
    p.add_argument("--seed", type=int, default=d.get("seed"),
                   help="seeds the model init, crops, flips and noise")
    p.add_argument("--out", type=Path, default=None, help="run directory (None: runs/METHOD)")
    p.add_argument("--keep", choices=("best", "last"), default="best",
                   help="the weights manifest.json names: best.pth (lowest validation SAM) or "
                   "last.pth (when the validation scenes are the ones later scored)")
    p.add_argument("--resume", type=Path, default=None, help="a last.pth/best.pth to continue")
    p.add_argument("--stop-after", type=int, default=None,
                   help="train at most this many epochs in this call (resume later)")
    p.add_argument("--amp", action="store_true",
                   help="mixed precision: bf16 autocast on CPU, fp16 + GradScaler on CUDA")
    p.add_argument("--nproc-per-node", type=int, default=None, metavar="N",
                   help="train in N processes on this machine (DDP; one per GPU on CUDA), as "
                   "torchrun --standalone does, with a worker's error shown as one line")
    p.add_argument("--workers", type=int, default=None,
                   help="DataLoader processes (None: 4 on CUDA, 0 on CPU)")
    add_model_args(p)
    return p.parse_args(argv)


def build_config(args: argparse.Namespace, spec: methods.MethodSpec, bands: int, msi_bands: int,
                 ratio: int, data: dict[str, Any]) -> TrainConfig:
    """The recipe of ``spec`` with the options given on the command line on top; ``data``
    describes the training data for the manifest."""
    out = args.out or Path("runs") / spec.name
    config = TrainConfig.from_recipe(
        spec, bands=bands, msi_bands=msi_bands, ratio=ratio,
        model_cfg=parse_model_cfg(args.model_cfg), epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, scheduler=args.scheduler,
        crop_size=args.crop_size, snr_db=args.snr, seed=args.seed, repeat=args.repeat,
        val_every=args.val_every, device=args.device, amp=args.amp, workers=args.workers,
        out=str(out), max_steps=args.max_steps,
        max_train_s=None if args.max_minutes is None else args.max_minutes * 60,
        val_every_steps=args.val_every_steps, val_per_decade=args.val_per_decade, data=data,
        keep=args.keep)
    if args.no_noise:
        config.snr_db = None
    return config


def run(args: argparse.Namespace) -> dict[str, object]:
    """Load the scenes, build the config and train; returns the trainer's summary."""
    spec = methods.get(args.method)
    recipe_of(spec)
    if args.dataset is not None:
        train = scenes_for(args, "train", None)
        held_out = held_out_split(args.dataset)
        val = scenes_for(args, held_out, None) if held_out else []
        data = {"dataset": args.dataset, "split": "train", "val_split": held_out}
    else:
        if args.train_list is None:
            raise ValueError("--root needs --train-list")
        train = scenes_for(args, "train", args.train_list)
        val = scenes_for(args, "val", args.val_list) if args.val_list else []
        data = {"dataset": "paper", "root": str(args.root), "split": str(args.train_list),
                "val_split": args.val_list}
    first = train[0]
    config = build_config(args, spec, first.bands, first.msi_bands, int(first.meta.ratio), data)
    if args.resume is None and (Path(config.out) / "last.pth").exists():
        raise ValueError(f"{config.out} already holds last.pth; pass --resume "
                         f"{Path(config.out) / 'last.pth'} or choose another --out")
    return fit(spec, config, train, val, resume=args.resume, stop_after=args.stop_after)


def describe(summary: dict[str, object]) -> str:
    """One line about a finished ``fit``: epochs, time, best validation SAM, checkpoints."""
    text = f"done: {summary['epochs_done']} epochs in {summary['wall_s']:.1f} s"
    if summary["best"]:
        text += (f"; best val SAM {summary['best_sam']:.4f} deg at epoch {summary['best_epoch']}"
                 f"; checkpoints {summary['last']}, {summary['best']}")
    else:
        text += f" (no validation scenes); checkpoint {summary['last']}"
    return text


def run_cli(train: Callable[[], dict[str, Any]], report: Callable[[dict[str, Any]], None],
            debug: bool = False) -> int:
    """Run ``train()`` as a command: an error is one line (exit 1 when training diverged, else
    2; ``debug`` adds the traceback), the process group is torn down, ``report(summary)`` runs on
    the main process."""
    env = distributed.detect()
    try:
        summary = train()
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        code = 1 if isinstance(exc, DivergedError) else 2
        if isinstance(exc, DivergedError):
            exc = ValueError(f"training diverged: {exc}")
        if launch.under_agent() and launch.record_error(error_line(exc)) and not debug:
            return code
        return report_error(exc, debug, code=code)
    finally:
        distributed.teardown(env)
    if env.is_main:
        report(summary)
    return 0


def without_nproc(argv: list[str]) -> list[str]:
    """``argv`` less ``--nproc-per-node N`` (the workers' own command line)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc-per-node":
            skip = True
        elif not arg.startswith("--nproc-per-node="):
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.nproc_per_node and not launch.under_agent():
        command = launch.worker_command(argv, "benchmarks.train")
        code, message = launch.launch(args.nproc_per_node,
                                      command + without_nproc(sys.argv[1:] if argv is None else argv))
        if message:
            print(f"error: {message}", file=sys.stderr)
        return code

    def report(summary: dict[str, Any]) -> None:
        print(describe(summary))
        print(f"evaluate: python -m benchmarks.evaluate --method {args.method} --checkpoint "
              f"{summary['best'] or summary['last']} (--root R --list L | --dataset NAME)")

    return run_cli(lambda: run(args), report, args.debug)


if __name__ == "__main__":
    sys.exit(main())
