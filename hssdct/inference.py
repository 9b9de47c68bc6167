"""Inference helper for HSSDCT: one forward under ``inference_mode``, in fp32 or bf16 autocast.

``torch.compile`` is deliberately not offered: on the 2-core CPU it took 220 s to compile the
paper-size model and the compiled forward was ~30 % slower than eager (graph breaks at the
position-bias caches, one recompilation per block width).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor, nn

Precision = Literal["fp32", "bf16"]


def fuse(model: nn.Module | Callable[..., Tensor], lrhsi: Tensor, hrmsi: Tensor,
         precision: Precision = "fp32") -> Tensor:
    """``model(lrhsi, hrmsi)`` under ``torch.inference_mode``; float32 output (B, C, H, W).

    ``precision="bf16"`` runs under ``torch.autocast(device, dtype=torch.bfloat16)``: matmuls
    and convolutions in bf16, normalisation and reductions in fp32. Put the model in eval mode
    first.
    """
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
    with torch.inference_mode(), torch.autocast(lrhsi.device.type, dtype=torch.bfloat16,
                                                enabled=precision == "bf16"):
        out = model(lrhsi, hrmsi)
    return out.float()
