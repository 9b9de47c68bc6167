"""Training samples: aligned random crops, the authors' flips/rot90, and a torch Dataset of patches.

``random_crop`` takes HR crops at offsets that are multiples of the ratio, and the LR crop at
offset / ratio, so LR pixel i still covers HR pixels r*i..r*i+r-1. ``augment`` applies the same
flips and rotation to all three images (HSSDCT recipe: horizontal and vertical flip, each with
p 0.5; rot90 by 1-3 quarter turns with p 0.5). On the block-centred decimation grid (see
``simulate``), flips and rotations keep LR and HR aligned.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset

from datasets.normalise import PaperNormalisation
from datasets.scene import Scene
from datasets.simulate import derived_seed

Triple = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]
PAPER = PaperNormalisation()


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


class TrainingPatches(Dataset):
    """Random aligned, augmented patches of scenes, as (lrhsi, hrmsi, gt) tensors.

    Item i is a patch of scene ``i // patches_per_scene``. Its randomness comes from
    (seed, epoch, i) alone, so results do not depend on worker count or order; call
    ``set_epoch`` to draw new patches. ``normalisation`` (default: the authors' [-1, 1]) maps all
    three tensors; None keeps the unit domain.
    """

    def __init__(self, scenes: Sequence[Scene], crop_size: int, *, patches_per_scene: int = 1,
                 flips: bool = True, rot90: bool = True,
                 normalisation: PaperNormalisation | None = PAPER,
                 seed: int = 0) -> None:
        self.scenes, self.crop_size = scenes, crop_size
        self.patches_per_scene, self.flips, self.rot90 = patches_per_scene, flips, rot90
        self.normalisation, self.seed, self.epoch = normalisation, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.scenes) * self.patches_per_scene

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        scene = self.scenes[i // self.patches_per_scene]
        if scene.gt is None:
            raise ValueError(f"scene {scene.name!r} has no GT; training needs one")
        g = torch.Generator().manual_seed(derived_seed(self.seed, f"{self.epoch}/{i}"))
        triple = random_crop((scene.lrhsi, scene.hrmsi, scene.gt), self.crop_size,
                             scene.meta.ratio, g)
        lr, hr, gt = augment(triple, g, self.flips, self.rot90)
        if self.normalisation is not None:
            lr, hr, gt = (self.normalisation.forward(t) for t in (lr, hr, gt))
        return lr, hr, gt
