"""The chunked pure-PyTorch selective scan equals the sequential Mamba recurrence."""

import pytest
import torch
import torch.nn.functional as F

from methods.fusionmamba import scan
from methods.fusionmamba.scan import resolve_backend, selective_scan, ssm_recurrence

pytestmark = pytest.mark.usefixtures("one_thread")


def sequential_recurrence(delta, du, A, B, C, h0=None):
    """h_t = exp(delta_t A) h_{t-1} + du_t B_t, y_t = C_t . h_t, one step at a time.

    delta, du: (b, G, L, E); A: (G, E, N); B, C: (b, G, L, N); h0 (b, G, N, E) or zero.
    Returns y and the last h (b, G, N, E).
    """
    b, G, L, E = delta.shape
    h = torch.zeros(b, G, E, A.shape[-1], dtype=delta.dtype) if h0 is None else h0.transpose(-1, -2)
    ys = []
    for t in range(L):
        h = torch.exp(delta[:, :, t, :, None] * A) * h + du[:, :, t, :, None] * B[:, :, t, None, :]
        ys.append((h * C[:, :, t, None, :]).sum(-1))
    return torch.stack(ys, dim=2), h.transpose(-1, -2)


def sequential_scan(u, delta_raw, A, B, C, D, z, delta_bias):
    """mamba_ssm's selective_scan_ref: softplus(delta + bias), recurrence, skip D, gate silu(z)."""
    delta = F.softplus(delta_raw + delta_bias[:, None])
    y, h = sequential_recurrence(delta, delta * u, A, B, C)
    return (y + D[:, None] * u) * F.silu(z), h


def random_inputs(b=2, G=3, L=37, E=5, N=4, dtype=torch.float64, decay=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=dtype)

    A = -torch.exp(r(G, E, N)) * decay
    return dict(u=r(b, G, L, E), delta_raw=r(b, G, L, E), A=A, B=r(b, G, L, N), C=r(b, G, L, N),
                D=r(G, E), z=r(b, G, L, E), delta_bias=r(G, E))


@pytest.mark.parametrize("chunk,chunks_per_block", [(4, 3), (8, 1), (5, 2), (64, 4), (1, 7)])
def test_chunked_recurrence_equals_sequential_for_any_chunking(chunk, chunks_per_block):
    x = random_inputs()
    delta = F.softplus(x["delta_raw"])
    args = (delta, delta * x["u"], x["A"], x["B"], x["C"])
    y, last = ssm_recurrence(*args, chunk=chunk, chunks_per_block=chunks_per_block)
    expected, expected_last = sequential_recurrence(*args)
    torch.testing.assert_close(y, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(last, expected_last, rtol=0, atol=1e-12)


def test_gated_scan_equals_sequential_reference_in_float64():
    x = random_inputs()
    expected, _ = sequential_scan(**x)
    torch.testing.assert_close(selective_scan(**x, backend="torch"), expected, rtol=0, atol=1e-12)


def test_float32_scan_stays_within_1e5_of_float64_reference():
    x = random_inputs(L=300, E=16, N=8)
    expected, _ = sequential_scan(**x)
    got = selective_scan(**{k: v.float() for k, v in x.items()}, backend="torch")
    assert (got.double() - expected).abs().max() < 1e-5


def test_strong_decay_underflows_to_zero_without_nan():
    x = random_inputs(L=50, decay=1e4)  # delta * A far below exp's range: decays are exactly 0
    x = {k: v.float() for k, v in x.items()}
    got = selective_scan(**x, backend="torch")
    expected, _ = sequential_scan(**{k: v.double() for k, v in x.items()})
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-5)


def test_initial_state_continues_a_sequence_split_in_two():
    x = random_inputs(L=40)
    whole, whole_last = selective_scan(**x, return_last_state=True, backend="torch")
    first = {k: (v[:, :, :17] if v.dim() == 4 else v) for k, v in x.items()}
    second = {k: (v[:, :, 17:] if v.dim() == 4 else v) for k, v in x.items()}
    y1, h1 = selective_scan(**first, return_last_state=True, backend="torch")
    y2, h2 = selective_scan(**second, initial_state=h1, return_last_state=True, backend="torch")
    torch.testing.assert_close(torch.cat([y1, y2], dim=2), whole, rtol=0, atol=1e-12)
    torch.testing.assert_close(h2, whole_last, rtol=0, atol=1e-12)


@pytest.mark.parametrize("decay", [1.0, 1e4])  # 1e4: decays clamped at exp(-80)
def test_chunked_recurrence_gradients_equal_sequential_reference_gradients(decay):
    x = random_inputs(b=2, G=2, L=19, E=3, N=2, decay=decay)
    delta = F.softplus(x["delta_raw"])
    h0 = torch.randn(2, 2, 2, 3, dtype=torch.float64)
    inputs = [t.requires_grad_() for t in (delta, x["u"], x["A"], x["B"], x["C"], h0)]
    weight = torch.randn(2, 2, 19, 3, dtype=torch.float64)

    def loss(fn, **chunking):
        d, u, A, B, C, h = inputs
        y, last = fn(d, d * u, A, B, C, h, **chunking)
        return (y * weight).sum() + (last * last).sum()

    grads = torch.autograd.grad(loss(ssm_recurrence, chunk=4, chunks_per_block=2), inputs)
    expected = torch.autograd.grad(loss(sequential_recurrence), inputs)
    for name, got, want in zip(("delta", "u", "A", "B", "C", "h0"), grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-10, msg=name)


@pytest.mark.parametrize("module,kind", [
    ("stage2.fm.spa_mamba_layers.0.block", "v6"),
    ("stage2.fm.spa_cross_mamba.block", "v7"),
    ("spe_attn.block.2", "v2"),
])
def test_scan_reproduces_official_per_direction_scan_tensors(module, kind, fusionmamba_oracle):
    """The oracle's scan inputs (delta already softplus-ed) and outputs, one direction at a time."""
    oracle = fusionmamba_oracle
    directions = 2 if kind == "v2" else 4
    for k, suffix in enumerate(["", "_b", "_c", "_d"][:directions]):
        t = {n: oracle[f"scan/{module}/dir{k}/{n}"] for n in ("u", "delta_softplus", "B", "C", "z", "out")}
        A = -torch.exp(oracle[f"param/{module}.A{suffix}_log"])
        D = oracle[f"param/{module}.D{suffix}"]
        u, delta, z = (t[n].transpose(1, 2)[:, None] for n in ("u", "delta_softplus", "z"))
        B, C = (t[n].transpose(1, 2)[:, None] for n in ("B", "C"))
        y, _ = ssm_recurrence(delta, delta * u, A[None], B, C)
        out = (y + D * u) * F.silu(z)
        expected = t["out"].transpose(1, 2)[:, None]
        assert (out - expected).abs().max() < 1e-5, f"direction {k}"


def test_scan_rejects_inputs_of_mismatched_shapes():
    x = random_inputs()
    x["B"] = x["B"][:, :, :-1]
    with pytest.raises(ValueError, match="B and C"):
        selective_scan(**x, backend="torch")


def test_unknown_backend_is_rejected_and_env_var_is_validated(monkeypatch):
    with pytest.raises(ValueError, match="scan backend"):
        resolve_backend("cuda_magic", torch.device("cpu"))
    monkeypatch.setenv(scan.BACKEND_ENV, "nonsense")
    with pytest.raises(ValueError, match=scan.BACKEND_ENV):
        resolve_backend("auto", torch.device("cpu"))


def test_auto_backend_is_torch_on_cpu_and_env_var_turns_kernels_off(monkeypatch):
    assert resolve_backend("auto", torch.device("cpu")) == "torch"
    monkeypatch.setenv(scan.BACKEND_ENV, "torch")
    assert resolve_backend("auto", torch.device("cuda")) == "torch"


def test_mamba_ssm_backend_needs_cuda_and_the_package():
    with pytest.raises(ValueError, match="mamba_ssm"):
        resolve_backend("mamba_ssm", torch.device("cpu"))


@pytest.mark.cuda
@pytest.mark.skipif(not (torch.cuda.is_available() and scan.mamba_ssm_available()),
                    reason="needs CUDA and the mamba_ssm package")
def test_mamba_ssm_kernel_matches_torch_scan_on_cuda():
    x = {k: v.float().cuda() for k, v in random_inputs(L=300, E=16, N=8).items()}
    kernel = selective_scan(**x, backend="mamba_ssm")
    torch.testing.assert_close(kernel, selective_scan(**x, backend="torch"), rtol=1e-4, atol=1e-4)
