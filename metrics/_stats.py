"""Per-band sums that several metrics share: (B,C,H,W) -> (B,C)."""

from __future__ import annotations

import torch


def band_sse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) pair -> (B,C) sum over pixels of (pred - target)^2."""
    diff = (pred - target).flatten(2)
    return torch.einsum("bcn,bcn->bc", diff, diff)


def band_mean(x: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) -> (B,C) mean over pixels."""
    return x.mean(dim=(2, 3))
