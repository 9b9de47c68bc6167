"""Input validation shared by every metric: one place that says what is wrong, and with what."""

from __future__ import annotations

import math
import numbers

import torch

_FLOAT_DTYPES = (torch.float32, torch.float64)


def fmt_shape(shape: torch.Size | tuple[int, ...]) -> str:
    """(1, 172, 64, 64) -> "(1,172,64,64)", the form used in every error message."""
    return "(" + ",".join(str(int(s)) for s in shape) + ")"


def check_ratio(ratio: float) -> float:
    if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real):
        raise ValueError(f"ratio must be a number >= 1, got {ratio!r}")
    if not math.isfinite(ratio) or ratio < 1:
        raise ValueError(f"ratio must be a finite number >= 1 (HR/LR pixel size), got {ratio}")
    return float(ratio)


def check_data_range(data_range: float) -> float:
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real):
        raise ValueError(f"data_range must be a positive number, got {data_range!r}")
    if not math.isfinite(data_range) or data_range <= 0:
        raise ValueError(f"data_range must be a finite number > 0, got {data_range}")
    return float(data_range)


def check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_finite(t: torch.Tensor, name: str) -> None:
    # One cheap reduction first: a sum is finite unless some element is not (or it overflows,
    # which the exact element test below then rules out).
    if bool(torch.isfinite(t.sum())):
        return
    bad = int((~torch.isfinite(t)).sum())
    if bad:
        raise ValueError(f"{name} has {bad} non-finite values (NaN or inf)")


def check_pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    """Raise ValueError unless pred and target are finite float (B,C,H,W) tensors alike in all."""
    for name, t in (("pred", pred), ("target", target)):
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 4:
            raise ValueError(f"{name} must be 4-D (B,C,H,W), got shape {fmt_shape(t.shape)}")
        if t.dtype not in _FLOAT_DTYPES:
            raise ValueError(f"{name} must be float32 or float64, got {t.dtype}")
    if pred.shape != target.shape:
        raise ValueError(
            "pred and target must have the same shape, "
            f"got {fmt_shape(pred.shape)} and {fmt_shape(target.shape)}"
        )
    if pred.dtype != target.dtype:
        raise ValueError(
            f"pred and target must have the same dtype, got {pred.dtype} and {target.dtype}"
        )
    if pred.device != target.device:
        raise ValueError(
            f"pred and target must be on the same device, got {pred.device} and {target.device}"
        )
    b, c, h, w = pred.shape
    if b == 0:
        raise ValueError(f"pred and target have an empty batch, shape {fmt_shape(pred.shape)}")
    if c == 0:
        raise ValueError(f"pred and target have zero bands, shape {fmt_shape(pred.shape)}")
    if h == 0 or w == 0:
        raise ValueError(f"pred and target have no pixels, shape {fmt_shape(pred.shape)}")
    _check_finite(pred, "pred")
    _check_finite(target, "target")


def images_where(mask: torch.Tensor) -> list[int]:
    """Batch indices where a (B, ...) boolean mask has any True, for error messages."""
    return torch.nonzero(mask.reshape(mask.shape[0], -1).any(dim=1)).flatten().tolist()
