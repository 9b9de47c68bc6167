"""The suite's unit domain and original units.

A Scene's GT is min-max normalised per scene to [0, 1] (``meta.scale``/``meta.offset`` recorded,
original = value * scale + offset), and its LR-HSI and HR-MSI are in that same unit domain. A
method that works in another range (the authors' [-1, 1]) maps into it through its adapter.
"""

from __future__ import annotations

import numpy as np
import torch

from datasets.scene import SceneMeta


def minmax_normalise(gt: torch.Tensor | np.ndarray, hwc: bool = False
                     ) -> tuple[torch.Tensor, float, float]:
    """(C, H, W) raw -> ((C, H, W) unit float32 tensor, scale, offset), raw = unit*scale + offset.

    The min and max are taken over the whole cube (all bands), as the authors do. ``hwc``: the
    input is (H, W, C) and is transposed in the same pass (same values, bit for bit). A constant
    cube raises ValueError (its range is zero).
    """
    a = gt.detach().cpu().numpy() if isinstance(gt, torch.Tensor) else np.asarray(gt)
    a = a.astype(np.float32, copy=False)
    lo, hi = a.min(), a.max()
    if not hi > lo:
        raise ValueError(f"gt is constant ({float(lo)}); min-max normalisation needs a range")
    src = a.transpose(2, 0, 1) if hwc else a
    unit = np.empty(src.shape, dtype=np.float32)  # numpy, in place: 5x faster than torch here
    np.subtract(src, lo, out=unit)
    np.divide(unit, hi - lo, out=unit)
    return torch.from_numpy(unit), float(hi - lo), float(lo)


def to_original(x: torch.Tensor, meta: SceneMeta) -> torch.Tensor:
    """Unit-domain (..., C, H, W) values -> original units: x * meta.scale + meta.offset."""
    scale = torch.as_tensor(np.asarray(meta.scale), dtype=x.dtype, device=x.device)
    offset = torch.as_tensor(np.asarray(meta.offset), dtype=x.dtype, device=x.device)
    if scale.ndim == 1:  # per band
        scale, offset = scale[:, None, None], offset[:, None, None]
    return x * scale + offset
