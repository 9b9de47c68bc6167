"""HSSDCT training with every flag of the authors' ``train.py``, run by the suite's shared trainer.

    hssdct-train --root DATA/ --train_file train.txt --val_file val.txt --prefix HSSDCT
    (the same as python -m benchmarks.hssdct_train ...)

Their README command runs unchanged. Every flag of their argparse is accepted with its spelling
and, unless said below, its default (docs/training.md, section 7, has the full table):

- data: ``--root`` + list files (``--train_file``/``--val_file``, as given or relative to root),
  ``--msi_bands`` (4 or 6: key hrmsi4/hrmsi6), ``--bands`` (checked against the data),
  ``--crop_size`` (HR crop), ``--workers`` (DataLoader processes);
  ``--mis_pix k``: train and validate on the LR-HSI key ``lrhsi{k}`` (the CO cube
  ``co{msi}{k+1}`` goes with it; only network mode 2 would read it);
  ``--mixed_align_opt 1``: each training crop draws its LR-HSI key uniformly from lrhsi,
  lrhsi1..3 with its own seeded generator (reproducible, whatever the workers or a resume);
  validation stays on ``lrhsi{mis_pix}``. Their released mode-1 loader crashes on this flag
  (it reads an attribute it never sets); their other loaders show this intent;
  ``--image_size`` and ``--hsi_bands``: sizes are read from the data; ``--hsi_bands`` below
  ``--bands`` cannot run in their code (the LR-HSI would be subsampled, the model not) and is an
  error here;
- model: ``--nf``, ``--gc``; ``--network_mode 1`` (LR-HSI + HR-MSI) is the only mode that runs in
  the released code, so 0 and 2 stop with an error. ``--num_base_chs``, ``--num_blocks``,
  ``--num_agg_feat``, ``--groups``, ``--out_nc`` do not change the released model (a notice
  says so when one is given);
- recipe: ``--batch_size``, ``--epochs``, ``--lr``, ``--weight_decay`` (Adam), ``--SEED`` (or
  ``--seed``: init, crops, flips, key draws, noise); ``--lr_scheduler``: "cosine" anneals to
  1e-10 per epoch, any other value is StepLR(``--step_size``, gamma 0.1) per epoch as in the
  released code (torch's default gamma; the suite's registry recipe follows it); ``--snr``: AWGN
  on the training LR-HSI, <= 0 for none (we take their train.py default 35, which their README
  command runs with, not the 0 of their README's table); ``--joint_loss 1`` (SmoothL1 + 0.1 SAM
  + 0.1 band-wise) or 0 (SmoothL1 alone); ``--eval_step N``: validate after every N-th epoch and
  after the last (theirs after epochs 1, N+1, 2N+1, ...: the same for the default 1);
- not read by the released code: ``--finetuning_step`` (no fine-tuning phase exists, so there is
  none here either; a notice says so);
- resume: ``--resume_ckpt`` a checkpoint of this suite continues exactly (optimizer, schedule,
  RNGs); a bare or authors' state_dict loads weights only and starts at epoch ``--resume_ind``
  with the schedule where an uninterrupted run would have it (theirs restarts the cosine at the
  full lr over the remaining epochs); ``--resume_ind`` > 0 without ``--resume_ckpt`` loads
  ``<out>/best.pth``, as theirs loads ``checkpoint/<prefix>/best.pth``;
- output and devices: checkpoints go to ``runs/<prefix>`` (``--out`` overrides); ``--device``
  auto|cpu|cuda|cuda:N; ``--gpus N`` prints how to train on N GPUs (``--nproc-per-node N``: DDP,
  one process per GPU); ``--DEBUG`` reads true/false/1/0/yes/no and prints tracebacks.

Defaults kept from this suite, not theirs: ``--root`` ./data/ (theirs is a path on their
machine), list files train.txt/val.txt (``datasets.prepare`` writes them under the root; theirs
sit in their checkout), ``--prefix`` HSSDCT, ``--device`` auto (their cuda:0 fails on a machine
without CUDA). Unlike the released script it does not hard-code CUDA, restores the optimizer and
schedule on resume, skips non-finite steps (lowering the lr) instead of looping, and writes no
.mat files.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

import datasets
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg
from benchmarks.train import describe, run_cli, without_nproc
from benchmarks.training import distributed, launch
from benchmarks.training.sources import list_path
from benchmarks.training.trainer import TrainConfig, Trainer
from datasets import Scene
from datasets.layout import LRHSI_KEYS, lrhsi_key

# Every flag of the released train.py's argparse, in its order.
AUTHORS_FLAGS = (
    "SEED", "batch_size", "epochs", "lr_scheduler", "resume_ind", "resume_ckpt", "snr", "lr",
    "step_size", "workers", "eval_step", "finetuning_step", "weight_decay", "crop_size",
    "image_size", "bands", "msi_bands", "hsi_bands", "mis_pix", "mixed_align_opt", "joint_loss",
    "gc", "network_mode", "num_base_chs", "num_blocks", "num_agg_feat", "groups", "out_nc", "nf",
    "root", "val_file", "train_file", "prefix", "device", "DEBUG", "gpus")
WORKING_MODE = 1
STEP_GAMMA = 0.1  # the released StepLR(optimizer, step_size) leaves gamma at torch's default
# Flags the released model never reads (HyDCFN builds with groups=1 and out_nc=bands).
UNUSED_MODEL_FLAGS = {
    "num_base_chs": "the released model never reads it",
    "num_blocks": "the released model never reads it",
    "num_agg_feat": "the released model never reads it",
    "groups": "the released model is built with groups=1 whatever it says",
    "out_nc": "the released model outputs --bands bands whatever it says",
}
TRUE, FALSE = ("true", "1", "yes", "y", "on"), ("false", "0", "no", "n", "off")


class _Given(argparse.Action):
    """Store the value and remember that the flag was on the command line (``namespace.given``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = {*namespace.given, self.dest}


def parse_bool(text: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case); argparse error otherwise."""
    if text.strip().lower() in TRUE:
        return True
    if text.strip().lower() in FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, 1/0 or yes/no, got {text!r}")


def device_arg(text: str) -> str:
    """auto, cpu, cuda or cuda:N."""
    if text in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", text):
        return text
    raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")


def parser() -> argparse.ArgumentParser:
    """The command line: every flag of the released train.py (``AUTHORS_FLAGS``) and ours."""
    p = argparse.ArgumentParser(prog="hssdct-train", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.set_defaults(given=frozenset())
    data = p.add_argument_group("data")
    data.add_argument("--root", default="./data/",
                      help="directory of the paper's layout (default: ./data/; released: "
                      "/ssd4t/Fusion_data, a path on the authors' machine)")
    data.add_argument("--train_file", default="train.txt",
                      help="list of training entries, as given or under --root (default: "
                      "train.txt; released: ./data_path/train.txt in their checkout)")
    data.add_argument("--val_file", default="val.txt",
                      help="list of validation entries, as given or under --root (default: "
                      "val.txt; released: ./data_path/val.txt)")
    data.add_argument("--msi_bands", type=int, default=4, choices=(4, 6),
                      help="HR-MSI bands (key hrmsi4/hrmsi6)")
    data.add_argument("--bands", type=int, default=172, help="HSI bands (must match the data)")
    data.add_argument("--hsi_bands", type=int, default=None, action=_Given,
                      help="LR-HSI bands to keep (default: --bands; released: 172). Less than "
                      "--bands is an error (the released loader would subsample the LR-HSI "
                      "while the model expects --bands); more uses all, as theirs does")
    data.add_argument("--crop_size", type=int, default=128, help="HR training crop side")
    data.add_argument("--image_size", type=int, default=256,
                      help="full image side; the size is read from the data (a note says when "
                      "the GT differs)")
    data.add_argument("--mis_pix", type=int, default=0, choices=(0, 1, 2, 3),
                      help="train and validate on LR-HSI key lrhsi{k} (default: 0, key lrhsi)")
    data.add_argument("--mixed_align_opt", type=int, default=0, choices=(0, 1),
                      help="1: each training crop draws its LR-HSI key uniformly from lrhsi, "
                      "lrhsi1..3 (seeded per sample); validation stays on lrhsi{mis_pix} "
                      "(default: 0, off)")
    data.add_argument("--workers", type=int, default=4, help="DataLoader processes")
    model = p.add_argument_group("model")
    model.add_argument("--network_mode", type=int, default=WORKING_MODE,
                       help="1: LR-HSI + HR-MSI (modes 0 and 2 crash in the released code)")
    model.add_argument("--nf", type=int, default=96,
                       help="feature width (nf/2 a multiple of 16)")
    model.add_argument("--gc", type=int, default=32, help="dense growth channels")
    for name, default in (("num_base_chs", 172), ("num_blocks", 6), ("num_agg_feat", 172 // 4),
                          ("groups", 1), ("out_nc", 172)):
        model.add_argument(f"--{name}", type=int, default=default, action=_Given,
                           help=f"accepted; {UNUSED_MODEL_FLAGS[name]}")
    recipe = p.add_argument_group("recipe")
    recipe.add_argument("--batch_size", type=int, default=6, help="batch size (per process)")
    recipe.add_argument("--epochs", type=int, default=1000, help="training epochs")
    recipe.add_argument("--lr", type=float, default=5.5e-5, help="Adam learning rate")
    recipe.add_argument("--weight_decay", type=float, default=0.0,
                        help="Adam weight decay (default: 0, none)")
    recipe.add_argument("--lr_scheduler", default="cosine",
                        help="cosine: annealing to 1e-10 over the epochs; any other value "
                        "(e.g. step): StepLR(--step_size, gamma 0.1), as the released code "
                        "does; both stepped per epoch")
    recipe.add_argument("--step_size", type=int, default=200, help="StepLR's step in epochs")
    recipe.add_argument("--snr", type=float, default=35.0,
                        help="AWGN SNR (dB) on the training LR-HSI; <= 0 for none")
    recipe.add_argument("--joint_loss", type=int, default=1, choices=(0, 1),
                        help="1: SmoothL1 + 0.1 SAM + 0.1 band-wise; 0: SmoothL1 alone")
    recipe.add_argument("--SEED", "--seed", dest="SEED", type=int, default=1029,
                        help="seed of the init, crops, flips, key draws and noise")
    recipe.add_argument("--eval_step", type=int, default=1,
                        help="validate every N epochs (and after the last)")
    recipe.add_argument("--finetuning_step", type=int, default=200, action=_Given,
                        help="accepted; the released train.py never reads it, so there is no "
                        "fine-tuning phase (a note says so)")
    run = p.add_argument_group("run")
    run.add_argument("--prefix", default="HSSDCT",
                     help="run name: checkpoints in runs/<prefix> (default: HSSDCT; released: "
                     "ASTUDY_num2_BAND4_SWINY_SNR0 in checkpoint/<prefix>)")
    run.add_argument("--out", type=Path, default=None, help="run directory (None: runs/<prefix>)")
    run.add_argument("--resume_ind", type=int, default=0,
                     help="start epoch when --resume_ckpt holds weights only; > 0 without "
                     "--resume_ckpt loads <out>/best.pth (default: 0)")
    run.add_argument("--resume_ckpt", default="",
                     help="checkpoint to resume (this suite's) or weights to load (bare or the "
                     "authors' state_dict); default: none")
    run.add_argument("--device", type=device_arg, default="auto",
                     help="auto, cpu, cuda or cuda:N (default: auto, CUDA when available; the "
                     "released default cuda:0 fails on a machine without CUDA)")
    run.add_argument("--gpus", type=int, default=1,
                     help="> 1: prints how to train on that many GPUs (--nproc-per-node N); "
                     "the released code's DataParallel is not used")
    run.add_argument("--nproc-per-node", type=int, default=None, metavar="N",
                     help="train in N processes on this machine (DDP, one per GPU on CUDA; "
                     "--batch_size is per process), as torchrun --standalone does")
    run.add_argument("--DEBUG", type=parse_bool, default=False,
                     help="true/false, 1/0, yes/no: true prints the traceback of an error, as "
                     "--debug (default: false). Unlike the released type=bool, where any "
                     "non-empty text is true, --DEBUG False is false")
    add_debug_arg(p)
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return parser().parse_args(argv)


def scheduler_of(name: str) -> str:
    """The trainer's schedule for a released ``--lr_scheduler`` value: anything but "cosine" is
    StepLR there."""
    return "cosine" if name == "cosine" else "step"


def notices(args: argparse.Namespace, world_size: int = 1) -> list[str]:
    """One line for each flag that is accepted but does not do what its name says here."""
    lines = [f"--{name} {getattr(args, name)} changes nothing: {why}"
             for name, why in UNUSED_MODEL_FLAGS.items() if name in args.given]
    if "finetuning_step" in args.given or args.mixed_align_opt:
        lines.append(f"--finetuning_step {args.finetuning_step} changes nothing: the released "
                     "train.py never reads it, so there is no fine-tuning phase (here neither)")
    if args.hsi_bands is not None and args.hsi_bands > args.bands:
        lines.append(f"--hsi_bands {args.hsi_bands} is more than --bands {args.bands}: all "
                     f"{args.bands} LR-HSI bands are used, as the released loader does")
    if args.lr_scheduler not in ("cosine", "step"):
        lines.append(f"--lr_scheduler {args.lr_scheduler!r} is not 'cosine': StepLR(step_size "
                     f"{args.step_size}, gamma {STEP_GAMMA:g}), as the released code does")
    if args.gpus > 1 and world_size == 1:
        lines.append(f"--gpus {args.gpus}: the released DataParallel is not used and this run "
                     f"trains on one device; for {args.gpus} GPUs run hssdct-train "
                     f"--nproc-per-node {args.gpus} ... (DDP, --batch_size per process)")
    return lines


def check(args: argparse.Namespace) -> None:
    """The flag values the released code cannot run, as one-line errors, before data is read."""
    if args.network_mode != WORKING_MODE:
        raise ValueError(f"--network_mode {args.network_mode} is not supported: only mode 1 "
                         "(LR-HSI + HR-MSI) works in the released code (modes 0 and 2 crash)")
    if args.hsi_bands is not None and args.hsi_bands < args.bands:
        raise ValueError(f"--hsi_bands {args.hsi_bands} is less than --bands {args.bands}: the "
                         f"released loader would keep {args.hsi_bands} LR-HSI bands while the "
                         f"model is built for {args.bands}, so it cannot run; leave --hsi_bands "
                         "out or give it equal to --bands")
    if args.eval_step < 1:
        raise ValueError(f"--eval_step must be >= 1 (validate every N epochs), got "
                         f"{args.eval_step}")
    if args.workers < 0:
        raise ValueError(f"--workers must be >= 0, got {args.workers}")


def smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SmoothL1 with beta 1 (the first term of the joint loss)."""
    return F.smooth_l1_loss(pred, target, beta=1.0)


def training_spec(joint_loss: int) -> methods.MethodSpec:
    """The hssdct registry entry, with SmoothL1 alone as its loss when ``joint_loss`` is 0."""
    spec = methods.get("hssdct")
    if joint_loss or spec.recipe is None:
        return spec
    return replace(spec, recipe=replace(spec.recipe, loss_fn=smooth_l1, loss_name="smooth_l1"))


def read_split(args: argparse.Namespace, split: str, list_file: str,
               misalignment: int) -> Sequence[Scene]:
    """One list of the paper's layout with LR-HSI key ``lrhsi{misalignment}``."""
    return datasets.get("paper", split=split, root=args.root, list=list_path(args.root, list_file),
                        msi_bands=args.msi_bands, misalignment=misalignment)


def read_data(args: argparse.Namespace
              ) -> tuple[Sequence[Scene], Sequence[Scene], list[Sequence[Scene]]]:
    """Training scenes and validation scenes on ``lrhsi{mis_pix}``, and with
    ``--mixed_align_opt 1`` the training scenes on each other LR-HSI key (the alternatives each
    crop draws from)."""
    train = read_split(args, "train", args.train_file, args.mis_pix)
    val = read_split(args, "val", args.val_file, args.mis_pix)
    alternatives = []
    if args.mixed_align_opt:
        alternatives = [read_split(args, "train", args.train_file, k)
                        for k in range(len(LRHSI_KEYS)) if k != args.mis_pix]
        for other in alternatives:  # read the first entry now: a missing key fails here
            if other[0].lrhsi.shape != train[0].lrhsi.shape:
                raise ValueError(f"{other[0].name}: its LR-HSI keys differ in shape")
    return train, val, alternatives


def note(line: str) -> None:
    print(f"note: {line}", file=sys.stderr)


def build(args: argparse.Namespace) -> Trainer:
    """Check the flags, read the data and set up the shared trainer."""
    check(args)
    train, val, alternatives = read_data(args)
    first = train[0]
    if first.bands != args.bands:
        raise ValueError(f"--bands {args.bands} does not match the data: {first.name} has "
                         f"{first.bands} bands")
    size = tuple(first.hrmsi.shape[-2:])
    if size != (args.image_size, args.image_size) and distributed.detect().is_main:
        note(f"--image_size {args.image_size}: the data's GT is {size[0]}x{size[1]} "
             f"({first.name}); sizes are read from the data")
    key = lrhsi_key(args.mis_pix)
    spec = training_spec(args.joint_loss)
    out = args.out or Path("runs") / args.prefix
    config = TrainConfig.from_recipe(
        spec, bands=args.bands, msi_bands=args.msi_bands, ratio=int(first.meta.ratio),
        model_cfg={"nf": args.nf, "gc": args.gc}, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, weight_decay=args.weight_decay, scheduler=scheduler_of(args.lr_scheduler),
        step_size=args.step_size, gamma=STEP_GAMMA, crop_size=args.crop_size, seed=args.SEED,
        device=args.device, workers=args.workers, val_every=args.eval_step, out=str(out),
        data={"dataset": "paper", "root": str(args.root), "split": str(args.train_file),
              "val_split": str(args.val_file),
              "lrhsi": f"mixed {', '.join(LRHSI_KEYS)} (validation {key})"
              if args.mixed_align_opt else key})
    config.snr_db = args.snr if args.snr > 0 else None
    trainer = Trainer(spec, config, train, val, train_alternatives=alternatives)
    resume = args.resume_ckpt
    if not resume and args.resume_ind > 0:  # the released fallback: the run's own best.pth
        resume = str(Path(config.out) / "best.pth")
        if not Path(resume).is_file():
            raise ValueError(f"--resume_ind {args.resume_ind} without --resume_ckpt loads "
                             f"{resume}, which does not exist; pass --resume_ckpt")
    if resume:
        trainer.start_from(resume, args.resume_ind)
    elif (Path(config.out) / "last.pth").exists():
        raise ValueError(f"{config.out} already holds last.pth; pass --resume_ckpt "
                         f"{Path(config.out) / 'last.pth'} or another --prefix")
    return trainer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.nproc_per_node and not launch.under_agent():
        command = launch.worker_command(argv, "benchmarks.hssdct_train")
        code, message = launch.launch(args.nproc_per_node, command + without_nproc(
            sys.argv[1:] if argv is None else argv))
        if message:
            print(f"error: {message}", file=sys.stderr)
        return code
    env = distributed.detect()
    if env.is_main:
        for line in notices(args, env.world_size):
            note(line)
    return run_cli(lambda: build(args).fit(), lambda summary: print(describe(summary)),
                   args.debug or args.DEBUG)


if __name__ == "__main__":
    sys.exit(main())
