"""CSAKD's ``COGuidedDCSN_Teacher``: the two-branch fusion CNN of the QRCODE authors' lab.

Paper: C.-C. Hsu, C.-C. Ni, C.-M. Lee and L.-W. Kang, "CSAKD: Knowledge Distillation with Cross
Self-Attention for Hyperspectral and Multispectral Image Fusion" (arXiv:2404.15781, 2024);
code: github.com/ming053l/CSAKD, ``models/FLOPs_KD_QRCODE.py``. Our own code, written from that
file's structure; its state_dict keys convert with ``methods.qrcode.official``. Differences from
the official class: no unused first ``forward`` argument, and the ignored ``nb`` / ``useCO``
constructor arguments are dropped.

Inputs and output use the lab's ``(x - 0.5) * 2`` domain; the HR size must be 4x the LR size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from methods.qrcode.blocks import FusedTrunk, HSIBranch, MSIBranch, conv3x3, input_groups, lrelu


@dataclass(frozen=True)
class TeacherConfig:
    """Defaults: the lab's AVIRIS build (172 bands, nf 172, gc 172//4, groups 1, 6-MFA trunk)."""

    bands: int = 172
    msi_bands: int = 4
    out_bands: int | None = None  # None: same as ``bands``
    nf: int = 172
    gc: int = 43
    groups: int = 1
    trunk_blocks: int = 6

    @property
    def n_out(self) -> int:
        return self.bands if self.out_bands is None else self.out_bands


def check_sizes(lrhsi: torch.Tensor, hrmsi: torch.Tensor, bands: int, msi_bands: int) -> None:
    """Raise ValueError unless lrhsi is (B, bands, h, w) and hrmsi is (B, msi_bands, 4h, 4w)."""
    if lrhsi.ndim != 4 or lrhsi.shape[1] != bands:
        raise ValueError(f"lrhsi must be (B, {bands}, h, w), got {tuple(lrhsi.shape)}")
    if hrmsi.ndim != 4 or hrmsi.shape[1] != msi_bands:
        raise ValueError(f"hrmsi must be (B, {msi_bands}, H, W), got {tuple(hrmsi.shape)}")
    h, w = lrhsi.shape[-2:]
    if hrmsi.shape[0] != lrhsi.shape[0] or tuple(hrmsi.shape[-2:]) != (4 * h, 4 * w):
        raise ValueError(
            f"hrmsi must be (B, c, 4h, 4w) for lrhsi {tuple(lrhsi.shape)} (two x2 upsamplings), "
            f"got {tuple(hrmsi.shape)}"
        )


class COGuidedTeacher(nn.Module):
    """(lrhsi (B, C, h, w), hrmsi (B, c, 4h, 4w)) -> (B, C_out, 4h, 4w).

    F_h = HSI branch, F_m = MSI branch; x = LReLU(fuse(F_h + F_m)); out = trunk(x), where the
    trunk is LReLU(head) -> x + 6 x MFA -> LReLU -> tail. No global skip, no output activation.
    """

    def __init__(self, cfg: TeacherConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = cfg or TeacherConfig()
        io_groups = input_groups(cfg.bands, cfg.groups)
        self.hsi = HSIBranch(cfg.bands, cfg.nf, cfg.gc, cfg.groups)
        self.msi = MSIBranch(cfg.msi_bands, cfg.nf, cfg.gc)
        self.fuse = conv3x3(cfg.nf, cfg.n_out, groups=io_groups)
        self.trunk = FusedTrunk(
            cfg.n_out,
            cfg.nf,
            cfg.gc,
            cfg.trunk_blocks,
            cfg.n_out,
            groups=cfg.groups,
            head_groups=io_groups,
        )

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        check_sizes(lrhsi, hrmsi, self.config.bands, self.config.msi_bands)
        fused = lrelu(self.fuse(self.hsi(lrhsi) + self.msi(hrmsi)))
        return self.trunk(fused)
