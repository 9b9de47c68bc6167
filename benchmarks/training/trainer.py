"""The shared, method-agnostic trainer: any registry entry with a ``TrainingRecipe`` trains here.

The recipe gives the loss, optimizer, lr, schedule, crop, augmentations and training noise; the
entry's ``domain`` gives the value range the model sees (``pm1``: (x - 0.5) * 2). Per epoch:
``repeat`` random crops per training scene (batched, with AWGN on the LR-HSI at the recipe's SNR,
once per batch), one scheduler step, validation every ``val_every`` epochs (or at scheduled steps)
on full images without noise (both metric conventions, averaged over scenes; each validation is a
point of ``curve.csv``, see ``curves.py``), then ``last.pth`` and, when the mean validation SAM in
the ``paper`` convention is the lowest so far, ``best.pth`` (see ``checkpoint.py``).

Under torchrun each process trains on its share of the crops (DistributedSampler, per-process
batch ``batch_size``) and validates its share of the scenes; only rank 0 writes files.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

import fileio
from benchmarks.provenance import resolve_device
from benchmarks.quality import score
from benchmarks.training import distributed
from benchmarks.training.checkpoint import (
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from benchmarks.training.curves import VAL_COLUMNS, CurveLog, val_steps
from benchmarks.training.data import CropDataset, fit_crop_size, generator
from benchmarks.training.distributed import DistEnv
from benchmarks.training.manifest import write_manifest
from benchmarks.training.optim import (
    Stepper,
    make_optimizer,
    make_scheduler,
    recipe_of,
    resolve_loss,
)
from datasets import Scene
from datasets.simulate import add_awgn
from fileio.checkpoints import read_checkpoint, state_dict_of
from methods import MethodSpec

VAL_KEYS = VAL_COLUMNS  # psnr/sam/ergas/rmse in the paper convention, psnr/sam in the standard


@dataclass
class TrainConfig:
    """Everything a training run depends on. ``from_recipe`` fills it from a registry entry.

    bands, msi_bands, ratio, model_cfg: what the model is built with (``methods.build``).
    epochs, batch_size (per process), lr, crop_size (HR side, a multiple of ratio): the recipe's.
    snr_db: AWGN on the training LR-HSI (None: no noise). repeat: crops per scene per epoch.
    val_every: validate every this many epochs (and after the last), unless validation is
    scheduled by steps: ``val_every_steps`` and/or ``val_per_decade`` (see ``curves.val_steps``).
    workers: DataLoader processes (None: 4 on CUDA, 0 on CPU). max_lr_drops / lr_drop_factor:
    the NaN guard. max_steps: a step budget: stop after this many optimizer steps in all,
    whatever ``epochs`` says, with the cosine or step schedule run over the steps instead of the
    epochs. max_train_s: a time budget: stop once this many seconds went into training steps
    (validation excluded); the schedule stays the recipe's. out: the run directory for
    checkpoints, history.csv, curve.csv and manifest.json; None writes nothing. data: how the
    caller names the training data (dataset, split, val_split), for the manifest. keep: the
    weights the manifest names: "best" (best.pth when there was validation, else last.pth) or
    "last" (when validation scenes are the ones later scored, so they must not pick the weights).
    """

    method: str
    bands: int
    msi_bands: int
    ratio: int = 4
    model_cfg: dict[str, Any] = field(default_factory=dict)
    epochs: int = 1000
    batch_size: int = 4
    lr: float = 1e-4
    weight_decay: float = 0.0
    optimizer: str = "adam"
    scheduler: str = "cosine"
    eta_min: float = 1e-10
    step_size: int = 200
    gamma: float = 0.5
    crop_size: int = 128
    flips: bool = True
    rot90: bool = True
    snr_db: float | None = None
    repeat: int = 1
    val_every: int = 1
    seed: int = 0
    device: str = "auto"
    amp: bool = False
    workers: int | None = None
    out: str | None = "runs/train"
    max_steps: int | None = None
    max_train_s: float | None = None
    data: dict[str, Any] = field(default_factory=dict)
    keep: str = "best"
    val_every_steps: int | None = None
    val_per_decade: int | None = None
    max_lr_drops: int = 5
    lr_drop_factor: float = 5.0

    @classmethod
    def from_recipe(cls, spec: MethodSpec, *, bands: int, msi_bands: int, ratio: int = 4,
                    **overrides: Any) -> TrainConfig:
        """The entry's recipe, with ``overrides`` (None values are ignored) on top."""
        r = recipe_of(spec)
        base = dict(method=spec.name, bands=bands, msi_bands=msi_bands, ratio=ratio,
                    epochs=r.epochs, batch_size=r.batch_size, lr=r.lr, weight_decay=r.weight_decay,
                    optimizer=r.optimizer, scheduler=r.scheduler, eta_min=r.eta_min,
                    step_size=r.step_size, gamma=r.gamma, crop_size=r.crop_size, flips=r.flips,
                    rot90=r.rot90, snr_db=r.train_snr_db, seed=r.seed,
                    out=f"runs/{spec.name}")
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown training options {sorted(unknown)}")
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def check(self) -> None:
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")
        if self.max_train_s is not None and not self.max_train_s > 0:
            raise ValueError(f"max_train_s must be > 0, got {self.max_train_s}")
        val_steps(1, every=self.val_every_steps, per_decade=self.val_per_decade)
        if self.keep not in ("best", "last"):
            raise ValueError(f"keep must be 'best' or 'last', got {self.keep!r}")
        for name in ("epochs", "batch_size", "crop_size", "repeat", "val_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.crop_size % self.ratio:
            raise ValueError(f"crop_size must be a multiple of the ratio {self.ratio}, "
                             f"got {self.crop_size}")


def val_scores(model: torch.nn.Module, spec: MethodSpec, scene: Scene,
               device: torch.device) -> dict[str, float]:
    """One scene's validation metrics (``VAL_KEYS``: name_convention), through the one fuse path."""
    values = score(spec.fuse(model, scene, device), scene)
    return {k: float(values[k.rsplit("_", 1)[1]][k.rsplit("_", 1)[0]]) for k in VAL_KEYS}


def validate(model: torch.nn.Module, spec: MethodSpec, scenes: Sequence[Scene],
             device: torch.device, env: DistEnv | None = None,
             log: Callable[[str], None] = print) -> dict[str, float]:
    """Mean ``VAL_KEYS`` over ``scenes``: PSNR/SAM/ERGAS/RMSE in the ``paper`` convention and
    PSNR/SAM in the ``standard`` one (each rank scores its share).

    A scene whose prediction is not finite, or whose metrics are undefined, makes the means NaN
    (so it can never be the best) and is logged.
    """
    env = env or DistEnv()
    was_training = model.training
    model.eval()
    sums = torch.zeros(len(VAL_KEYS) + 1, dtype=torch.float64)
    for i in range(env.rank, len(scenes), env.world_size):
        scene = scenes[i]
        try:
            scores = val_scores(model, spec, scene, device)
        except ValueError as err:
            log(f"validation scene {scene.name!r}: {err}")
            scores = dict.fromkeys(VAL_KEYS, math.nan)
        sums += torch.tensor([*(scores[k] for k in VAL_KEYS), 1.0], dtype=torch.float64)
    model.train(was_training)
    if env.enabled:
        reduced = sums.to(device, torch.float64 if device.type == "cpu" else torch.float32)
        torch.distributed.all_reduce(reduced)
        sums = reduced.double().cpu()
    n = max(1.0, float(sums[-1]))
    return {k: float(sums[j]) / n for j, k in enumerate(VAL_KEYS)}


class Trainer:
    """Trains ``spec``'s model on Scenes with ``config``; ``fit()`` runs the epochs.

    model: an already-built model (default: ``methods.build`` with the config's build arguments,
    after seeding torch with ``config.seed``). env: the process's place in a torchrun job
    (default: detected from the environment). log: where messages go (rank 0 only).
    log_every_s: also log "step k/N" after the first step and then every this many seconds.
    train_alternatives: other versions of the training scenes (same entries, same order); each
    training sample draws its version uniformly from ``train_scenes`` and these (see
    ``data.CropDataset``). Validation uses ``val_scenes`` only.
    """

    def __init__(self, spec: MethodSpec, config: TrainConfig, train_scenes: Sequence[Scene],
                 val_scenes: Sequence[Scene] = (), *, model: torch.nn.Module | None = None,
                 env: DistEnv | None = None, log: Callable[[str], None] = tqdm.write,
                 progress: bool = True, log_every_s: float | None = None,
                 train_alternatives: Sequence[Sequence[Scene]] = ()) -> None:
        config.check()
        if config.method != spec.name:
            raise ValueError(f"config is for method {config.method!r}, spec is {spec.name!r}")
        self.spec, self.config = spec, config
        self.env = env or distributed.detect()
        self.device = distributed.device_for(self.env, resolve_device(config.device))
        distributed.setup(self.env, self.device)
        self.log = log if self.env.is_main else (lambda _msg: None)
        self.progress = progress and self.env.is_main
        self.out = Path(config.out) if config.out is not None else None
        self.train_scenes, self.val_scenes = train_scenes, val_scenes

        if model is None:
            torch.manual_seed(config.seed)
            model = spec.build_model(config.bands, config.msi_bands, config.ratio,
                                     **config.model_cfg)
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"method {spec.name!r} does not build a torch module; cannot train it")
        self.model = model.to(self.device)
        self.net: torch.nn.Module = self.model
        if self.env.enabled:  # find_unused_parameters: some entries hold unused params (hssdct)
            self.net = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=True)

        if len(train_scenes) == 0:
            raise ValueError(f"{spec.name}: no training scenes")
        self.crop_size = min(fit_crop_size(config.crop_size, *scene.hrmsi.shape[-2:], config.ratio)
                             for scene in train_scenes)
        if self.crop_size != config.crop_size:
            self.log(f"crop {config.crop_size} does not fit the training scenes: using "
                     f"{self.crop_size}")
        self.side = {k: getattr(train_scenes[0].meta, k) for k in ("srf", "psf")
                     if k in spec.needs}
        self.dataset = CropDataset(train_scenes, domain=spec.domain, crop_size=self.crop_size,
                                   ratio=config.ratio, flips=config.flips, rot90=config.rot90,
                                   seed=config.seed, repeat=config.repeat,
                                   with_anchor="anchor" in spec.needs,
                                   alternatives=train_alternatives)
        self.sampler = DistributedSampler(self.dataset, num_replicas=self.env.world_size,
                                          rank=self.env.rank, shuffle=True, seed=config.seed)
        workers = config.workers if config.workers is not None else (
            4 if self.device.type == "cuda" else 0)
        self.loader = DataLoader(self.dataset, batch_size=config.batch_size, sampler=self.sampler,
                                 num_workers=workers, pin_memory=self.device.type == "cuda")

        self.optimizer = make_optimizer(self.model.parameters(), config.optimizer, config.lr,
                                        config.weight_decay)
        self.per_step = config.max_steps is not None
        self.scheduler = make_scheduler(self.optimizer, config.scheduler,
                                        t_max=config.max_steps if self.per_step else config.epochs,
                                        eta_min=config.eta_min, step_size=config.step_size,
                                        gamma=config.gamma)
        self.stepper = Stepper(self.net, resolve_loss(spec), self.optimizer, self.device,
                               amp=config.amp, env=self.env, max_lr_drops=config.max_lr_drops,
                               lr_drop_factor=config.lr_drop_factor, log=self.log)
        self.epoch = 0  # epochs completed
        self.step_losses: list[float] = []  # every optimizer step's loss (NaN: skipped)
        self.best_sam = math.inf
        self.best_epoch = -1
        self.best_val: dict[str, float] = {}  # the validation means of the best point
        self.last_val: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self.train_s = 0.0  # seconds in training steps, over every fit() of this run
        self.wall_s = 0.0  # seconds in fit(), over every fit() of this run
        self.by_steps = config.val_every_steps is not None or config.val_per_decade is not None
        self.val_at = val_steps(config.max_steps or config.epochs * len(self.loader),
                                every=config.val_every_steps, per_decade=config.val_per_decade)
        self.curve = CurveLog(self.out if self.env.is_main else None)
        self._losses_since_point: list[float] = []
        self.log_every_s = log_every_s
        self._last_step_log = -math.inf
        self._fit_start = time.perf_counter()

    # ---- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"method": self.spec.name, "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "stepper": self.stepper.state_dict(), "epoch": self.epoch,
                "step_losses": self.step_losses,
                "best_sam": self.best_sam, "best_epoch": self.best_epoch,
                "best_val": self.best_val, "last_val": self.last_val, "history": self.history,
                "curve": self.curve.rows, "train_s": self.train_s, "wall_s": self.elapsed(),
                "rng": rng_state(), "config": asdict(self.config)}

    def resume(self, path: str | Path) -> None:
        """Continue from a checkpoint of this suite: weights, optimizer, schedule, RNGs, history."""
        state = load_checkpoint(path)
        if state["method"] != self.spec.name:
            raise ValueError(f"checkpoint {path} is for method {state['method']!r}, "
                             f"not {self.spec.name!r}")
        saved = state["config"]
        for key in ("bands", "msi_bands", "ratio", "model_cfg"):
            if saved[key] != getattr(self.config, key):
                raise ValueError(f"checkpoint {path} was trained with {key}={saved[key]!r}, "
                                 f"this run has {getattr(self.config, key)!r}")
        for key in ("epochs", "scheduler", "batch_size", "crop_size", "seed"):
            if saved[key] != getattr(self.config, key):
                self.log(f"resume: {key} was {saved[key]!r} in {path}, now "
                         f"{getattr(self.config, key)!r} (the schedule continues as saved)")
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError) as err:
            raise ValueError(f"checkpoint {path} does not fit this {self.spec.name} model: "
                             f"{str(err).splitlines()[0]}") from None
        self.scheduler.load_state_dict(state["scheduler"])
        self.stepper.load_state_dict(state["stepper"])
        self.epoch, self.best_epoch = int(state["epoch"]), int(state["best_epoch"])
        self.best_sam = float(state["best_sam"])
        self.history = list(state["history"])
        self.step_losses = list(state.get("step_losses", []))
        self.best_val, self.last_val = dict(state["best_val"]), dict(state["last_val"])
        self.curve.rows = list(state["curve"])
        self.train_s, self.wall_s = float(state["train_s"]), float(state["wall_s"])
        if self.best_epoch > 0 and self.out is not None and not (self.out / "best.pth").exists():
            self.log(f"resume: {self.out / 'best.pth'} (epoch {self.best_epoch}) is missing; "
                     "the best is chosen again from the epochs still to come")
            self.best_sam, self.best_epoch, self.best_val = math.inf, -1, {}
        set_rng_state(state["rng"])
        self.log(f"resumed from {path} after epoch {self.epoch}")

    def start_from(self, path: str | Path, start_epoch: int = 0) -> None:
        """``resume`` for a checkpoint of this suite; for any other weights file (a bare or
        ``{'model': ...}`` state_dict, the authors' HSSDCT keys) load the weights only and start
        the schedule at ``start_epoch`` (the scheduler is advanced that many epochs)."""
        from benchmarks.checkpoints import check_method, training_config

        obj = read_checkpoint(path)
        if training_config(obj) is not None:
            self.resume(path)
            return
        if not 0 <= start_epoch < self.config.epochs:
            raise ValueError(f"start epoch must be in [0, {self.config.epochs}), got {start_epoch}")
        check_method(self.spec, obj, str(path))
        self.spec.load_state(self.model, state_dict_of(obj, f"checkpoint {path}"), str(path))
        with warnings.catch_warnings():  # stepping the schedule before any optimizer step
            warnings.simplefilter("ignore", UserWarning)
            for _ in range(start_epoch):
                self.scheduler.step()
        self.epoch = start_epoch
        self.log(f"weights from {path}; starting at epoch {start_epoch + 1}")

    # ---- loop ----------------------------------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds in fit() so far, over every fit() of this run."""
        return self.wall_s + time.perf_counter() - self._fit_start

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the crops (validating at the scheduled steps); mean loss (over ranks),
        skipped steps and the lr used."""
        self.net.train()
        self.dataset.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        lr = self.optimizer.param_groups[0]["lr"]
        losses, skipped = [], 0
        bar = tqdm(self.loader, desc=f"epoch {epoch + 1}/{self.config.epochs}", leave=False,
                   disable=not self.progress, dynamic_ncols=True)
        t_mark = time.perf_counter()
        for step, batch in enumerate(bar):
            batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
            lr_in = batch["lr"]
            if self.config.snr_db is not None:
                g = generator(self.config.seed, "awgn", epoch, step, self.env.rank,
                              device=self.device)
                lr_in = add_awgn(lr_in, self.config.snr_db, g)
            side = dict(self.side)
            if "anchor" in batch:
                side["anchor"] = batch["anchor"]
            loss = self.stepper.step(lr_in, batch["hr"], batch["gt"], side)
            self.step_losses.append(math.nan if loss is None else loss)
            if loss is None:
                skipped += 1
            else:
                losses.append(loss)
                self._losses_since_point.append(loss)
                bar.set_postfix(loss=f"{loss:.4g}")
            if self.per_step:
                self.scheduler.step()
            self.train_s += time.perf_counter() - t_mark
            self._log_step(loss)
            if self.by_steps and len(self.step_losses) in self.val_at:
                if self.validation_point(epoch + (step + 1) / len(self.loader))[1]:
                    self._save_best()
                self.net.train()
            if self.budget_spent():
                break
            t_mark = time.perf_counter()
        mean = sum(losses) / len(losses) if losses else math.nan
        return {"train_loss": distributed.mean_over_ranks(self.env, mean, self.device),
                "skipped_steps": skipped, "lr": lr}

    def _log_step(self, loss: float | None) -> None:
        """A "step k/N" line after the first step and every ``log_every_s`` seconds."""
        now = time.perf_counter()
        if self.log_every_s is None or now - self._last_step_log < self.log_every_s:
            return
        self._last_step_log = now
        total = self.config.max_steps or self.config.epochs * len(self.loader)
        loss_text = "skipped" if loss is None else f"loss {loss:.4g}"
        self.log(f"step {len(self.step_losses)}/{total}: {loss_text}, {self.train_s:.0f} s")

    def budget_spent(self) -> bool:
        """Whether the step budget (``max_steps``) or the time budget (``max_train_s``) is used up
        (the time check agrees over ranks)."""
        cfg = self.config
        if self.per_step and len(self.step_losses) >= cfg.max_steps:
            return True
        if cfg.max_train_s is None:
            return False
        return distributed.all_true(self.env, self.train_s >= cfg.max_train_s, self.device)

    def validation_point(self, epoch: float) -> tuple[dict[str, float], bool]:
        """Validate now (``epoch``: epochs done, a float): add a curve point and, when the paper
        SAM is the lowest so far, make this the best. Returns the means and whether they
        improved (the caller then writes ``best.pth``)."""
        val = validate(self.model, self.spec, self.val_scenes, self.device, self.env, self.log)
        finite = [v for v in self._losses_since_point if math.isfinite(v)]
        self._losses_since_point = []
        self.curve.append({"step": len(self.step_losses), "epoch": epoch,
                           "train_s": self.train_s, "wall_s": self.elapsed(),
                           "lr": self.optimizer.param_groups[0]["lr"],
                           "train_loss": sum(finite) / len(finite) if finite else math.nan, **val})
        self.last_val = val
        if self.by_steps:
            self.log(f"validation at step {len(self.step_losses)}: PSNR {val['psnr_paper']:.3f} "
                     f"dB, SAM {val['sam_paper']:.4f} deg (paper convention)")
        improved = val["sam_paper"] < self.best_sam
        if improved:
            self.best_sam, self.best_epoch, self.best_val = val["sam_paper"], math.ceil(epoch), val
        return val, improved

    def _save_best(self) -> None:
        if self.env.is_main and self.out is not None:
            save_checkpoint(self.out / "best.pth", self.state_dict())

    def fit(self, stop_after: int | None = None) -> dict[str, Any]:
        """Train from ``self.epoch`` to ``config.epochs`` (at most ``stop_after`` epochs in this
        call), or until the step or time budget is spent; returns the last epoch's record plus
        the best and last validation means, the steps taken, the time spent and the checkpoint
        paths."""
        cfg = self.config
        self._fit_start = time.perf_counter()
        if self.env.is_main and self.out is not None:
            for tmp in fileio.remove_stale_temps(self.out) if self.out.is_dir() else []:
                self.log(f"removed {tmp}, left by a killed writer")
            fileio.write_json(self.out / "config.json", asdict(cfg))
            if self.history:
                fileio.write_csv(self.out / "history.csv", pd.DataFrame(self.history))
        last = cfg.epochs if stop_after is None else min(cfg.epochs, self.epoch + stop_after)
        if self.per_step:
            last = self.epoch + (stop_after if stop_after is not None else cfg.max_steps)
        budget = f"{cfg.max_steps} steps" if self.per_step else f"epochs {self.epoch + 1}..{last}"
        if cfg.max_train_s is not None:
            budget += f", at most {cfg.max_train_s:.0f} s of training steps"
        self.log(f"training {self.spec.name} on {self.device} x{self.env.world_size}: "
                 f"{len(self.dataset)} crops of {self.crop_size} px per epoch, batch "
                 f"{cfg.batch_size} per process, {budget}")
        record: dict[str, Any] = {}
        epochs = tqdm(range(self.epoch, last), desc=f"{self.spec.name}", disable=not self.progress,
                      dynamic_ncols=True)
        for epoch in epochs:
            if self.budget_spent():
                break
            t_epoch = time.perf_counter()
            record = {"epoch": epoch + 1, **self.train_epoch(epoch)}
            if not self.per_step:
                self.scheduler.step()
            improved = False
            self.epoch = epoch + 1
            if (self.val_scenes and not self.by_steps
                    and (self.epoch % cfg.val_every == 0 or self.epoch == cfg.epochs)):
                val, improved = self.validation_point(float(self.epoch))
                record.update({f"val_{k}": v for k, v in val.items()})
            record["epoch_s"] = time.perf_counter() - t_epoch
            self.history.append(record)
            if improved:
                self._save_best()
            self._write()
            if self.log_every_s is None:  # else the step lines say enough
                self.log(_describe(record, improved))
        last_point = self.curve.rows[-1]["step"] if self.curve.rows else 0
        if self.by_steps and self.val_scenes and 0 < len(self.step_losses) != last_point:
            if self.validation_point(float(self.epoch))[1]:
                self._save_best()
            self._write()
        distributed.barrier(self.env)
        self.wall_s = self.elapsed()
        self._fit_start = time.perf_counter()
        self.curve.close()
        written = self.out is not None and (self.out / "last.pth").exists()
        summary = {**record, "best_sam": self.best_sam, "best_epoch": self.best_epoch,
                   "best_val": self.best_val, "last_val": self.last_val,
                   "epochs_done": self.epoch, "steps": len(self.step_losses),
                   "train_s": self.train_s, "wall_s": self.wall_s,
                   "last": str(self.out / "last.pth") if written else None,
                   "best": str(self.out / "best.pth") if written and self.best_epoch > 0 else None}
        if written and self.env.is_main:
            kept = summary["best"] if cfg.keep == "best" and summary["best"] else summary["last"]
            summary["manifest"] = str(write_manifest(
                self.out, self.spec, asdict(cfg), summary, Path(kept),
                scenes=len(self.train_scenes),
                degradation=self.train_scenes[0].meta.degradation, device=self.device))
        return summary

    def _write(self) -> None:
        """last.pth, then history.csv (callers write any new best.pth first: a kill between two
        writes leaves a last.pth that names no best.pth it has not seen written)."""
        if not self.env.is_main or self.out is None:
            return
        save_checkpoint(self.out / "last.pth", self.state_dict())
        fileio.write_csv(self.out / "history.csv", pd.DataFrame(self.history))


def _describe(record: dict[str, Any], improved: bool) -> str:
    text = (f"epoch {record['epoch']}: loss {record['train_loss']:.5g}, lr {record['lr']:.3g}, "
            f"{record['epoch_s']:.1f} s")
    if record["skipped_steps"]:
        text += f", {record['skipped_steps']} skipped step(s)"
    if "val_sam_paper" in record:
        text += (f"; val PSNR {record['val_psnr_paper']:.3f} dB, SAM {record['val_sam_paper']:.4f} "
                 "deg (paper convention)"
                 + (" (best)" if improved else ""))
    return text


def fit(spec: MethodSpec, config: TrainConfig, train_scenes: Sequence[Scene],
        val_scenes: Sequence[Scene] = (), *, resume: str | Path | None = None,
        stop_after: int | None = None, **kwargs: Any) -> dict[str, Any]:
    """Build a ``Trainer``, optionally resume it, and run ``fit``; returns its summary."""
    trainer = Trainer(spec, config, train_scenes, val_scenes, **kwargs)
    if resume is not None:
        trainer.resume(resume)
    return trainer.fit(stop_after=stop_after)

