"""Per-pixel error maps for figures."""

from __future__ import annotations

import torch

from metrics._checks import check_pair
from metrics.conventions import in_convention


def abs_error_map(
    pred: torch.Tensor, target: torch.Tensor, *, convention: str = "standard"
) -> torch.Tensor:
    """Mean absolute error over bands at each pixel.

    pred, target: (B,C,H,W). Returns (B,H,W), in the inputs' units under `standard` and in the
    target's min-max scale under `paper`.

    Example:
        >>> import torch
        >>> target = torch.zeros(1, 2, 1, 2)
        >>> pred = torch.tensor([[0.1, 0.3], [-0.1, 0.1]]).view(1, 2, 1, 2)
        >>> abs_error_map(pred, target)
        tensor([[[0.1000, 0.2000]]])
    """
    check_pair(pred, target)
    pred, target = in_convention(pred, target, convention)
    return (pred - target).abs().mean(dim=1)
