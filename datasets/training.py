"""Training samples: aligned random crops and the authors' flips/rot90, for any training Dataset.

``random_crop`` takes HR crops at offsets that are multiples of the ratio, and the LR crop at
offset / ratio, so LR pixel i still covers HR pixels r*i..r*i+r-1. ``augment`` applies the same
flips and rotation to all three images (HSSDCT recipe: horizontal and vertical flip, each with
p 0.5; rot90 by 1-3 quarter turns with p 0.5). On the block-centred decimation grid (see
``simulate``), flips and rotations keep LR and HR aligned.
"""

from __future__ import annotations

import torch

Triple = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]


def random_crop(tensors: Triple, crop_size: int, ratio: int, generator: torch.Generator) -> Triple:
    """Crop (lrhsi (C,h,w), hrmsi (c,H,W), gt (C,H,W) or None) to an HR ``crop_size`` square."""
    lr, hr, gt = tensors
    H, W = hr.shape[-2:]
    if crop_size % ratio:
        raise ValueError(f"crop_size {crop_size} must be a multiple of the ratio {ratio}")
    if crop_size > min(H, W):
        raise ValueError(f"crop_size {crop_size} is larger than the {H}x{W} image")
    if lr.shape[-2:] != (H // ratio, W // ratio):
        raise ValueError(f"lrhsi is {tuple(lr.shape[-2:])}, expected {(H // ratio, W // ratio)} "
                         f"for hrmsi {H}x{W} at ratio {ratio}")
    y = ratio * int(torch.randint(0, (H - crop_size) // ratio + 1, (1,), generator=generator))
    x = ratio * int(torch.randint(0, (W - crop_size) // ratio + 1, (1,), generator=generator))
    c = crop_size // ratio
    lr_crop = lr[..., y // ratio:y // ratio + c, x // ratio:x // ratio + c]
    hr_crop = hr[..., y:y + crop_size, x:x + crop_size]
    gt_crop = None if gt is None else gt[..., y:y + crop_size, x:x + crop_size]
    return lr_crop, hr_crop, gt_crop


def augment(tensors: Triple, generator: torch.Generator, flips: bool = True,
            rot90: bool = True) -> Triple:
    """The same random horizontal/vertical flip and rot90 applied to every image of the triple."""
    ops: list[tuple[str, int]] = []
    if flips:
        if float(torch.rand((), generator=generator)) < 0.5:
            ops.append(("flip", -1))
        if float(torch.rand((), generator=generator)) < 0.5:
            ops.append(("flip", -2))
    if rot90 and float(torch.rand((), generator=generator)) < 0.5:
        ops.append(("rot90", int(torch.randint(1, 4, (1,), generator=generator))))

    def apply(t: torch.Tensor | None) -> torch.Tensor | None:
        if t is None:
            return None
        for op, arg in ops:
            t = t.flip(arg) if op == "flip" else torch.rot90(t, arg, dims=(-2, -1))
        return t.contiguous()

    lr, hr, gt = tensors
    return apply(lr), apply(hr), apply(gt)
