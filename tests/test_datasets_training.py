"""Training samples: aligned crops and identical augmentation of all three images.

The dataset that draws them per (seed, epoch, index) is ``benchmarks.training.data.CropDataset``,
tested in tests/test_training.py."""

import numpy as np
import pytest
import torch

from datasets.simulate import blur_decimate, simulate_scene
from datasets.training import augment, random_crop


def scene(size=32, seed=0):
    gt = torch.rand(20, size, size, generator=torch.Generator().manual_seed(seed))
    return simulate_scene(gt, np.linspace(450, 2300, 20), np.full(20, 90.0), seed=seed)


def test_crop_offsets_are_multiples_of_the_ratio_and_lr_follows():
    s = scene()
    hr_index = torch.arange(32.0)[None, :, None].expand(1, 32, 32)  # value = HR row
    lr_index = torch.arange(8.0)[None, :, None].expand(1, 8, 8)  # value = LR row
    for seed in range(20):
        g = torch.Generator().manual_seed(seed)
        lr, hr, gt = random_crop((lr_index, hr_index, s.gt), 16, 4, g)
        assert hr.shape[-2:] == (16, 16) and lr.shape[-2:] == (4, 4) and gt.shape[-2:] == (16, 16)
        y = int(hr[0, 0, 0])
        assert y % 4 == 0 and int(lr[0, 0, 0]) == y // 4


def test_crop_rejects_sizes_off_the_ratio_grid():
    s = scene()
    with pytest.raises(ValueError, match="multiple of the ratio"):
        random_crop((s.lrhsi, s.hrmsi, s.gt), 18, 4, torch.Generator())


def test_augment_transforms_all_three_images_the_same_way():
    s = scene()
    for seed in range(12):
        lr, hr, gt = augment((s.lrhsi, s.hrmsi, s.gt), torch.Generator().manual_seed(seed))
        # The augmented LR is still the degradation of the augmented GT (the grid is symmetric).
        torch.testing.assert_close(lr, blur_decimate(gt, s.meta.psf, 4), atol=1e-5, rtol=0)
        torch.testing.assert_close(hr, torch.einsum("cb,bhw->chw",
                                                    torch.from_numpy(s.meta.srf).float(), gt),
                                   atol=1e-5, rtol=0)


def test_augment_draws_every_transform():
    x = torch.arange(16.0).reshape(1, 4, 4)
    seen = {tuple(augment((x, x, None), torch.Generator().manual_seed(k))[0].flatten().tolist())
            for k in range(200)}
    assert len(seen) == 8  # the dihedral group of the square

