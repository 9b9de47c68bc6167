"""Input shapes for cost and speed measurements, and the HSSDCT paper's input (the one constant).

A shape is (bands, msi_bands, lr, ratio): the LR-HSI is 1 x bands x lr x lr and the HR-MSI
1 x msi_bands x (ratio*lr) x (ratio*lr).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class InputShape:
    bands: int
    msi_bands: int
    lr: int
    ratio: int = 4

    @property
    def hr(self) -> int:
        return self.lr * self.ratio

    def lr_text(self) -> str:
        return f"1x{self.bands}x{self.lr}x{self.lr}"

    def hr_text(self) -> str:
        return f"1x{self.msi_bands}x{self.hr}x{self.hr}"

    def with_lr(self, lr: int) -> InputShape:
        return InputShape(self.bands, self.msi_bands, lr, self.ratio)

    def random_inputs(self, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """Uniform [0, 1) LR-HSI (1, bands, lr, lr) and HR-MSI (1, msi_bands, hr, hr)."""
        g = torch.Generator().manual_seed(seed)
        lr = torch.rand(1, self.bands, self.lr, self.lr, generator=g)
        return lr, torch.rand(1, self.msi_bands, self.hr, self.hr, generator=g)


# LR-HSI 1x172x64x64, HR-MSI 1x4x256x256: the AVIRIS tiles of HSSDCT's Table 1.
PAPER_INPUT = InputShape(bands=172, msi_bands=4, lr=64, ratio=4)
