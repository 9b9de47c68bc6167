"""HSSDCT training with the authors' ``train.py`` flags, run by the suite's shared trainer.

    hssdct-train --root DATA/ --train_file train.txt --val_file val.txt --prefix HSSDCT
    (the same as python -m benchmarks.hssdct_train ...)

Their README command runs unchanged; every flag maps onto ``benchmarks.training``:

- data: ``--root`` + list files (``--train_file``/``--val_file``, as given or relative to root),
  ``--msi_bands`` (4 or 6: key hrmsi4/hrmsi6), ``--bands`` (checked against the data),
  ``--crop_size`` (HR crop), ``--image_size`` (accepted; the size is read from the data);
- model: ``--nf``, ``--gc``; ``--network_mode 1`` (LR-HSI + HR-MSI) is the only mode that runs in
  the released code, so 0 and 2 stop with an error;
- recipe: ``--batch_size``, ``--epochs``, ``--lr``, ``--lr_scheduler cosine|step`` (cosine to
  1e-10 per epoch, or StepLR(200, 0.5)), ``--snr`` (AWGN on the training LR-HSI; 0 or less: none),
  ``--joint_loss 1`` (SmoothL1 + 0.1 SAM + 0.1 band-wise, the recipe) or 0 (SmoothL1 alone; our
  reading of the flag);
- resume: ``--resume_ckpt`` a checkpoint of this suite continues exactly (optimizer, schedule,
  RNGs); a bare or authors' state_dict loads weights only and starts at epoch ``--resume_ind``;
- output: checkpoints go to ``runs/<prefix>`` (``--out`` overrides); ``--device`` cpu|cuda|auto.

Unlike the released script it does not hard-code CUDA, restores the optimizer and schedule on
resume, skips non-finite steps (lowering the lr) instead of looping, and writes no .mat files.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

import datasets
import methods
from benchmarks.cli import HelpFormatter, add_debug_arg
from benchmarks.train import describe, run_cli
from benchmarks.training.sources import list_path
from benchmarks.training.trainer import TrainConfig, Trainer

WORKING_MODE = 1
VAL_EVERY = 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="hssdct-train", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--root", default="./data/", help="directory of the paper's layout")
    p.add_argument("--train_file", default="train.txt", help="list of training entries")
    p.add_argument("--val_file", default="val.txt", help="list of validation entries")
    p.add_argument("--prefix", default="HSSDCT", help="run name: checkpoints in runs/<prefix>")
    p.add_argument("--batch_size", type=int, default=6, help="batch size (per process)")
    p.add_argument("--epochs", type=int, default=1000, help="training epochs")
    p.add_argument("--lr", type=float, default=5.5e-5, help="Adam learning rate")
    p.add_argument("--lr_scheduler", default="cosine", choices=("cosine", "step"),
                   help="cosine annealing to 1e-10, or StepLR(200, 0.5), per epoch")
    p.add_argument("--msi_bands", type=int, default=4, choices=(4, 6), help="HR-MSI bands")
    p.add_argument("--bands", type=int, default=172, help="HSI bands (must match the data)")
    p.add_argument("--crop_size", type=int, default=128, help="HR training crop side")
    p.add_argument("--image_size", type=int, default=256,
                   help="full image side (accepted for compatibility; read from the data)")
    p.add_argument("--network_mode", type=int, default=WORKING_MODE,
                   help="1: LR-HSI + HR-MSI (modes 0 and 2 crash in the released code)")
    p.add_argument("--snr", type=float, default=35.0,
                   help="AWGN SNR (dB) on the training LR-HSI; <= 0 for none")
    p.add_argument("--nf", type=int, default=96, help="feature width (nf/2 a multiple of 16)")
    p.add_argument("--gc", type=int, default=32, help="dense growth channels")
    p.add_argument("--joint_loss", type=int, default=1, choices=(0, 1),
                   help="1: SmoothL1 + 0.1 SAM + 0.1 band-wise; 0: SmoothL1 alone")
    p.add_argument("--resume_ind", type=int, default=0,
                   help="start epoch when --resume_ckpt holds weights only")
    p.add_argument("--resume_ckpt", default=None, help="checkpoint to resume or weights to load")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="auto: CUDA when available")
    p.add_argument("--seed", type=int, default=1029, help="seed of the init, crops and noise")
    p.add_argument("--out", type=Path, default=None, help="run directory (None: runs/<prefix>)")
    add_debug_arg(p)
    return p.parse_args(argv)


def smooth_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SmoothL1 with beta 1 (the first term of the joint loss)."""
    return F.smooth_l1_loss(pred, target, beta=1.0)


def training_spec(joint_loss: int) -> methods.MethodSpec:
    """The hssdct registry entry, with SmoothL1 alone as its loss when ``joint_loss`` is 0."""
    spec = methods.get("hssdct")
    if joint_loss or spec.recipe is None:
        return spec
    return replace(spec, recipe=replace(spec.recipe, loss_fn=smooth_l1, loss_name="smooth_l1"))


def build(args: argparse.Namespace) -> Trainer:
    """Check the flags, read the data and set up the shared trainer."""
    if args.network_mode != WORKING_MODE:
        raise ValueError(f"--network_mode {args.network_mode} is not supported: only mode 1 "
                         "(LR-HSI + HR-MSI) works in the released code (modes 0 and 2 crash)")
    train = datasets.get("paper", split="train", root=args.root,
                         list=list_path(args.root, args.train_file), msi_bands=args.msi_bands)
    val = datasets.get("paper", split="val", root=args.root,
                       list=list_path(args.root, args.val_file), msi_bands=args.msi_bands)
    first = train[0]
    if first.bands != args.bands:
        raise ValueError(f"--bands {args.bands} does not match the data: {first.name} has "
                         f"{first.bands} bands")
    spec = training_spec(args.joint_loss)
    config = TrainConfig.from_recipe(
        spec, bands=args.bands, msi_bands=args.msi_bands, ratio=int(first.meta.ratio),
        model_cfg={"nf": args.nf, "gc": args.gc}, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, scheduler=args.lr_scheduler, crop_size=args.crop_size, seed=args.seed,
        device=args.device, val_every=VAL_EVERY, out=str(args.out or Path("runs") / args.prefix))
    config.snr_db = args.snr if args.snr > 0 else None
    trainer = Trainer(spec, config, train, val)
    if args.resume_ckpt:
        trainer.start_from(args.resume_ckpt, args.resume_ind)
    elif (Path(config.out) / "last.pth").exists():
        raise ValueError(f"{config.out} already holds last.pth; pass --resume_ckpt "
                         f"{Path(config.out) / 'last.pth'} or another --prefix")
    return trainer


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_cli(lambda: build(args).fit(), lambda summary: print(describe(summary)),
                   args.debug)


if __name__ == "__main__":
    sys.exit(main())
