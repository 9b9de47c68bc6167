"""The joint loss of the QRCODE authors' lab (CSAKD ``train_CSAKD_offline_teacher_student.py``).

loss = SmoothL1(beta 1) + 0.1 * (1 - mean cosine similarity) + 0.1 * band-wise term, on tensors
(B, C, H, W) in the lab's (x - 0.5) * 2 domain. Formulas follow the lab's ``trainOps.py``:

- the first term is ``torch.nn.SmoothL1Loss()`` (the script names it ``L1Loss``);
- ``sam_loss``: per-pixel cosine over bands, pixels with a zero norm product excluded, clipped to
  [-1, 1], 1 - mean;
- ``BandWiseMSE``: per element 0.5 d^2 / beta + relu(d - beta) - 0.5 beta with d = |x - y| and
  beta 1, averaged over (H, W), divided per (image, band) by mean_{H,W}(y^2 + 0.1), then averaged.
  This equals smooth-L1 - beta/2 for d < beta (the offset has no gradient) and grows as
  d^2/2 + d - 3/2 beyond; kept as the lab computes it.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

SAM_WEIGHT = 0.1
BANDWISE_WEIGHT = 0.1


def _check(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(
            "pred and target must both be (B, C, H, W), "
            f"got {tuple(pred.shape)} and {tuple(target.shape)}"
        )


def cosine_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - mean over pixels of the spectral cosine; pixels with a zero norm product are skipped."""
    _check(pred, target)
    num = (pred * target).sum(dim=1)
    den = torch.sqrt((pred**2).sum(dim=1) * (target**2).sum(dim=1))
    keep = den != 0
    cos = torch.clamp(num[keep] / den[keep], -1.0, 1.0)
    return 1.0 - cos.mean()


def bandwise_loss(pred: torch.Tensor, target: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """The lab's ``BandWiseMSE``: per-band robust error / the band's mean(y^2 + 0.1), averaged."""
    _check(pred, target)
    diff = (pred - target).abs()
    per_elem = 0.5 * diff**2 / beta + F.relu(diff - beta) - 0.5 * beta
    scale = (target**2 + 0.1).mean(dim=(2, 3))
    return (per_elem.mean(dim=(2, 3)) / scale).mean()


def joint_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SmoothL1(beta 1) + 0.1 * cosine_loss + 0.1 * bandwise_loss; a scalar tensor."""
    _check(pred, target)
    return (
        F.smooth_l1_loss(pred, target, beta=1.0)
        + SAM_WEIGHT * cosine_loss(pred, target)
        + BANDWISE_WEIGHT * bandwise_loss(pred, target)
    )
