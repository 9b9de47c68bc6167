"""Building blocks of the CSAKD / COCNN family (NCKU), shared by the teacher and QRCODE-style nets.

Facts from the lab's public code (github.com/ming053l/CSAKD, ``models/FLOPs_KD_QRCODE.py``):
``MFB`` is an ESRGAN residual dense block (five 3x3 convs), ``MFA`` an RRDB of three MFBs, and each
branch wraps a stack of MFAs in an outer residual. LeakyReLU slope 0.2 everywhere.
All tensors are (B, C, H, W).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

LEAKY_SLOPE = 0.2


def lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, LEAKY_SLOPE)


def conv3x3(in_ch: int, out_ch: int, *, groups: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=1, padding=1, groups=groups, bias=bias)


def upsample2(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour x2 upsampling: (B, C, H, W) -> (B, C, 2H, 2W)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


class MFB(nn.Module):
    """Dense block ("MultiScaleFeatFusionBlock"): x + 0.2 * conv5(cat[x, x1..x4]), shape-preserving.

    Conv k maps nf + (k-1)*gc channels to gc (k < 5) or to nf (k = 5). Init: kaiming-normal (fan_in)
    scaled by 0.1, zero bias, as in the lab's code.
    """

    def __init__(self, nf: int, gc: int, groups: int = 1) -> None:
        super().__init__()
        outs = [gc, gc, gc, gc, nf]
        self.convs = nn.ModuleList(
            conv3x3(nf + k * gc, out, groups=groups) for k, out in enumerate(outs)
        )
        for conv in self.convs:
            nn.init.kaiming_normal_(conv.weight, a=0, mode="fan_in")
            conv.weight.data.mul_(0.1)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in self.convs[:-1]:
            feats.append(lrelu(conv(torch.cat(feats, dim=1))))
        return 0.2 * self.convs[-1](torch.cat(feats, dim=1)) + x


class MFA(nn.Module):
    """Residual-in-residual block ("MultiScaleFeatAggregation"): x + 0.2 * MFB(MFB(MFB(x)))."""

    def __init__(self, nf: int, gc: int, groups: int = 1) -> None:
        super().__init__()
        self.mfbs = nn.ModuleList(MFB(nf, gc, groups) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for mfb in self.mfbs:
            out = mfb(out)
        return 0.2 * out + x


class ResidualMFAStack(nn.Module):
    """x + Sequential(n x MFA)(x); ``mfas`` is the stack, before the outer residual."""

    def __init__(self, n: int, nf: int, gc: int, groups: int = 1) -> None:
        super().__init__()
        self.mfas = nn.Sequential(*(MFA(nf, gc, groups) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mfas(x)


def input_groups(bands: int, groups: int) -> int:
    """The lab's ``in_nc_group``: ``groups`` when it divides the band count, else 1."""
    return groups if bands % groups == 0 else 1


class HSIBranch(nn.Module):
    """LR-HSI (B, C, h, w) -> F_h (B, nf, 4h, 4w).

    head (C -> 2nf) + LReLU, nearest x2, x + 2 x MFA(2nf, gc//2), nearest x2, LReLU,
    tail (2nf -> nf).
    """

    def __init__(self, bands: int, nf: int, gc: int, groups: int = 1) -> None:
        super().__init__()
        self.head = conv3x3(bands, 2 * nf, groups=input_groups(bands, groups))
        self.feat = ResidualMFAStack(2, 2 * nf, gc // 2, groups)
        self.tail = conv3x3(2 * nf, nf, groups=groups)

    def forward(self, lrhsi: torch.Tensor) -> torch.Tensor:
        x = upsample2(lrelu(self.head(lrhsi)))
        x = lrelu(upsample2(self.feat(x)))
        return self.tail(x)


class MSIBranch(nn.Module):
    """HR-MSI (B, c, H, W) -> F_m (B, nf, H, W).

    head (c -> nf//2) + LReLU, x + 2 x MFA(nf//2, 2gc), LReLU, tail (nf//2 -> nf). Never grouped.
    """

    def __init__(self, msi_bands: int, nf: int, gc: int) -> None:
        super().__init__()
        self.head = conv3x3(msi_bands, nf // 2)
        self.feat = ResidualMFAStack(2, nf // 2, 2 * gc)
        self.tail = conv3x3(nf // 2, nf)

    def forward(self, hrmsi: torch.Tensor) -> torch.Tensor:
        x = lrelu(self.head(hrmsi))
        return self.tail(lrelu(self.feat(x)))


class FusedTrunk(nn.Module):
    """Full-resolution trunk (B, in_ch, H, W) -> (B, out_ch, H, W).

    head (in_ch -> nf, bias) + LReLU, x + n x MFA(nf, gc), LReLU, tail (nf -> out_ch, 3x3, no bias).
    """

    def __init__(
        self,
        in_ch: int,
        nf: int,
        gc: int,
        n_blocks: int,
        out_ch: int,
        *,
        groups: int = 1,
        head_groups: int = 1,
    ) -> None:
        super().__init__()
        self.head = conv3x3(in_ch, nf, groups=head_groups)
        self.feat = ResidualMFAStack(n_blocks, nf, gc, groups)
        self.tail = conv3x3(nf, out_ch, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = lrelu(self.head(x))
        return self.tail(lrelu(self.feat(x)))
