"""Speed of metrics/ on one paper-size pair (1x172x256x256, CPU, float32), next to torchmetrics.

Each metric has a group holding our function and torchmetrics' function of the same convention,
measured in the same run, so the table shows them side by side; the group "metrics: full set"
holds `compute_all` (every `standard` metric at once). Targets: none of ours slower than its
torchmetrics counterpart, and the full set under 0.5 s on a 2-core CPU.

torchmetrics counterparts: PSNR with dim=(2, 3) (per band, as ours), SSIM (same Gaussian window),
SAM, ERGAS (same ratio convention), RMSE (global), Pearson r per band for CC. UIQI differs in
definition (torchmetrics slides an 11x11 Gaussian window, ours uses 32x32 tiles), so that pair
compares cost, not values.

    .venv/bin/python -m pytest benchmarks/perf/test_perf_metrics.py --benchmark-only
"""

from __future__ import annotations

import pytest
import torch
from torchmetrics.functional.image import (
    error_relative_global_dimensionless_synthesis,
    peak_signal_noise_ratio,
    spectral_angle_mapper,
    structural_similarity_index_measure,
    universal_image_quality_index,
)
from torchmetrics.functional.regression import mean_squared_error, pearson_corrcoef

import metrics

SHAPE = (1, 172, 256, 256)


@pytest.fixture(scope="module")
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    target = torch.rand(SHAPE, generator=g)
    target = 0.05 + 0.9 * torch.nn.functional.avg_pool2d(target, 5, stride=1, padding=2)
    pred = (target + 0.02 * torch.randn(SHAPE, generator=g)).clamp(0, 1)
    metrics.compute_all(pred, target)  # warm-up: oneDNN kernels, allocator pools
    return pred, target


def _tm_cc(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    c = pred.shape[1]
    return pearson_corrcoef(pred.reshape(c, -1).T, target.reshape(c, -1).T).mean()


OURS = {
    "psnr": lambda p, t: metrics.psnr(p, t),
    "ssim": lambda p, t: metrics.ssim(p, t),
    "sam": lambda p, t: metrics.sam(p, t),
    "ergas": lambda p, t: metrics.ergas(p, t, ratio=4),
    "rmse": lambda p, t: metrics.rmse(p, t),
    "uiqi": lambda p, t: metrics.uiqi(p, t),
    "cc": lambda p, t: metrics.cc(p, t),
}
TORCHMETRICS = {
    "psnr": lambda p, t: peak_signal_noise_ratio(
        p, t, data_range=1.0, dim=(2, 3), reduction="none"
    ),
    "ssim": lambda p, t: structural_similarity_index_measure(p, t, data_range=1.0),
    "sam": lambda p, t: spectral_angle_mapper(p, t),
    "ergas": lambda p, t: error_relative_global_dimensionless_synthesis(p, t, ratio=4),
    "rmse": lambda p, t: mean_squared_error(p, t, squared=False),
    "uiqi": lambda p, t: universal_image_quality_index(p, t),
    "cc": _tm_cc,
}


def _describe(benchmark, group: str) -> None:
    benchmark.group = group
    benchmark.extra_info["shape"] = "x".join(map(str, SHAPE))
    benchmark.extra_info["dtype"] = "float32"
    benchmark.extra_info["threads"] = torch.get_num_threads()


def _check_rows(rows: list[dict], pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    """The full set's shared work gives what the single metrics give on their own."""
    assert len(rows) == SHAPE[0]
    assert rows[0]["psnr"] == pytest.approx(float(metrics.psnr(*pair)[0]), rel=1e-5)
    assert rows[0]["rmse"] == pytest.approx(float(metrics.rmse(*pair)[0]), rel=1e-5)


def test_compute_all_standard(benchmark, pair):
    _describe(benchmark, "metrics: full set")
    rows = benchmark(metrics.compute_all, *pair, convention="standard")
    _check_rows(rows, pair)


def test_compute_all_standard_one_thread(benchmark, pair):
    """The same on one intra-op thread: steadier on a shared machine, where a second thread that
    gets descheduled stalls every parallel op at its barrier."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _describe(benchmark, "metrics: full set")
        rows = benchmark(metrics.compute_all, *pair, convention="standard")
    finally:
        torch.set_num_threads(threads)
    _check_rows(rows, pair)


@pytest.mark.parametrize("name", list(OURS))
def test_ours(benchmark, pair, name):
    _describe(benchmark, f"metrics: {name}")
    out = benchmark(OURS[name], *pair)
    assert bool(torch.isfinite(out).all())


@pytest.mark.parametrize("name", list(TORCHMETRICS))
def test_torchmetrics(benchmark, pair, name):
    _describe(benchmark, f"metrics: {name}")
    out = benchmark(TORCHMETRICS[name], *pair)
    assert bool(torch.isfinite(out).all())
