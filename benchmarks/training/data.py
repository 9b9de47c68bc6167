"""Training batches from Scenes: the model's value domain and aligned crops with anchors (the AWGN
is ``datasets.simulate.add_awgn``, added per batch by the trainer).

Scenes hold GT min-max normalised per scene to [0, 1] with LR-HSI and HR-MSI in the same unit
domain (``datasets/scene.py``). A ``pm1`` method trains on (x - 0.5) * 2 of all of them (the
authors' "GT min-max to [0, 1], then to [-1, 1]; inputs (x - 0.5) * 2"); a ``unit`` method trains
on the values as they are. Crops and flips/rot90 are ``datasets.training``'s (HR offsets on the
ratio grid, LR crop at offset / ratio, the same geometry for every image of a sample).

Every random choice is drawn from a generator seeded by (seed, epoch, sample index), so a sample
depends only on those numbers: not on worker processes, ranks, or whether the run was resumed.
That includes which version of a scene a sample comes from when the scenes are given in several
versions (``alternatives``: e.g. the LR-HSI misaligned by 0, 1, 2 or 3 px, the HSSDCT authors'
``--mixed_align_opt``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset

from datasets import Scene
from datasets.simulate import derived_seed
from datasets.training import augment, random_crop
from methods.adapter import to_domain


def generator(seed: int, *parts: int | str, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded from ``seed`` and the tags ``parts``."""
    tag = "/".join(str(p) for p in parts)
    return torch.Generator(device=device).manual_seed(derived_seed(seed, tag))


def fit_crop_size(crop_size: int, height: int, width: int, ratio: int) -> int:
    """The HR crop side to use: ``crop_size``, or the largest multiple of ``ratio`` that fits.

    Raises ValueError when ``crop_size`` is not a positive multiple of ``ratio``.
    """
    if crop_size <= 0 or crop_size % ratio:
        raise ValueError(f"crop_size must be a positive multiple of the ratio {ratio}, "
                         f"got {crop_size}")
    fits = (min(height, width) // ratio) * ratio
    if fits < ratio:
        raise ValueError(f"a {height}x{width} scene is smaller than one LR pixel at ratio {ratio}")
    return min(crop_size, fits)


class CropDataset(Dataset):
    """``repeat`` random crops per scene per epoch: dicts of ``lr`` (C, c/r, c/r), ``hr`` (m, c, c),
    ``gt`` (C, c, c) [and ``anchor`` (C, c, c)] in ``domain``, for an HR crop side c.

    Item i is a crop of scene ``i % len(scenes)``, drawn with a generator seeded by
    (seed, epoch, i); call ``set_epoch`` before each epoch. Scenes are read lazily, so a
    ``SceneList`` on disk stays there.

    alternatives: other versions of the same scenes (same entries in the same order, e.g. each
    entry's LR-HSI misaligned by another amount). With them, item i draws its version uniformly
    from ``scenes`` and the alternatives, with a generator seeded by (seed, epoch, i) apart from
    the crop's, so the crop geometry is the one the item has without alternatives.
    """

    def __init__(self, scenes: Sequence[Scene], *, domain: str, crop_size: int, ratio: int,
                 flips: bool = True, rot90: bool = True, seed: int = 0, repeat: int = 1,
                 with_anchor: bool = False,
                 alternatives: Sequence[Sequence[Scene]] = ()) -> None:
        if len(scenes) == 0:
            raise ValueError("no training scenes")
        if repeat < 1:
            raise ValueError(f"repeat must be >= 1, got {repeat}")
        for k, other in enumerate(alternatives):
            if len(other) != len(scenes):
                raise ValueError(f"alternative {k + 1} holds {len(other)} scenes, the training "
                                 f"set {len(scenes)}: alternatives are versions of the same scenes")
            names = getattr(other, "names", None), getattr(scenes, "names", None)
            if None not in names and list(names[0]) != list(names[1]):
                raise ValueError(f"alternative {k + 1} names other scenes than the training set")
        self.versions = (scenes, *alternatives)
        self.scenes, self.domain, self.crop_size, self.ratio = scenes, domain, crop_size, ratio
        self.flips, self.rot90, self.seed, self.repeat = flips, rot90, seed, repeat
        self.with_anchor = with_anchor
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.scenes) * self.repeat

    def version(self, i: int) -> int:
        """Which version item i comes from in this epoch: 0 for ``scenes``, k for the k-th
        alternative (always 0 without alternatives)."""
        if len(self.versions) == 1:
            return 0
        g = generator(self.seed, "version", self.epoch, i)
        return int(torch.randint(len(self.versions), (), generator=g))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        scene = self.versions[self.version(i)][i % len(self.scenes)]
        if scene.gt is None:
            raise ValueError(f"scene {scene.name!r} has no GT; it cannot be used for training")
        if int(scene.meta.ratio) != self.ratio:
            raise ValueError(f"scene {scene.name!r} has ratio {scene.meta.ratio}, the training "
                             f"set {self.ratio}")
        g = generator(self.seed, "crop", self.epoch, i)
        hr_cube = scene.gt  # the anchor rides along with the GT, so both get the same geometry
        if self.with_anchor:
            if scene.anchor is None:
                raise ValueError(f"scene {scene.name!r} has no anchor cube, which the method "
                                 "needs for training (give the scenes an `anchor` (C, H, W))")
            hr_cube = torch.cat([scene.gt, scene.anchor], dim=0)
        try:
            triple = random_crop((scene.lrhsi, scene.hrmsi, hr_cube), self.crop_size, self.ratio, g)
        except ValueError as err:
            raise ValueError(f"scene {scene.name!r}: {err}; lower the crop size") from err
        lr, hr, cube = augment(triple, g, self.flips, self.rot90)
        sample = {"lr": lr, "hr": hr, "gt": cube[:scene.bands]}
        if self.with_anchor:
            sample["anchor"] = cube[scene.bands:]
        return {k: to_domain(v.to(torch.float32), self.domain) for k, v in sample.items()}
