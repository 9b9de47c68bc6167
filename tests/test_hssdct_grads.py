"""HSSDCT's gradients against the authors' released code (tests/fixtures/hssdct_small_grads.npz).

The oracle holds, for the golden weights and the ``main`` inputs of ``hssdct_small`` in train
mode, the gradients of L = sum(output * R) (R: ``torch.randn`` of the output's shape from
``torch.Generator().manual_seed(1238)``, float32) computed by the released model in float64:
the full input gradients, and for every parameter its gradient's L2 norm and its values at
``sample_index`` (evenly spaced over the flattened tensor). See tests/fixtures/README.md.

In float64 every gradient must match. In float32 the position-bias MLPs are left out: their
LayerNorms normalise over width/16 features (2 in the spatial branch here), which float32 cannot
resolve; the released code's own float32 gradients there differ from its float64 ones by up to
2e-2 relative, while every other released float32 gradient is within 6e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hssdct.official import from_official, official_key
from tests.test_hssdct_oracle import FIXTURES, oracle_config, oracle_meta, oracle_state_dict

RTOL = 1e-4
SAMPLES = 256
LOSS_WEIGHT_SEED = 1238

pytestmark = pytest.mark.usefixtures("one_thread")


def sample_index(numel: int) -> np.ndarray:
    """The flat positions the oracle stores: up to 256, evenly spaced, first and last included."""
    return np.unique(np.round(np.linspace(0, numel - 1, min(SAMPLES, numel))).astype(np.int64))


@pytest.fixture(scope="module")
def oracle() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "hssdct_small_grads.npz") as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module", params=[(torch.float32, None), (torch.float64, None),
                                        (torch.float64, 64)], ids=["fp32", "fp64", "fp64-strips"])
def gradients(request) -> dict[str, torch.Tensor]:
    """Our gradients (official keys, plus input/lrhsi and input/hrmsi), in train mode; the
    ``strips`` case runs every block in strips of 64 tokens (many strips per block)."""
    dtype, chunk_tokens = request.param
    meta = oracle_meta()
    model = from_official(oracle_state_dict(meta["state_dict"], meta["salt"]),
                          chunk_tokens=chunk_tokens, **oracle_config(meta)).to(dtype).train()
    with np.load(FIXTURES / "hssdct_small.npz") as data:
        lr = torch.from_numpy(data["input/lrhsi"]).to(dtype).requires_grad_()
        hr = torch.from_numpy(data["input/hrmsi"]).to(dtype).requires_grad_()
    out = model(lr, hr)
    weight = torch.randn(out.shape, generator=torch.Generator().manual_seed(LOSS_WEIGHT_SEED))
    (out * weight.to(dtype)).sum().backward()
    grads = {official_key(k): p.grad for k, p in model.named_parameters() if p.grad is not None}
    return {**grads, "input/lrhsi": lr.grad, "input/hrmsi": hr.grad}


def test_every_parameter_with_a_released_gradient_has_one(oracle, gradients):
    released = {k.removeprefix("norm/") for k in oracle if k.startswith("norm/")}
    ours = {k for k in gradients if not k.startswith("input/")}
    assert ours == released


@pytest.mark.parametrize("name", ["lrhsi", "hrmsi"])
def test_input_gradients_match_released_code(oracle, gradients, name):
    expected = torch.from_numpy(oracle[f"input/{name}"]).double()
    torch.testing.assert_close(gradients[f"input/{name}"].double(), expected, rtol=RTOL,
                               atol=RTOL * expected.abs().max().item())


def test_parameter_gradients_match_released_code(oracle, gradients):
    bad = []
    fp32 = gradients["input/lrhsi"].dtype == torch.float32
    for key in sorted(k.removeprefix("norm/") for k in oracle if k.startswith("norm/")):
        if fp32 and ".correlation.pos." in key:
            continue
        ours = gradients[key].double().reshape(-1)
        norm = float(oracle[f"norm/{key}"])
        expected = torch.from_numpy(oracle[f"grad/{key}"]).double()
        sampled = ours[torch.from_numpy(sample_index(ours.numel()))]
        # relative to the whole gradient's scale: entries near zero are not divided by ~0
        scale = max(norm / ours.numel() ** 0.5, expected.abs().max().item())
        err = (sampled - expected).abs().max().item() / scale
        norm_err = abs(ours.norm().item() - norm) / norm
        if err > RTOL or norm_err > RTOL:
            bad.append(f"{key}: sampled {err:.1e}, norm {norm_err:.1e}")
    assert not bad, "gradients differ from the released code's:\n" + "\n".join(bad)
