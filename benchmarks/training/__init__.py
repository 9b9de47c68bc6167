"""Training for deep registry entries: the shared ``Trainer`` (epochs, or a step budget through
``train_for_budget``), checkpoints and the torchrun plumbing.

    from benchmarks.training import TrainConfig, fit
    fit(methods.get("hssdct"), TrainConfig.from_recipe(spec, bands=172, msi_bands=4), train, val)
"""

from benchmarks.training.budget import train_for_budget
from benchmarks.training.checkpoint import load_checkpoint, save_checkpoint
from benchmarks.training.optim import DivergedError
from benchmarks.training.trainer import TrainConfig, Trainer, fit, validate

__all__ = ["DivergedError", "TrainConfig", "Trainer", "fit", "load_checkpoint",
           "save_checkpoint", "train_for_budget", "validate"]
