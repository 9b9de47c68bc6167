"""Parameter counts."""

from __future__ import annotations

import torch


def count_params(model: torch.nn.Module) -> tuple[int, int]:
    """(total, trainable) parameter counts; a model without parameters gives (0, 0)."""
    params = list(model.parameters()) if isinstance(model, torch.nn.Module) else []
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return total, trainable
