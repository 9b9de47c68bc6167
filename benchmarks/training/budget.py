"""A fixed budget of optimizer steps, as the runner trains: the shared ``Trainer`` with
``max_steps``, on an already-built model, in place, in one process.

Same recipe as a full training run (loss, optimizer, lr, crops, flips/rot90, training AWGN,
domain), with the recipe's schedule run over the steps, and as many crops per scene per epoch as
the batch holds (so every batch is full on a small train split). Deterministic for a given seed
and device; the caller's global RNG state is left as it was. With ``out`` the run writes its
checkpoints, curve.csv and manifest.json there (validating on ``val_scenes`` when given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.training.checkpoint import load_checkpoint
from benchmarks.training.trainer import TrainConfig, Trainer
from datasets import Scene
from methods import MethodSpec


def train_for_budget(model: torch.nn.Module, spec: MethodSpec, train_scenes: Sequence[Scene], *,
                     steps: int, batch_size: int, crop_size: int, device: torch.device | str,
                     seed: int, out: Path | None = None, val_scenes: Sequence[Scene] = (),
                     val_per_decade: int | None = None, keep: str = "best",
                     data: dict[str, Any] | None = None,
                     log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train ``model`` in place for ``steps`` optimizer steps on random crops of ``train_scenes``.

    crop_size: HR side, lowered to the largest multiple of the ratio that fits every scene.
    keep: which checkpoint the manifest names and the model ends with ("best" or "last").
    log: gets "train: step k/N ..." lines (after the first step, then every 30 s).
    Returns the ``Trainer.fit`` summary plus ``epochs`` (float: crops seen / scenes),
    ``final_loss`` (mean of the last min(10, steps) finite losses) and ``loss_history`` (one
    float per step, NaN for a skipped step).
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    scenes = list(train_scenes)
    if not scenes:
        raise ValueError(f"{spec.name}: no training scenes for the step budget")
    ratio = int(scenes[0].meta.ratio)
    config = replace(TrainConfig.from_recipe(
        spec, bands=scenes[0].bands, msi_bands=scenes[0].msi_bands, ratio=ratio,
        batch_size=batch_size, crop_size=crop_size, seed=seed, device=str(device),
        max_steps=steps, workers=0, repeat=batch_size, val_per_decade=val_per_decade,
        keep=keep, data=data or {}), out=None if out is None else str(out))
    was_training = model.training
    with torch.random.fork_rng(devices=[torch.device(device)] if torch.device(device).type == "cuda"
                               else []):
        torch.manual_seed(seed)
        trainer = Trainer(spec, config, scenes, val_scenes, model=model,
                          log=(lambda msg: log(f"train: {msg}")) if log else (lambda _msg: None),
                          progress=False,
                          log_every_s=30.0 if log else None)
        summary = trainer.fit()
    if keep == "best" and summary["best"]:
        trainer.model.load_state_dict(load_checkpoint(summary["best"])["model"])
    model.train(was_training)
    history = trainer.step_losses
    finite = [v for v in history if math.isfinite(v)][-10:]
    return {**summary, "epochs": len(history) * batch_size / len(scenes),
            "final_loss": sum(finite) / len(finite) if finite else math.nan,
            "loss_history": history, "curve": trainer.curve.frame()}
