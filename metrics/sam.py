"""Spectral angle mapper: the angle between predicted and reference spectra, in degrees.

Rounding: by Cauchy-Schwarz |cos| <= 1, so a cosine that rounds to just above 1 in magnitude
(parallel spectra, float32) is clamped to [-1, 1] under both conventions; this changes no value
the formula defines and keeps acos from returning NaN for a pixel that is exactly right. The
conventions differ in pixels whose spectrum has zero norm, where the angle is undefined:

- standard: such pixels (zero norm in pred OR target; precisely, |pred|^2 * |target|^2 == 0 in
  the working dtype) are left out of the mean and counted (`sam_excluded_pixels`); `sam_map`
  marks them NaN.
- paper: the authors average over all pixels with no epsilon, so a zero-norm pixel would make
  their mean NaN; here it raises ValueError instead. Pred and target are min-max scaled by the
  target's global min/max first, so the pixel at the target's minimum is a zero-norm candidate.
"""

from __future__ import annotations

import torch

from metrics._blocks import band_blocks
from metrics._checks import check_pair, images_where
from metrics.conventions import in_convention


def _sam_sums(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,C,H,W) pair -> (3,B,H,W) per-pixel sums over bands of pred*target, pred^2, target^2.

    Additive over bands, so band blocks can be summed. The three use the same product and
    summation order, so a pixel with pred == target has pred*target == pred^2 bit for bit.
    """
    return torch.stack(((pred * target).sum(1), (pred * pred).sum(1), (target * target).sum(1)))


def _sam_angles(sums: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(3,B,H,W) sums -> (B,H,W) angle in degrees (NaN where undefined) and (B,H,W) defined mask."""
    dot, pred_sq, target_sq = sums
    # |pred|*|target| as sqrt(|pred|^2 * |target|^2): for pred == target this is exactly dot
    # (sqrt(s*s) == s in IEEE arithmetic), so a perfect pixel scores 0, not acos(1 - ulp).
    norms = torch.sqrt(pred_sq * target_sq)
    defined = norms > 0
    cos = dot / torch.where(defined, norms, torch.ones_like(norms))
    angle = torch.rad2deg(torch.acos(cos.clamp(-1.0, 1.0)))
    return torch.where(defined, angle, torch.full_like(angle, float("nan"))), defined


def _sam_update(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,C,H,W) pair -> (B,H,W) angle in degrees (NaN where undefined) and (B,H,W) defined mask."""
    blocks = band_blocks(pred, "stream")
    sums = _sam_sums(pred[:, blocks[0]], target[:, blocks[0]])
    for s in blocks[1:]:
        sums += _sam_sums(pred[:, s], target[:, s])
    return _sam_angles(sums)


def _raise_if_undefined(defined: torch.Tensor) -> None:
    """Paper convention: a zero-norm pixel has no angle, and the authors' mean would be NaN."""
    undefined = ~defined
    if bool(undefined.any()):
        raise ValueError(
            f"SAM undefined: {int(undefined.sum())} pixels have zero norm in pred/target under "
            f"convention='paper' (image(s) {images_where(undefined)}); the authors' mean over all "
            "pixels would be NaN"
        )


def _sam_compute(angle: torch.Tensor, defined: torch.Tensor) -> torch.Tensor:
    """(B,H,W) angles and defined mask -> (B,) mean angle over the defined pixels, in degrees."""
    count = defined.sum(dim=(1, 2))
    if bool((count == 0).any()):
        raise ValueError(
            f"SAM undefined: every pixel of image(s) {images_where(count == 0)} has zero norm "
            "in pred or target"
        )
    total = torch.where(defined, angle, torch.zeros_like(angle)).sum(dim=(1, 2))
    return total / count


def _angles_in_convention(
    pred: torch.Tensor, target: torch.Tensor, convention: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Validated (B,C,H,W) pair -> (B,H,W) angles and defined mask under the convention."""
    check_pair(pred, target)
    pred, target = in_convention(pred, target, convention)
    angle, defined = _sam_update(pred, target)
    if convention == "paper":
        _raise_if_undefined(defined)
    return angle, defined


def sam_map(
    pred: torch.Tensor, target: torch.Tensor, *, convention: str = "standard"
) -> torch.Tensor:
    """Per-pixel spectral angle in degrees.

    pred, target: (B,C,H,W). Returns (B,H,W) in [0, 180]. Under `standard`, pixels with zero
    norm in pred or target are NaN (excluded); under `paper` they raise ValueError.

    Example:
        >>> import torch
        >>> target = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1).expand(1, 2, 1, 2)
        >>> pred = torch.tensor([[1.0, 1.0], [1.0, 0.0]]).T.reshape(1, 2, 1, 2)
        >>> sam_map(pred, target)
        tensor([[[45.,  0.]]])
    """
    return _angles_in_convention(pred, target, convention)[0]


def sam(pred: torch.Tensor, target: torch.Tensor, *, convention: str = "standard") -> torch.Tensor:
    """Mean spectral angle per image, in degrees.

    pred, target: (B,C,H,W). Returns (B,): the mean of `sam_map` over the pixels where it is
    defined (standard) or over all pixels (paper, where a zero-norm pixel raises ValueError).

    Example:
        >>> import torch
        >>> target = torch.tensor([1.0, 0.0]).view(1, 2, 1, 1).expand(1, 2, 1, 2)
        >>> pred = torch.tensor([[1.0, 1.0], [1.0, 0.0]]).T.reshape(1, 2, 1, 2)
        >>> sam(pred, target)
        tensor([22.5000])
    """
    return _sam_compute(*_angles_in_convention(pred, target, convention))


def sam_excluded_pixels(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Pixels per image that `standard` SAM leaves out: zero norm in pred or in target.

    pred, target: (B,C,H,W). Returns (B,) int64 counts.

    Example:
        >>> import torch
        >>> target = torch.ones(1, 3, 2, 2)
        >>> pred = target.clone()
        >>> pred[0, :, 0, 0] = 0
        >>> sam_excluded_pixels(pred, target)
        tensor([1])
    """
    check_pair(pred, target)
    _, defined = _sam_update(pred, target)
    return (~defined).sum(dim=(1, 2))
