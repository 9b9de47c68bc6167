"""FusionMamba: a two-stream U-Net of Mamba state-space blocks for HSI/MSI fusion.

S. Peng, X. Zhu, H. Deng, L.-J. Deng and Z. Lei, "FusionMamba: Efficient Remote Sensing Image
Fusion with State Space Model", IEEE Transactions on Geoscience and Remote Sensing, 2024,
https://arxiv.org/abs/2404.07932 (public code: https://github.com/PSRben/FusionMamba, ``U2Net``).

The LR-HSI is upsampled by a learned conv + PixelShuffle (also the global skip). An MSI stream and
an HSI stream go through a U-Net of FusionBlocks: each runs a four-direction Mamba on each stream,
then two cross Mambas whose step size and B/C come from the other stream. A Mamba scanning over
the bands of the max-pooled LR-HSI gives per-band output weights.

Unlike the public code, the grid size of the 2-D scans is not fixed at build time: the scan
orders are computed from each input's size (and cached), so one model runs at any H, W divisible
by 4, with unchanged weights. The selective scan is ``scan.selective_scan`` (pure PyTorch, or the
mamba_ssm CUDA kernel when installed).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from methods.fusionmamba.scan import BACKENDS, block_tokens, resolve_backend, selective_scan

Grid = tuple[int, int]
# values per (b, G, n, E) tensor of a streamed block: cache-sized on CPU, large on accelerators
_STREAM_ELEMENTS = {"cpu": 1 << 18, "other": 1 << 24}


@dataclass(frozen=True)
class FusionMambaConfig:
    """Build options. The paper's AVIRIS model is hsi_bands=172, msi_bands=4, dim=172."""

    hsi_bands: int = 172  # C, bands of the LR-HSI and of the output ("ms_dim")
    msi_bands: int = 4  # c, bands of the HR-MSI ("pan_dim")
    dim: int | None = None  # D, feature width of the top level; None means hsi_bands
    ratio: int = 4  # HR/LR size ratio, used only by the PixelShuffle upsampler
    d_state: int = 8  # N, SSM state size of every Mamba
    d_conv: int = 4  # causal conv length of every Mamba
    scan_backend: str = "auto"  # "auto" | "torch" | "mamba_ssm" (see scan.resolve_backend)

    def __post_init__(self) -> None:
        for name in ("hsi_bands", "msi_bands", "ratio", "d_state", "d_conv"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.dim is not None and self.dim < 1:
            raise ValueError(f"dim must be >= 1 or None, got {self.dim}")
        if self.scan_backend not in BACKENDS:
            raise ValueError(f"scan_backend must be one of {BACKENDS}, got {self.scan_backend!r}")

    @property
    def width(self) -> int:
        return self.hsi_bands if self.dim is None else self.dim


# ---------------------------------------------------------------------------------------------
# Scan orders
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def scan_orders(h: int, w: int, two_d: bool, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token orders of the scan directions over an h x w grid of row-major tokens.

    Returns (gather, ungather), both (G*L,) with L = h*w: position t of direction k reads token
    gather[k*L + t]; ungather[k*L + p] is where direction k's output for token p sits in the
    stacked (G*L) sequence. Two-d: G = 4 (row-major, reversed, column-major, reversed);
    otherwise G = 2 over a 1-D sequence of length h*w (forward, reversed).
    """
    with torch.inference_mode(False):  # cached: must also serve later autograd calls
        L = h * w
        row = torch.arange(L)
        orders = [row, row.flip(0)]
        if two_d:
            col = row.view(h, w).t().reshape(-1)  # position x*h + y holds pixel (y, x)
            orders += [col, col.flip(0)]
        ungather = [k * L + torch.empty_like(p).scatter_(0, p, row) for k, p in enumerate(orders)]
        return torch.cat(orders).to(device), torch.cat(ungather).to(device)


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


class StackedCausalConv(nn.Conv1d):
    """Depthwise causal Conv1d of G directions x E channels, applied to channels-last tokens.

    The parameters are a Conv1d(G*E, G*E, K, groups=G*E), direction-major (direction k owns
    channels [k*E, (k+1)*E), as the official per-direction ``conv1d{s}`` stacked); ``forward``
    maps x (b, G, n, E) to the causal conv (b, G, n, E), zero before the first step.
    """

    def __init__(self, directions: int, channels: int, kernel_size: int) -> None:
        total = directions * channels
        super().__init__(total, total, kernel_size, groups=total, device="meta")
        # no init (and no random draws) here: DirectionalMamba.reset_parameters fills it
        self.to_empty(device=torch.get_default_device())
        self.directions, self.channels = directions, channels

    def stacked(self) -> tuple[torch.Tensor, torch.Tensor]:
        """weight (G, E, K) and bias (G, E), views of the parameters."""
        G, E = self.directions, self.channels
        return self.weight.view(G, E, -1), self.bias.view(G, E)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _causal_conv(x, *self.stacked())


def _causal_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Depthwise causal conv along L: x (b, G, L, E), weight (G, E, K), bias (G, E) -> (b, G, L, E).

    out[t] = bias + sum_j weight[j] * x[t - K + 1 + j], with x = 0 before the start.
    """
    K = weight.shape[-1]
    taps = weight.permute(2, 0, 1).unsqueeze(2).contiguous()  # (K, G, 1, E); strided is 4x slower
    out = torch.addcmul(bias.unsqueeze(1), x, taps[K - 1])
    for shift in range(1, min(K, x.shape[2])):
        out[:, :, shift:].addcmul_(x[:, :, :-shift], taps[K - 1 - shift])
    return out


class DirectionalMamba(nn.Module):
    """Mamba (expand 1) scanning G directions with separate conv/x_proj/dt_proj/A/D per direction.

    Directions are stacked on the first axis of the per-direction parameters. two_d: the four
    row/column-major directions of an image (the paper's v6/v7); otherwise forward and reversed
    over a 1-D sequence (v2). cross: delta, B and C come from ``cond`` (the other stream) through
    ``cond_proj``, unconvolved (v7); x and the gate z always come from the input.
    In/out: tokens (b, L, d_model).

    Which products are module calls follows the official code, so that module-hook (ptflops-style)
    counts see what they saw there: the cross Mamba calls its causal conv, SiLU and x_proj as
    modules (the official v7 CPU path); the others apply the same weights functionally (the
    official fused path). in_proj, cond_proj and out_proj are always applied through their weights.
    """

    def __init__(self, d_model: int, d_state: int = 8, d_conv: int = 4, two_d: bool = True,
                 cross: bool = False, scan_backend: str = "auto") -> None:
        super().__init__()
        G = 4 if two_d else 2
        E = d_model  # d_inner, expand = 1
        self.two_d, self.cross, self.scan_backend = two_d, cross, scan_backend
        self.d_inner, self.d_state, self.dt_rank = E, d_state, math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * E, bias=False)  # rows [0, E): x, [E, 2E): gate z
        self.cond_proj = nn.Linear(d_model, E, bias=False) if cross else None
        self.conv = StackedCausalConv(G, E, d_conv)  # official conv1d{s}, stacked
        self.act = nn.SiLU()
        # official x_proj{s}, stacked by rows: (G * (dt_rank + 2 N), E); no init (reset below)
        self.x_proj = nn.utils.skip_init(nn.Linear, E, G * (self.dt_rank + 2 * d_state), bias=False,
                                         device=torch.get_default_device())
        self.dt_proj_weight = nn.Parameter(torch.empty(G, E, self.dt_rank))
        self.dt_bias = nn.Parameter(torch.empty(G, E))
        self.A_log = nn.Parameter(torch.empty(G, E, d_state))
        self.D = nn.Parameter(torch.empty(G, E))
        self.norm = nn.LayerNorm(E)
        self.out_proj = nn.Linear(E, d_model, bias=False)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self, dt_min: float = 1e-3, dt_max: float = 0.1, dt_floor: float = 1e-4) -> None:
        """The official per-direction init: nn defaults for conv/x_proj, Mamba's for dt, A, D."""
        conv_bound = self.conv.kernel_size[0] ** -0.5  # Conv1d default, fan_in = kernel size
        nn.init.uniform_(self.conv.weight, -conv_bound, conv_bound)
        nn.init.uniform_(self.conv.bias, -conv_bound, conv_bound)
        nn.init.uniform_(self.x_proj.weight, -self.d_inner ** -0.5, self.d_inner ** -0.5)
        nn.init.uniform_(self.dt_proj_weight, -self.dt_rank ** -0.5, self.dt_rank ** -0.5)
        log_dt = torch.rand_like(self.dt_bias) * math.log(dt_max / dt_min) + math.log(dt_min)
        dt = torch.exp(log_dt).clamp(min=dt_floor)
        self.dt_bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
        states = torch.arange(1, self.d_state + 1, dtype=self.A_log.dtype, device=self.A_log.device)
        self.A_log.copy_(torch.log(states).expand_as(self.A_log))  # S4D-real: A = -(n + 1)
        self.D.fill_(1.0)

    def forward(self, x: torch.Tensor, grid: Grid, cond: torch.Tensor | None = None) -> torch.Tensor:
        """x, cond: (b, L, d_model) with L = grid[0] * grid[1]; returns (b, L, d_model).

        The torch scan streams blocks of a few hundred scan positions, all directions at once,
        through gather -> conv -> projections -> scan -> scatter-add, carrying the SSM state
        between blocks; nothing of size b*G*L*E is ever held (with autograd, each block is a
        checkpoint). The mamba_ssm backend runs each stage over the whole sequence instead.
        """
        b, L, _ = x.shape
        G, E, N = self.conv.directions, self.d_inner, self.d_state
        gather, ungather = scan_orders(grid[0], grid[1], self.two_d, x.device)
        order = gather.view(G, L)
        xz = F.linear(x, self.in_proj.weight)
        secondary = None
        if self.cross:  # x_proj of the unconvolved secondary projection, every direction at once
            cond_dbc = self.x_proj(F.linear(cond, self.cond_proj.weight))  # (b, L, G * (R + 2N))
            cond_dbc = cond_dbc.view(b, L, G, -1).transpose(1, 2).reshape(b, G * L, -1)
            cond_rows = order + torch.arange(0, G * L, L, device=x.device).unsqueeze(1)  # (G, L)
            secondary = (cond_dbc, cond_rows)
        A = -torch.exp(self.A_log)
        if resolve_backend(self.scan_backend, x.device) == "mamba_ssm":
            y = self._scan_span(xz, secondary, order, 0, L, A, None, "mamba_ssm")
            merged = y.reshape(b, G * L, E).index_select(1, ungather).view(b, G, L, E).sum(1)
        else:
            merged = xz.new_zeros(b * L, E, dtype=torch.promote_types(xz.dtype, torch.float32))
            batch_offset = torch.arange(0, b * L, L, device=x.device).unsqueeze(1)
            state = xz.new_zeros(b, G, N, E)
            step = _stream_tokens(b * G * E, block_tokens(b * G * N * E, x.device), x.device)
            inputs = (xz, A) if secondary is None else (xz, A, secondary[0])
            grad = torch.is_grad_enabled() and any(t.requires_grad for t in inputs)
            for t0 in range(0, L, step):
                t1 = min(L, t0 + step)
                args = (xz, secondary, order, t0, t1, A, state, "torch")
                if grad:
                    y, state = checkpoint(self._scan_span, *args, use_reentrant=False)
                else:
                    y, state = self._scan_span(*args)
                rows = (batch_offset + order[:, t0:t1].reshape(1, -1)).view(-1)
                merged.index_add_(0, rows, y.reshape(-1, E))
            merged = merged.view(b, L, E)
        return F.linear(self.norm(merged.div_(G)), self.out_proj.weight)

    def analytic_macs(self, inputs: tuple, output: torch.Tensor) -> int:
        """Multiply-adds of the scan recurrence, which no counter sees: 4 per state value and step
        (decay, input, update, read-out) in each direction."""
        b, L, _ = inputs[0].shape
        return 4 * self.d_state * self.d_inner * self.conv.directions * L * b

    def _scan_span(self, xz, secondary, order, t0, t1, A, state, backend):
        """Scan positions [t0, t1) of every direction: y (b, G, t1 - t0, E) and the next state.

        xz: in_proj output (b, L, 2E); order (G, L); secondary: for the cross Mamba, its x_proj output
        direction-major (b, G*L, R + 2N) and the rows (G, L) of each direction's scan positions
        in it; else None.
        """
        b, E, N, R = xz.shape[0], self.d_inner, self.d_state, self.dt_rank
        G = order.shape[0]
        lo = max(0, t0 - self.conv.kernel_size[0] + 1)  # conv history before t0
        xzg = xz.index_select(1, order[:, lo:t1].reshape(-1)).view(b, G, t1 - lo, 2 * E)
        if self.cross:  # module calls, as the official v7
            u = self.act(self.conv(xzg[..., :E]))[:, :, t0 - lo:]
            cond_dbc, cond_rows = secondary
            dbc = cond_dbc.index_select(1, cond_rows[:, t0:t1].reshape(-1)).view(b, G, t1 - t0, -1)
        else:
            u = F.silu(_causal_conv(xzg[..., :E], *self.conv.stacked())[:, :, t0 - lo:])
            x_proj = self.x_proj.weight.view(G, R + 2 * N, E)
            dbc = torch.matmul(u, x_proj.transpose(1, 2))  # (b, G, n, R + 2N)
        delta_raw = torch.matmul(dbc[..., :R], self.dt_proj_weight.transpose(1, 2))
        return selective_scan(
            u, delta_raw, A, dbc[..., R:R + N], dbc[..., R + N:], self.D, xzg[:, :, t0 - lo:, E:],
            self.dt_bias, initial_state=state, return_last_state=state is not None, backend=backend,
        )


def _stream_tokens(per_token: int, multiple: int, device: torch.device) -> int:
    """Scan positions per streamed block: a multiple of the scan's block, with about
    _STREAM_ELEMENTS values per (b, G, n, E) tensor."""
    budget = _STREAM_ELEMENTS["cpu" if device.type == "cpu" else "other"]
    return multiple * max(1, budget // (per_token * multiple))


class SelfMambaLayer(nn.Module):
    """Pre-norm four-direction Mamba of one stream (residual added by the caller)."""

    def __init__(self, dim: int, **mamba: object) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mamba = DirectionalMamba(dim, **mamba)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self.mamba(self.norm(x), grid)


class CrossMambaLayer(nn.Module):
    """Cross Mamba: x and gate from the primary stream, delta/B/C from the secondary stream."""

    def __init__(self, dim: int, **mamba: object) -> None:
        super().__init__()
        self.norm_primary = nn.LayerNorm(dim)
        self.norm_secondary = nn.LayerNorm(dim)
        self.mamba = DirectionalMamba(dim, cross=True, **mamba)

    def forward(self, primary: torch.Tensor, secondary: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self.mamba(self.norm_primary(primary), grid, self.norm_secondary(secondary))


class FusionBlock(nn.Module):
    """Self Mambas on both streams, two cross Mambas, and their average merged by a Linear.

    Returns ((p + f)/2, (m + f)/2), or f alone when final. Images (b, dim, h, w) in and out.
    """

    def __init__(self, dim: int, final: bool = False, **mamba: object) -> None:
        super().__init__()
        self.final = final
        self.msi_self = SelfMambaLayer(dim, **mamba)
        self.hsi_self = SelfMambaLayer(dim, **mamba)
        self.msi_cross = CrossMambaLayer(dim, **mamba)
        self.hsi_cross = CrossMambaLayer(dim, **mamba)
        self.merge = nn.Linear(dim, dim)

    def forward(self, msi: torch.Tensor, hsi: torch.Tensor):
        b, c, h, w = msi.shape
        grid = (h, w)
        p = msi.permute(0, 2, 3, 1).reshape(b, h * w, c)  # tokens, row-major; a view if NHWC
        m = hsi.permute(0, 2, 3, 1).reshape(b, h * w, c)
        p = p + self.msi_self(p, grid)
        m = m + self.hsi_self(m, grid)
        s = p + self.msi_cross(p, m, grid)
        e = m + self.hsi_cross(m, p, grid)
        f = self.merge((s + e) / 2)

        def image(t: torch.Tensor) -> torch.Tensor:  # (b, c, h, w) in channels-last memory
            return t.view(b, h, w, c).permute(0, 3, 1, 2)

        if self.final:
            return image(f)
        return image((p + f) / 2), image((m + f) / 2)


class Downsample(nn.Module):
    """Conv 2x2 stride 2 + LeakyReLU(0.01): (b, cin, H, W) -> (b, cout, H/2, W/2)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.down = nn.Conv2d(cin, cout, 2, stride=2)
        self.act = nn.LeakyReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.down(x))


class Upsample(nn.Module):
    """ConvTranspose 2x2 stride 2 + LeakyReLU, add the skip, depthwise 3x3, pointwise, LeakyReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        self.depthwise = nn.Conv2d(cout, cout, 3, padding=1, groups=cout)
        self.pointwise = nn.Conv2d(cout, cout, 1)
        self.act = nn.LeakyReLU()

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.act(self.up(x)) + skip
        return self.act(self.pointwise(self.depthwise(x)))


class DownStage(nn.Module):
    """FusionBlock, then one shared Downsample applied to each stream; also returns the skips."""

    def __init__(self, cin: int, cout: int, **mamba: object) -> None:
        super().__init__()
        self.fusion = FusionBlock(cin, **mamba)
        self.resample = Downsample(cin, cout)

    def forward(self, msi: torch.Tensor, hsi: torch.Tensor):
        msi, hsi = self.fusion(msi, hsi)
        return self.resample(msi), self.resample(hsi), msi, hsi


class UpStage(nn.Module):
    """FusionBlock, then one shared Upsample applied to each stream with its own skip."""

    def __init__(self, cin: int, cout: int, **mamba: object) -> None:
        super().__init__()
        self.fusion = FusionBlock(cin, **mamba)
        self.resample = Upsample(cin, cout)

    def forward(self, msi, hsi, msi_skip, hsi_skip):
        msi, hsi = self.fusion(msi, hsi)
        return self.resample(msi, msi_skip), self.resample(hsi, hsi_skip)


class SpectralAttention(nn.Module):
    """Per-band weights (b, C, 1, 1) in (0, 1) from a bidirectional Mamba over the bands.

    Each band's spatial max of the LR-HSI is embedded to dim, layer-normed, scanned forward and
    backward along the band axis, and projected back to one value per band; no residual.
    """

    def __init__(self, dim: int, **mamba: object) -> None:
        super().__init__()
        self.embed = nn.Linear(1, dim)
        self.norm = nn.LayerNorm(dim)
        self.mamba = DirectionalMamba(dim, two_d=False, **mamba)
        self.head = nn.Linear(dim, 1)

    def forward(self, lrhsi: torch.Tensor) -> torch.Tensor:
        b, bands = lrhsi.shape[:2]
        x = self.norm(self.embed(lrhsi.amax(dim=(2, 3)).unsqueeze(-1)))  # (b, C, dim)
        x = self.head(self.mamba(x, (1, bands)))
        return torch.sigmoid(x).view(b, bands, 1, 1)


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


class FusionMamba(nn.Module):
    """FusionMamba (the public ``U2Net``): (lrhsi (B,C,h,w), hrmsi (B,c,r*h,r*w)) -> (B,C,r*h,r*w).

    r*h and r*w must be divisible by 4 (two 2x downsamplings). No normalisation, clamp or output
    activation inside; the authors' protocol feeds (x - 0.5) * 2 and clamps outside.
    """

    def __init__(self, config: FusionMambaConfig | None = None, **overrides: object) -> None:
        super().__init__()
        if config is None:
            config = FusionMambaConfig(**overrides)
        elif overrides:
            raise ValueError("pass either a FusionMambaConfig or keyword options, not both")
        self.config = cfg = config
        C, c, D = cfg.hsi_bands, cfg.msi_bands, cfg.width
        mamba = {"d_state": cfg.d_state, "d_conv": cfg.d_conv, "scan_backend": cfg.scan_backend}
        self.lr_upsample = nn.Conv2d(C, C * cfg.ratio**2, 3, padding=1, bias=False)
        self.msi_embed = nn.Conv2d(c, D, 3, padding=1)
        self.hsi_embed = nn.Conv2d(C, D, 3, padding=1)
        self.enc0 = DownStage(D, 2 * D, **mamba)
        self.enc1 = DownStage(2 * D, 4 * D, **mamba)
        self.dec0 = UpStage(4 * D, 2 * D, **mamba)
        self.dec1 = UpStage(2 * D, D, **mamba)
        self.out_fusion = FusionBlock(D, final=True, **mamba)
        self.band_attention = SpectralAttention(D, **mamba)
        self.out_conv1 = nn.Conv2d(D, D, 3, padding=1)
        self.out_conv2 = nn.Conv2d(D, C, 3, padding=1)
        self.act = nn.LeakyReLU()  # slope 0.01; a module, as in the official code

    def forward(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> torch.Tensor:
        self._check_inputs(lrhsi, hrmsi)
        # Channels-last throughout: image <-> token views cost nothing and convs run faster.
        lrhsi, hrmsi = (x.contiguous(memory_format=torch.channels_last) for x in (lrhsi, hrmsi))
        skip = F.pixel_shuffle(self.lr_upsample(lrhsi), self.config.ratio)
        msi = self.act(self.msi_embed(hrmsi))
        hsi = self.act(self.hsi_embed(skip))
        msi, hsi, msi0, hsi0 = self.enc0(msi, hsi)
        msi, hsi, msi1, hsi1 = self.enc1(msi, hsi)
        msi, hsi = self.dec0(msi, hsi, msi1, hsi1)
        msi, hsi = self.dec1(msi, hsi, msi0, hsi0)
        fused = self.out_fusion(msi, hsi)
        out = self.out_conv2(self.act(self.out_conv1(fused)))
        return (out * self.band_attention(lrhsi) + skip).contiguous()

    def _check_inputs(self, lrhsi: torch.Tensor, hrmsi: torch.Tensor) -> None:
        cfg = self.config
        if lrhsi.dim() != 4 or lrhsi.shape[1] != cfg.hsi_bands:
            raise ValueError(f"lrhsi must be (B, {cfg.hsi_bands}, h, w), got {tuple(lrhsi.shape)}")
        if hrmsi.dim() != 4 or hrmsi.shape[1] != cfg.msi_bands:
            raise ValueError(f"hrmsi must be (B, {cfg.msi_bands}, H, W), got {tuple(hrmsi.shape)}")
        b, _, h, w = lrhsi.shape
        H, W = h * cfg.ratio, w * cfg.ratio
        if hrmsi.shape[0] != b or hrmsi.shape[2:] != (H, W):
            raise ValueError(f"hrmsi must be ({b}, {cfg.msi_bands}, {H}, {W}) for lrhsi "
                             f"{tuple(lrhsi.shape)} at ratio {cfg.ratio}, got {tuple(hrmsi.shape)}")
        if H % 4 or W % 4:
            raise ValueError(f"hrmsi height and width must be divisible by 4, got {H} x {W}")


def scan_recurrence_macs(config: FusionMambaConfig, height: int, width: int, batch: int = 1) -> int:
    """Scan-recurrence multiply-adds of a whole forward at HR height x width (the sum of every
    DirectionalMamba's ``analytic_macs``): 18.76 G for the paper's model at 256 x 256."""
    D, N = config.width, config.d_state

    def fusion_block(channels: int, tokens: int) -> int:  # 4 Mambas x 4 directions
        return 4 * 4 * 4 * N * channels * tokens

    pixels = height * width
    blocks = (2 * fusion_block(D, pixels) + 2 * fusion_block(2 * D, pixels // 4)
              + fusion_block(4 * D, pixels // 16))
    return batch * (blocks + 2 * 4 * N * D * config.hsi_bands)
