"""SWAM, the Shifted Window Attention Module named in QRCODE's abstract, in our inferred design.

QRCODE (Lin, Hsu, Young, Hsieh and Tai, "QRCODE: Quasi-Residual Convex Deep Network for Fusing
Misaligned Hyperspectral and Multispectral Images", IEEE TGRS 2024) has no public code, and its
abstract gives no structure for SWAM. This is an inferred, Swin-style choice
(``docs/qrcode.md``, section B.3): windowed cross attention with queries from the MSI features and
keys/values from the HSI features, Swin shifts and mask, a relative position bias, a residual
update of the HSI features, no MLP and no output norm. Swin: Liu et al., ICCV 2021,
arXiv:2103.14030.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

MASK_VALUE = -100.0


def window_partition(x: torch.Tensor, window: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * H/w * W/w, w*w, C); windows and the tokens in each are row-major."""
    b, h, w, c = x.shape
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, c)


def window_merge(windows: torch.Tensor, window: int, b: int, h: int, w: int) -> torch.Tensor:
    """Inverse of ``window_partition``: (B * nW, w*w, C) -> (B, H, W, C)."""
    c = windows.shape[-1]
    x = windows.view(b, h // window, w // window, window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)


def relative_position_index(window: int) -> torch.Tensor:
    """(w*w, w*w) long: (r_i - r_j + w - 1) * (2w - 1) + (c_i - c_j + w - 1), i the query token."""
    r, c = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    r, c = r.flatten(), c.flatten()
    dr = r[:, None] - r[None, :] + window - 1
    dc = c[:, None] - c[None, :] + window - 1
    return dr * (2 * window - 1) + dc


def shift_mask(
    h: int, w: int, window: int, shift: int, device: torch.device | None = None
) -> torch.Tensor:
    """Swin attention mask (nW, w*w, w*w): 0 within a region of the rolled grid, -100 across."""

    def region(n: int) -> torch.Tensor:
        ids = torch.zeros(n, dtype=torch.long, device=device)
        ids[n - window : n - shift] = 1
        ids[n - shift :] = 2
        return ids

    labels = (3 * region(h)[:, None] + region(w)[None, :]).float()
    windows = window_partition(labels[None, :, :, None], window).squeeze(-1)  # (nW, w*w)
    differs = windows[:, :, None] != windows[:, None, :]
    return differs.float() * MASK_VALUE


class WindowCrossAttention(nn.Module):
    """One SWAM layer: f_hsi + proj(attn(q = LN(f_msi), k, v = LN(f_hsi))) within (shifted) windows.

    Shapes: f_hsi, f_msi (B, C, H, W) with H and W multiples of ``window`` -> (B, C, H, W).
    Parameters: 4C^2 + 8C + (2w - 1)^2 * heads.
    """

    def __init__(self, dim: int, window: int, heads: int, shift: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim must be divisible by heads, got dim={dim}, heads={heads}")
        if not 0 <= shift < window:
            raise ValueError(f"shift must be in [0, window), got shift={shift}, window={window}")
        self.dim, self.window, self.heads, self.shift = dim, window, heads, shift
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.empty((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer(
            "relative_position_index", relative_position_index(window), persistent=False
        )

    def forward(self, f_hsi: torch.Tensor, f_msi: torch.Tensor) -> torch.Tensor:
        b, c, h, w = f_hsi.shape
        n, heads, d = self.window**2, self.heads, c // self.heads
        q_in = self.norm_q(f_msi.permute(0, 2, 3, 1))
        kv_in = self.norm_kv(f_hsi.permute(0, 2, 3, 1))
        if self.shift:
            q_in = torch.roll(q_in, shifts=(-self.shift, -self.shift), dims=(1, 2))
            kv_in = torch.roll(kv_in, shifts=(-self.shift, -self.shift), dims=(1, 2))
        q = self.q(window_partition(q_in, self.window)).view(-1, n, heads, d).transpose(1, 2)
        kv = (
            self.kv(window_partition(kv_in, self.window))
            .view(-1, n, 2, heads, d)
            .permute(2, 0, 3, 1, 4)
        )
        k, v = kv[0], kv[1]  # (B*nW, heads, N, d)

        logits = (q * d**-0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        logits = logits + bias.view(n, n, heads).permute(2, 0, 1)
        if self.shift:
            mask = shift_mask(h, w, self.window, self.shift, device=f_hsi.device).to(logits.dtype)
            n_windows = mask.shape[0]
            logits = logits.view(b, n_windows, heads, n, n) + mask[None, :, None]
            logits = logits.view(-1, heads, n, n)
        out = (F.softmax(logits, dim=-1) @ v).transpose(1, 2).reshape(-1, n, c)
        out = window_merge(self.proj(out), self.window, b, h, w)
        if self.shift:
            out = torch.roll(out, shifts=(self.shift, self.shift), dims=(1, 2))
        return f_hsi + out.permute(0, 3, 1, 2)


class SWAM(nn.Module):
    """Stack of window cross-attention layers, shift 0 then window//2 alternately.

    forward(f_hsi, f_msi): (B, C, H, W) each -> updated f_hsi (B, C, H, W).
    Linear layers keep PyTorch's default init; only the bias tables use trunc_normal(std 0.02).
    """

    def __init__(self, dim: int, window: int = 8, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.window = window
        self.layers = nn.ModuleList(
            WindowCrossAttention(dim, window, heads, shift=0 if i % 2 == 0 else window // 2)
            for i in range(layers)
        )

    def forward(self, f_hsi: torch.Tensor, f_msi: torch.Tensor) -> torch.Tensor:
        if f_hsi.shape != f_msi.shape:
            raise ValueError(
                "f_hsi and f_msi must have the same shape, "
                f"got {tuple(f_hsi.shape)} and {tuple(f_msi.shape)}"
            )
        h, w = f_hsi.shape[-2:]
        if h % self.window or w % self.window:
            raise ValueError(
                f"feature size must be a multiple of the window {self.window}, got {h}x{w}"
            )
        for layer in self.layers:
            f_hsi = layer(f_hsi, f_msi)
        return f_hsi
