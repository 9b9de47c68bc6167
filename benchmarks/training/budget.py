"""A fixed budget of optimizer steps for the runner's smoke profile (``benchmarks.run``).

Same recipe as the epoch trainer (loss, optimizer, lr, crops, flips/rot90, training AWGN, domain),
but a given number of steps with cosine annealing over those steps, on an already-built model,
in place, in one process. Deterministic for a given seed and device; the caller's global RNG
state is left as it was.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler

from benchmarks.training.data import CropDataset, add_awgn, fit_crop_size, generator
from benchmarks.training.optim import Stepper, make_optimizer, recipe_of, resolve_loss
from benchmarks.training.trainer import static_side
from datasets import Scene
from methods import MethodSpec


def train_for_budget(model: torch.nn.Module, spec: MethodSpec, train_scenes: Sequence[Scene], *,
                     steps: int, batch_size: int, crop_size: int, device: torch.device | str,
                     seed: int) -> dict[str, Any]:
    """Train ``model`` in place for ``steps`` optimizer steps on random crops of ``train_scenes``.

    crop_size: HR side, lowered to the largest multiple of the ratio that fits every scene.
    Returns ``steps`` (taken, skipped ones included), ``epochs`` (float: crops seen / scenes),
    ``wall_s``, ``final_loss`` (mean of the last min(10, steps) finite losses) and
    ``loss_history`` (one float per step, NaN for a skipped step).
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    recipe = recipe_of(spec)
    device = torch.device(device)
    scenes = list(train_scenes)
    if not scenes:
        raise ValueError(f"{spec.name}: no training scenes for the step budget")
    ratio = int(scenes[0].meta.ratio)
    crop = min(fit_crop_size(crop_size, *s.hrmsi.shape[-2:], ratio) for s in scenes)
    dataset = CropDataset(scenes, domain=spec.domain, crop_size=crop, ratio=ratio,
                          flips=recipe.flips, rot90=recipe.rot90, seed=seed,
                          with_anchor="anchor" in spec.needs)
    sampler = DistributedSampler(dataset, num_replicas=1, rank=0, shuffle=True, seed=seed)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    optimizer = make_optimizer(model.parameters(), recipe.optimizer, recipe.lr, recipe.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps,
                                                           eta_min=recipe.eta_min)
    stepper = Stepper(model, resolve_loss(spec), optimizer, device, log=lambda _msg: None)
    side = static_side(spec, scenes[0])
    was_training = model.training
    model.train()
    history: list[float] = []
    t0 = time.perf_counter()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        for epoch in itertools.count():
            dataset.set_epoch(epoch)
            sampler.set_epoch(epoch)
            for step, batch in enumerate(loader):
                batch = {k: v.to(device) for k, v in batch.items()}
                lr_in = batch["lr"]
                if recipe.train_snr_db is not None:
                    g = generator(seed, "awgn", epoch, step, 0, device=device)
                    lr_in = add_awgn(lr_in, recipe.train_snr_db, g)
                batch_side = {**side, **({"anchor": batch["anchor"]} if "anchor" in batch else {})}
                loss = stepper.step(lr_in, batch["hr"], batch["gt"], batch_side)
                history.append(math.nan if loss is None else loss)
                scheduler.step()
                if len(history) == steps:
                    break
            if len(history) == steps:
                break
    model.train(was_training)
    finite = [v for v in history if math.isfinite(v)][-10:]
    return {"steps": len(history), "epochs": len(history) * batch_size / len(dataset),
            "wall_s": time.perf_counter() - t0,
            "final_loss": sum(finite) / len(finite) if finite else math.nan,
            "loss_history": history}
