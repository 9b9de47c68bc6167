"""Mamba's selective scan (S6) in pure PyTorch, chunked and parallel; ``mamba_ssm`` kernels if present.

For every batch element b, group g, channel e, state n and step t (Gu & Dao, "Mamba", 2023):

    delta_t = softplus(delta_raw_t + delta_bias)          (per channel)
    h_t     = exp(delta_t * A) * h_{t-1} + delta_t * u_t * B_t      h_{-1} = 0
    y_t     = (sum_n C_t[n] * h_t[n] + D * u_t) * silu(z_t)

Tensors are channels-last with a group axis G that stacks independent scans (FusionMamba puts its
scan directions there): u, delta_raw, z (b, G, L, E); A (G, E, N); B, C (b, G, L, N) shared by the
E channels of a group; D, delta_bias (G, E).

The sequence is cut into chunks of T steps. Chunks are processed in blocks of K chunks, one block
after the other (which bounds memory to two (b, G, K, T, N, E) buffers). Inside a block all K chunks
step through their T positions together from a zero state, with the cumulative decay W of each
chunk kept alongside; a sequential pass over the K chunk boundaries then gives each chunk its true
starting state h0, and h_t += W_t * h0 corrects every position at once. Only decays in (0, 1] are
ever multiplied, never divided, so nothing overflows and no log-space cancellation occurs; the
result equals the sequential recurrence up to float rounding (a few 1e-7 in float32). The backward
(``_ScanBlock``) recomputes a block's states from the saved chunk starts and runs the adjoint
recurrence backwards in the same chunked way.
"""

from __future__ import annotations

import functools
import math
import os

import torch
import torch.nn.functional as F

BACKENDS = ("auto", "torch", "mamba_ssm")
BACKEND_ENV = "HSFUSION_SCAN_BACKEND"  # overrides a config's "auto": torch | mamba_ssm
# exp(x) for x < -87 gives float32 denormals, which the vectorised exp computes ~30x slower.
# Decays below exp(-80) ~ 2e-35 are clamped there: their effect on h is below float resolution.
_MIN_LOG_DECAY = -80.0
# Elements per (b, G, K, T, N, E) buffer: cache-sized blocks on the CPU; large blocks elsewhere and
# under a JIT trace, which records every op (same arithmetic, far fewer ops to trace).
_BLOCK_ELEMENTS = {"cpu": 1 << 19, "other": 1 << 26}


@functools.lru_cache(maxsize=1)
def mamba_ssm_available() -> bool:
    """True when the ``mamba_ssm`` CUDA selective-scan kernel can be imported."""
    try:
        from mamba_ssm.ops.selective_scan_interface import selective_scan_fn  # noqa: F401
    except Exception:  # ImportError, or a broken CUDA extension
        return False
    return True


def resolve_backend(backend: str, device: torch.device) -> str:
    """The backend a scan on ``device`` will use: 'torch' or 'mamba_ssm'.

    'auto' means mamba_ssm on CUDA when importable, else torch; the environment variable
    HSFUSION_SCAN_BACKEND (torch | mamba_ssm) overrides 'auto'.
    """
    if backend not in BACKENDS:
        raise ValueError(f"scan backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = os.environ.get(BACKEND_ENV, "auto")
        if backend not in BACKENDS:
            raise ValueError(f"{BACKEND_ENV} must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "mamba_ssm" if device.type == "cuda" and mamba_ssm_available() else "torch"
    if backend == "mamba_ssm" and (device.type != "cuda" or not mamba_ssm_available()):
        raise ValueError(f"scan backend 'mamba_ssm' needs CUDA and the mamba_ssm package (device {device})")
    return backend


def selective_scan(
    u: torch.Tensor,
    delta_raw: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor,
    z: torch.Tensor,
    delta_bias: torch.Tensor,
    initial_state: torch.Tensor | None = None,
    return_last_state: bool = False,
    backend: str = "auto",
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Gated selective scan of G independent groups: y (b, G, L, E) in u's dtype (computed in at
    least float32), and the last state if asked.

    u, delta_raw, z: (b, G, L, E); A: (G, E, N), negative; B, C: (b, G, L, N); D, delta_bias: (G, E).
    delta_raw excludes the bias: softplus(delta_raw + delta_bias) is taken here, as in mamba_ssm.
    initial_state / last state: (b, G, N, E) (torch backend only), for scanning a long sequence
    in pieces. Differentiable: the backward recomputes the states, so autograd keeps only the
    inputs and one state per chunk.
    """
    b, G, L, E = u.shape
    N = A.shape[-1]
    if delta_raw.shape != u.shape or z.shape != u.shape:
        raise ValueError(f"u, delta_raw and z must have the same shape, got {tuple(u.shape)}, "
                         f"{tuple(delta_raw.shape)} and {tuple(z.shape)}")
    if A.shape != (G, E, N) or B.shape != (b, G, L, N) or C.shape != (b, G, L, N):
        raise ValueError(f"A (G,E,N), B and C (b,G,L,N) do not fit u {tuple(u.shape)}: got "
                         f"{tuple(A.shape)}, {tuple(B.shape)}, {tuple(C.shape)}")
    if resolve_backend(backend, u.device) == "mamba_ssm":
        if initial_state is not None or return_last_state:
            raise ValueError("the mamba_ssm scan backend takes no initial_state / last state")
        return _mamba_ssm_scan(u, delta_raw, A, B, C, D, z, delta_bias)
    out_dtype = u.dtype
    dtype = torch.promote_types(u.dtype, torch.float32)  # as mamba_ssm: at least float32 inside
    u, delta_raw, A, B, C, D, z, delta_bias = (
        t.to(dtype) for t in (u, delta_raw, A, B, C, D, z, delta_bias))
    delta = F.softplus(delta_raw + delta_bias.unsqueeze(1))
    y, last = ssm_recurrence(delta, delta * u, A, B, C, initial_state)
    if torch.is_grad_enabled():
        y = (y + D.unsqueeze(1) * u) * F.silu(z)
    else:
        y = y.addcmul_(D.unsqueeze(1), u).mul_(F.silu(z))
    y = y.to(out_dtype)
    return (y, last) if return_last_state else y


def block_tokens(per_token: int, device: torch.device) -> int:
    """Tokens per block of :func:`ssm_recurrence` when a step touches ``per_token`` = b*G*N*E
    state values: a multiple of the chunk length whose two block buffers stay cache-sized."""
    T, K = _block_shape(per_token, 1 << 30, device)
    return T * K


def ssm_recurrence(
    delta: torch.Tensor, du: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
    initial_state: torch.Tensor | None = None, chunk: int | None = None,
    chunks_per_block: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """y_t = sum_n C_t[n] h_t[n], h_t = exp(delta_t A) h_{t-1} + du_t B_t; returns (y, h_{L-1}).

    delta, du: (b, G, L, E) (delta after softplus); A: (G, E, N); B, C: (b, G, L, N);
    initial_state h_{-1}: (b, G, N, E), zero by default. y: (b, G, L, E). ``chunk`` (T) and
    ``chunks_per_block`` (K) default to a size that keeps the two block buffers cache-sized.
    """
    b, G, L, E = delta.shape
    N = A.shape[-1]
    T, K = _block_shape(b * G * N * E, L, delta.device, chunk, chunks_per_block)
    pad = -L % T
    if pad:  # steps after the end: decay 1, no input, C = 0; cut off below
        delta, du, B, C = (F.pad(x, (0, 0, 0, pad)) for x in (delta, du, B, C))
    n_chunks = (L + pad) // T
    log_decay = A.transpose(1, 2).contiguous().view(G, 1, 1, N, E)
    clamp = delta.device.type != "cpu" or bool(delta.max() * A.min() < _MIN_LOG_DECAY)
    h = delta.new_zeros(b, G, N, E) if initial_state is None else initial_state
    grad = torch.is_grad_enabled() and any(x.requires_grad for x in (delta, du, A, B, C, h))
    y = None if grad else torch.empty_like(delta)
    ys, buffers = [], None
    for first in range(0, n_chunks, K):
        k = min(K, n_chunks - first)
        span = slice(first * T, (first + k) * T)
        d = delta[:, :, span].reshape(b, G, k, T, 1, E)
        x = du[:, :, span].reshape(b, G, k, T, 1, E)
        Bb = B[:, :, span].reshape(b, G, k, T, N, 1)
        Cb = C[:, :, span].reshape(b, G, k, T, N, 1)
        if grad:
            yb, h = _ScanBlock.apply(d, x, Bb, Cb, log_decay, h, clamp)
            ys.append(yb.reshape(b, G, k * T, E))
        else:
            if buffers is None:
                buffers = (delta.new_empty(b, G, K, T, N, E), delta.new_empty(b, G, K, T, N, E))
            yb = y[:, :, span].view(b, G, k, T, E)
            h, _ = _block_inplace(d, x, Bb, Cb, log_decay, h, clamp, buffers, yb)
    if grad:
        y = torch.cat(ys, dim=2)
    return y[:, :, :L], h


def _block_shape(per_step: int, L: int, device: torch.device, T: int | None = None,
                 K: int | None = None) -> tuple[int, int]:
    """Chunk length T (steps run in a Python loop) and chunks per block K (run in parallel)."""
    cache_sized = device.type == "cpu" and not torch.jit.is_tracing()
    budget = _BLOCK_ELEMENTS["cpu" if cache_sized else "other"]
    tokens = max(16, budget // per_step)
    if T is None:
        T = min(64, max(4, 2 ** round(math.log2(math.sqrt(tokens)))))
    if K is None:
        K = max(1, tokens // T)
    return T, max(1, min(K, -(-L // T)))


def _block_inplace(d, x, Bb, Cb, log_decay, h0, clamp, buffers, y):
    """One block, no autograd. d, x: (b, G, K, T, 1, E); Bb, Cb: (b, G, K, T, N, 1); h0 (b, G, N, E).

    Writes y (b, G, K, T, E); returns the state after the block and each chunk's starting state
    (b, G, K, N, E).
    """
    k, T = d.shape[2], d.shape[3]
    W, H = (buf[:, :, :k] for buf in buffers)  # W: decays, then cumulative decays; H: states
    torch.mul(d, log_decay, out=W)
    if clamp:
        W.clamp_(min=_MIN_LOG_DECAY)
    W.exp_()
    torch.mul(x, Bb, out=H)
    Ws, Hs = W.unbind(3), H.unbind(3)
    for t in range(1, T):  # all chunks of the block step together, each from a zero state
        Hs[t].addcmul_(Hs[t - 1], Ws[t])
        Ws[t].mul_(Ws[t - 1])
    start = torch.empty_like(H[:, :, :, 0])  # true state entering each chunk
    starts, ends, decays = start.unbind(2), Hs[T - 1].unbind(2), Ws[T - 1].unbind(2)
    starts[0].copy_(h0)
    for c in range(1, k):
        torch.addcmul(ends[c - 1], decays[c - 1], starts[c - 1], out=starts[c])
    h_end = torch.addcmul(ends[k - 1], decays[k - 1], starts[k - 1])
    H.addcmul_(W, start.unsqueeze(3))
    Hn, Cn = H.unbind(-2), Cb.unbind(-2)
    torch.mul(Hn[0], Cn[0], out=y)
    for n in range(1, len(Hn)):
        y.addcmul_(Hn[n], Cn[n])
    return h_end, start


class _ScanBlock(torch.autograd.Function):
    """:func:`_block_inplace` with a hand-written backward that recomputes the block's states.

    Saves only the inputs and the chunk starts (1/T of the states). The backward runs the
    adjoint recurrence lambda_t = C_t gy_t + a_{t+1} lambda_{t+1} in the same chunked way (local
    reverse pass, then a reverse pass over chunk boundaries) and forms every gradient from
    (lambda, h).
    """

    @staticmethod
    def forward(ctx, d, x, Bb, Cb, log_decay, h0, clamp):
        b, G, k, T, _, E = d.shape
        buffers = (d.new_empty(b, G, k, T, Bb.shape[-2], E), d.new_empty(b, G, k, T, Bb.shape[-2], E))
        y = d.new_empty(b, G, k, T, E)
        h_end, start = _block_inplace(d, x, Bb, Cb, log_decay, h0, clamp, buffers, y)
        ctx.save_for_backward(d, x, Bb, Cb, log_decay, start)
        ctx.clamp = clamp
        return y, h_end

    @staticmethod
    def backward(ctx, gy, gh_end):
        d, x, Bb, Cb, log_decay, start = ctx.saved_tensors
        k, T = d.shape[2], d.shape[3]
        arg = d * log_decay  # (b, G, k, T, N, E)
        clamped = arg < _MIN_LOG_DECAY if ctx.clamp else None
        a = arg.clamp_(min=_MIN_LOG_DECAY).exp_() if ctx.clamp else arg.exp_()
        H = x * Bb  # states, from each chunk's true start
        As, Hs = a.unbind(3), H.unbind(3)
        Hs[0].addcmul_(As[0], start)
        for t in range(1, T):
            Hs[t].addcmul_(As[t], Hs[t - 1])
        gy = gy.unsqueeze(-2)
        lam = Cb * gy  # adjoint of H, first from a zero state at each chunk end
        V = torch.empty_like(a)  # V_t = a_{t+1} ... a_{T-1}
        Ls, Vs = lam.unbind(3), V.unbind(3)
        Vs[T - 1].fill_(1.0)
        for t in range(T - 2, -1, -1):
            Ls[t].addcmul_(As[t + 1], Ls[t + 1])
            torch.mul(Vs[t + 1], As[t + 1], out=Vs[t])
        R = torch.empty_like(start)  # adjoint entering each chunk from its end
        Rs = R.unbind(2)
        Rs[k - 1].copy_(gh_end)
        for c in range(k - 1, 0, -1):
            torch.mul(As[0][:, :, c], torch.addcmul(Ls[0][:, :, c], Vs[0][:, :, c], Rs[c]), out=Rs[c - 1])
        g_h0 = As[0][:, :, 0] * torch.addcmul(Ls[0][:, :, 0], Vs[0][:, :, 0], Rs[0])
        lam.addcmul_(V, R.unsqueeze(3))
        gC = torch.matmul(H, gy.transpose(-1, -2))  # (.., N, 1): sum_e gy h
        gB = torch.matmul(lam, x.transpose(-1, -2))  # (.., N, 1): sum_e lambda x
        gx = _sum_states(lam, Bb)  # (.., 1, E): sum_n lambda B
        gz = lam.mul_(a)  # d loss / d (delta * A), with h_{t-1} still to multiply in
        gz[:, :, :, 1:].mul_(H[:, :, :, :-1])
        gz[:, :, :, 0].mul_(start)
        if clamped is not None:
            gz.masked_fill_(clamped, 0.0)
        gd = _sum_states(gz, log_decay)
        g_log_decay = (gz * d).sum(dim=(0, 2, 3)).view_as(log_decay)
        return gd, gx, gB, gC, g_log_decay, g_h0, None


def _sum_states(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """sum_n v[..., n, :] * w[..., n, :] as (..., 1, E), by N fused multiply-adds."""
    vs, ws = v.unbind(-2), w.unbind(-2)
    out = vs[0] * ws[0]
    for n in range(1, len(vs)):
        out.addcmul_(vs[n], ws[n])
    return out.unsqueeze(-2)


def _mamba_ssm_scan(u, delta_raw, A, B, C, D, z, delta_bias):
    """The same scan through mamba_ssm's CUDA kernel (channels-first, B/C grouped by G)."""
    from mamba_ssm.ops.selective_scan_interface import selective_scan_fn

    b, G, L, E = u.shape

    def first(x: torch.Tensor) -> torch.Tensor:  # (b, G, L, ch) -> (b, G*ch, L)
        return x.permute(0, 1, 3, 2).reshape(b, G * x.shape[-1], L).contiguous()

    y = selective_scan_fn(
        first(u), first(delta_raw), A.reshape(G * E, -1).float(),
        B.permute(0, 1, 3, 2).contiguous(), C.permute(0, 1, 3, 2).contiguous(),
        D.reshape(-1).float(), z=first(z), delta_bias=delta_bias.reshape(-1).float(),
        delta_softplus=True,
    )
    return y.view(b, G, E, L).transpose(2, 3)
