"""The recipe's pieces as objects: loss, optimizer, scheduler, and one guarded optimizer step.

``Stepper.step`` runs forward, loss and backward (under AMP when asked: bf16 autocast on CPU,
fp16 autocast with a GradScaler on CUDA), and skips the update when the loss or a gradient is not
finite on any rank: it divides the learning rate by ``lr_drop_factor`` and counts the drop, and
after ``max_lr_drops`` drops raises ``DivergedError`` instead of looping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from benchmarks.training import distributed
from benchmarks.training.distributed import DistEnv
from methods import MethodSpec, TrainingRecipe

OPTIMIZERS = ("adam", "adamw")
SCHEDULERS = ("cosine", "step")


class DivergedError(RuntimeError):
    """Training kept producing non-finite losses or gradients after every allowed lr drop."""


def recipe_of(spec: MethodSpec) -> TrainingRecipe:
    if spec.recipe is None:
        raise ValueError(f"method {spec.name!r} has no training recipe (family {spec.family!r}); "
                         "only deep methods with a recipe can be trained")
    return spec.recipe


def resolve_loss(spec: MethodSpec) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The recipe's ``loss_fn`` as a ``(pred, target) -> scalar`` callable (a class is built)."""
    loss = recipe_of(spec).loss_fn
    return loss() if isinstance(loss, type) else loss


def make_optimizer(params: Iterable[torch.nn.Parameter], name: str, lr: float,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def make_scheduler(optimizer: torch.optim.Optimizer, name: str, *, t_max: int, eta_min: float,
                   step_size: int, gamma: float) -> torch.optim.lr_scheduler.LRScheduler:
    """Cosine annealing over ``t_max`` scheduler steps down to ``eta_min``, or StepLR."""
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, t_max),
                                                          eta_min=eta_min)
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma)
    raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {name!r}")


def _grads_finite(params: list[torch.nn.Parameter]) -> bool:
    flags = [torch.isfinite(p.grad).all() for p in params if p.grad is not None]
    return bool(torch.stack(flags).all()) if flags else True


class Stepper:
    """One optimizer step with AMP and the NaN guard. ``net`` may be DDP-wrapped."""

    def __init__(self, net: torch.nn.Module, loss_fn: Callable[..., torch.Tensor],
                 optimizer: torch.optim.Optimizer, device: torch.device, *, amp: bool = False,
                 env: DistEnv | None = None, max_lr_drops: int = 5, lr_drop_factor: float = 5.0,
                 log: Callable[[str], None] = print) -> None:
        if lr_drop_factor <= 1:
            raise ValueError(f"lr_drop_factor must be > 1, got {lr_drop_factor}")
        self.net, self.loss_fn, self.optimizer, self.device = net, loss_fn, optimizer, device
        self.env = env or DistEnv()
        self.amp = amp
        self.amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda") if amp and device.type == "cuda" else None
        self.max_lr_drops, self.lr_drop_factor, self.log = max_lr_drops, lr_drop_factor, log
        self.lr_drops = 0
        self.params = [p for p in net.parameters() if p.requires_grad]

    def step(self, lr: torch.Tensor, hr: torch.Tensor, gt: torch.Tensor,
             side: dict[str, Any] | None = None) -> float | None:
        """Train on one batch; the loss as a float, or None when the step was skipped."""
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp):
            pred = self.net(lr, hr, **(side or {}))
        loss = self.loss_fn(pred.float(), gt)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        finite = bool(torch.isfinite(loss.detach()))
        if finite and self.scaler is None:  # with fp16 the scaler skips inf gradients itself
            finite = _grads_finite(self.params)
        if not distributed.all_true(self.env, finite, self.device):
            self._drop_lr(float(loss.detach()))
            return None
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return float(loss.detach())

    def _drop_lr(self, loss: float) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.lr_drops += 1
        if self.lr_drops > self.max_lr_drops:
            raise DivergedError(f"non-finite loss or gradients after {self.max_lr_drops} lr drops "
                                f"(by {self.lr_drop_factor:g} each); giving up")
        for group in self.optimizer.param_groups:
            group["lr"] /= self.lr_drop_factor
        self.log(f"non-finite step (loss {loss}) skipped; lr divided by {self.lr_drop_factor:g} to "
                 f"{self.optimizer.param_groups[0]['lr']:.3g} (drop {self.lr_drops}/"
                 f"{self.max_lr_drops})")

    def state_dict(self) -> dict[str, Any]:
        return {"lr_drops": self.lr_drops,
                "scaler": self.scaler.state_dict() if self.scaler is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr_drops = int(state["lr_drops"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
