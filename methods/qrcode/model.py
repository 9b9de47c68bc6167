"""QRCODE-style fusion net: CSAKD teacher branches, SWAM, a 9-MFA trunk and a convex anchor.

QRCODE: C.-H. Lin, C.-C. Hsu, S.-S. Young, C.-Y. Hsieh and S.-C. Tai, "QRCODE: Quasi-Residual Convex
Deep Network for Fusing Misaligned Hyperspectral and Multispectral Images", IEEE TGRS 2024. It has
**no public code**; this is a re-implementation to the published budget (41.88 M params, 2231 G),
following the inferred design of ``docs/qrcode.md``, section B.2:

1. HSI and MSI branches of CSAKD's ``COGuidedDCSN_Teacher`` (``teacher.py``) -> F_h, F_m.
2. F_h' = SWAM(F_h, F_m) (``swam.py``) in place of the teacher's ``conv_fuse``.
3. R = trunk(F_h' + F_m): LReLU(conv) -> x + 9 x MFA(nf, gc) -> LReLU -> conv without bias.
4. Quasi-residual output: Y = anchor + R, with the anchor a convex low-rank (CO-CNMF) estimate of
   the HR-HSI, which is parameter-free here.

``anchor`` is (B, C, H, W) in the same domain as the inputs (the lab's ``(x - 0.5) * 2``). At run
time the caller passes it from the Scene: the dataset's precomputed CO-CNMF cube ``co{msi}{k}``
when present, otherwise the suite's own CNMF estimate. Built with ``anchor="bicubic"``, the model
uses the bicubic-upsampled LR-HSI instead when no anchor is given ("w/o convex anchor" ablation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from methods.qrcode.blocks import FusedTrunk, HSIBranch, MSIBranch, input_groups
from methods.qrcode.swam import SWAM
from methods.qrcode.teacher import check_sizes

AnchorSource = Literal["given", "bicubic"]


@dataclass(frozen=True)
class QRCodeConfig:
    """Defaults: the AVIRIS budget-matched build (41,897,500 params with 4 MSI bands)."""

    bands: int = 172
    msi_bands: int = 4
    nf: int = 172
    gc: int = 43
    groups: int = 1
    trunk_blocks: int = 9
    swam_layers: int = 2
    window: int = 8
    heads: int = 4
    anchor: AnchorSource = "given"  # what to add when forward gets no anchor: "given" raises

    def __post_init__(self) -> None:
        if self.anchor not in ("given", "bicubic"):
            raise ValueError(f"anchor must be 'given' or 'bicubic', got {self.anchor!r}")


class QRCodeStyle(nn.Module):
    """(lrhsi (B, C, h, w), hrmsi (B, c, 4h, 4w), anchor (B, C, 4h, 4w) | None) -> (B, C, 4h, 4w).

    4h and 4w must be multiples of ``cfg.window``.
    """

    def __init__(self, cfg: QRCodeConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = cfg or QRCodeConfig()
        self.hsi = HSIBranch(cfg.bands, cfg.nf, cfg.gc, cfg.groups)
        self.msi = MSIBranch(cfg.msi_bands, cfg.nf, cfg.gc)
        self.swam = SWAM(cfg.nf, cfg.window, cfg.heads, cfg.swam_layers)
        self.trunk = FusedTrunk(
            cfg.nf,
            cfg.nf,
            cfg.gc,
            cfg.trunk_blocks,
            cfg.bands,
            groups=cfg.groups,
            head_groups=input_groups(cfg.bands, cfg.groups),
        )

    def residual(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        """The learned part R (B, C, H, W), without the anchor."""
        check_sizes(lrhsi, hrmsi, self.config.bands, self.config.msi_bands)
        f_m = self.msi(hrmsi)
        f_h = self.swam(self.hsi(lrhsi), f_m)
        return self.trunk(f_h + f_m)

    def resolve_anchor(
        self, lrhsi: torch.Tensor, hrmsi: torch.Tensor, anchor: torch.Tensor | None
    ) -> torch.Tensor:
        """The anchor to add: the given one, else the bicubic LR-HSI if built so."""
        out_shape = (lrhsi.shape[0], self.config.bands, *hrmsi.shape[-2:])
        if anchor is None:
            if self.config.anchor != "bicubic":
                raise ValueError(
                    "anchor is required: pass the CO-CNMF estimate (B, C, H, W) in the inputs' "
                    "domain, or build the model with anchor='bicubic' ('w/o convex anchor')"
                )
            return F.interpolate(lrhsi, size=hrmsi.shape[-2:], mode="bicubic", align_corners=False)
        if tuple(anchor.shape) != out_shape:
            raise ValueError(f"anchor must be {out_shape} (B, C, H, W), got {tuple(anchor.shape)}")
        return anchor

    def forward(
        self, lrhsi: torch.Tensor, hrmsi: torch.Tensor, anchor: torch.Tensor | None = None
    ) -> torch.Tensor:
        base = self.resolve_anchor(lrhsi, hrmsi, anchor)
        return base + self.residual(lrhsi, hrmsi)


def attention_macs(cfg: QRCodeConfig, lr_size: tuple[int, int]) -> int:
    """MACs of SWAM's QK^T and AV products (not seen by module hooks): 2 * P * w^2 * C per layer."""
    hr = 16 * lr_size[0] * lr_size[1]
    return cfg.swam_layers * 2 * hr * cfg.window**2 * cfg.nf
