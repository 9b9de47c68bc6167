"""A tiny deep method and tiny data for the training, evaluation and CLI tests.

The toy entry is registered per test (the ``toy`` fixture, see conftest.py) and removed
afterwards, so it never shows up in ``methods.list_methods()`` elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import methods
from datasets import Scene, SceneMeta
from datasets.layout import write_entry, write_list
from datasets.simulate import simulate_scene
from methods import TrainingRecipe, register

TOY = "zz_train_toy"


class ToyFusion(torch.nn.Module):
    """Bilinear LR upsampling plus a 3x3 conv correction (with dropout, so RNG state matters)."""

    def __init__(self, bands: int, msi_bands: int, ratio: int, width: int = 8) -> None:
        super().__init__()
        self.ratio = ratio
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(bands + msi_bands, width, 3, padding=1), torch.nn.LeakyReLU(0.2),
            torch.nn.Dropout(0.1), torch.nn.Conv2d(width, bands, 3, padding=1))

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(lrhsi, scale_factor=self.ratio, mode="bilinear", align_corners=False)
        return up + self.body(torch.cat([up, hrmsi], 1))


def build_toy(bands: int, msi_bands: int, ratio: int = 4, width: int = 8) -> ToyFusion:
    return ToyFusion(bands, msi_bands, ratio, width)


def toy_options(**recipe: object) -> dict[str, object]:
    """Registry options of the tiny deep entry (pm1 domain, L1 loss, lr 5e-3, 2 epochs, batch 2,
    crop 16), with ``recipe`` fields overridden."""
    settings = dict(loss_fn=F.l1_loss, loss_name="l1", lr=5e-3, epochs=2, batch_size=2,
                    crop_size=16, train_snr_db=30.0, seed=3)
    settings.update(recipe)
    return {"family": "deep", "domain": "pm1", "recipe": TrainingRecipe(**settings)}


def register_toy(name: str = TOY, **recipe: object) -> str:
    """Register the toy entry for the rest of the process (a spawned worker's own registry)."""
    register(name, **toy_options(**recipe))(build_toy)
    return name


@pytest.fixture
def toy():
    """The toy entry, registered for one test."""
    with methods.registered(TOY, build_toy, **toy_options()):
        yield TOY


def toy_scenes(n: int, seed: int = 0, bands: int = 6, msi_bands: int = 3,
               size: int = 32) -> list[Scene]:
    """Smooth random cubes in [0, 1] with LR = 4x4 block means and HR-MSI = a fixed band mix."""
    g = torch.Generator().manual_seed(seed)
    mix = torch.rand(msi_bands, bands, generator=g).softmax(1)
    scenes = []
    for i in range(n):
        base = torch.rand(bands, size // 8, size // 8, generator=g)
        gt = F.interpolate(base[None], size=(size, size), mode="bilinear", align_corners=False)[0]
        gt = (gt - gt.min()) / (gt.max() - gt.min())
        scenes.append(Scene(f"toy{seed}_{i}", F.avg_pool2d(gt[None], 4)[0],
                            torch.einsum("mc,chw->mhw", mix, gt), gt,
                            SceneMeta(ratio=4, scale=100.0, offset=5.0)))
    return scenes


def write_paper_layout(root: Path, entries: dict[str, int], bands: int = 6, size: int = 32,
                       seed: int = 0, misaligned: bool = False) -> dict[str, Path]:
    """Write the paper's layout under ``root``: ``{list name: number of entries}`` -> list files.

    GT in raw units (x 1000 + 50), LR/HR in [0, 1], 4-band HR-MSI, aligned LR-HSI only, or with
    ``misaligned`` also lrhsi1..3: the LR-HSI rolled by 1..3 px down and right.
    """
    lists, k = {}, 0
    for name, count in entries.items():
        names = []
        for scene in toy_scenes(count, seed=seed + k, bands=bands, msi_bands=4, size=size):
            entry = f"{name}/{scene.name}"
            lr = scene.lrhsi.permute(1, 2, 0).numpy()
            lrhsi = {"lrhsi": lr}
            if misaligned:
                lrhsi.update({f"lrhsi{px}": np.roll(lr, (px, px), axis=(0, 1)) for px in (1, 2, 3)})
            write_entry(str(root), entry, gt=(scene.gt * 1000 + 50).permute(1, 2, 0).numpy(),
                        lrhsi=lrhsi,
                        hrmsi={"hrmsi4": scene.hrmsi.permute(1, 2, 0).numpy()})
            names.append(entry)
        k += 1
        lists[name] = root / f"{name}.txt"
        write_list(str(lists[name]), names)
    return lists


def tiny_simulated(split: str = "test") -> list[Scene]:
    """Two tiny scenes through the suite's simulator (6 bands, LR 8x8, HR 32x32, 4-band MSI):
    a dataset factory for ``datasets.registered_dataset``."""
    g = torch.Generator().manual_seed(1 if split == "test" else 2)
    scenes = []
    for i in range(2):
        gt = F.avg_pool2d(torch.rand(1, 6, 36, 36, generator=g), 5, 1)[0]
        scenes.append(simulate_scene(gt.numpy(), np.linspace(450, 2200, 6), np.full(6, 30.0),
                                     ratio=4, msi_bands=4, seed=i, name=f"tiny/{split}{i}"))
    return scenes
