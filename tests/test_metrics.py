"""Hand-computed cases for metrics/: values that follow from the definitions in docs/metrics.md."""

from __future__ import annotations

import doctest
import importlib
import math

import pytest
import torch

import metrics
import metrics._blocks
from metrics import (
    abs_error_map,
    cc,
    compute_all,
    ergas,
    psnr,
    psnr_per_band,
    rmse,
    sam,
    sam_excluded_pixels,
    sam_map,
    ssim,
    uiqi,
)


def _cube(*shape: int, lo: float = 0.1, hi: float = 0.9, seed: int = 0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(*shape, generator=g, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_identical_images_score_perfectly_under_standard(dtype):
    target = _cube(2, 6, 40, 36, dtype=dtype)
    row = compute_all(target, target.clone())[0]
    assert row["psnr"] == math.inf
    assert row["sam"] == 0.0
    assert row["sam_excluded_pixels"] == 0
    assert row["ergas"] == 0.0
    assert row["rmse"] == 0.0
    assert row["ssim"] == pytest.approx(1.0, abs=1e-6)
    assert row["uiqi"] == pytest.approx(1.0, abs=1e-6)
    assert row["cc"] == pytest.approx(1.0, abs=1e-6)


def test_identical_images_score_perfectly_under_paper():
    target = 1000 * _cube(1, 5, 16, 16)
    row = compute_all(target, target.clone(), convention="paper")[0]
    assert row == {"convention": "paper", "psnr": math.inf, "sam": 0.0, "ergas": 0.0, "rmse": 0.0}


def _rotate_spectra(target: torch.Tensor, degrees: float, seed: int = 1) -> torch.Tensor:
    """Each pixel's spectrum t turned by `degrees` in the plane of t and a unit u orthogonal to t."""
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(target.shape, generator=g, dtype=target.dtype)
    norm_t = torch.linalg.vector_norm(target, dim=1, keepdim=True)
    t_hat = target / norm_t
    u = u - (u * t_hat).sum(dim=1, keepdim=True) * t_hat
    u = u / torch.linalg.vector_norm(u, dim=1, keepdim=True)
    theta = math.radians(degrees)
    return math.cos(theta) * target + math.sin(theta) * norm_t * u


@pytest.mark.parametrize("degrees", [30.0, 5.0, 90.0])
def test_sam_of_spectra_rotated_by_a_known_angle_is_that_angle(degrees):
    target = _cube(2, 8, 6, 7)
    pred = _rotate_spectra(target, degrees)
    torch.testing.assert_close(
        sam_map(pred, target), torch.full((2, 6, 7), degrees, dtype=torch.float64)
    )
    torch.testing.assert_close(sam(pred, target), torch.full((2,), degrees, dtype=torch.float64))


def test_sam_is_scale_invariant_per_pixel():
    target = _cube(1, 5, 4, 4)
    scale = _cube(1, 1, 4, 4, lo=0.5, hi=3.0, seed=3)
    assert float(sam(target * scale, target)) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("ratio", [4, 2, 1])
def test_constant_offset_gives_analytic_ergas_and_rmse(ratio):
    delta = 0.03
    target = _cube(1, 5, 8, 8, lo=0.2, hi=0.8)
    band_mean = target.mean(dim=(2, 3))[0]
    expected_ergas = (100 / ratio) * delta * math.sqrt(float((1 / band_mean**2).mean()))
    assert float(ergas(target + delta, target, ratio=ratio)) == pytest.approx(
        expected_ergas, rel=1e-9
    )
    assert float(rmse(target + delta, target)) == pytest.approx(delta, rel=1e-9)
    assert float(rmse(target - delta, target)) == pytest.approx(delta, rel=1e-9)


def test_standard_psnr_per_band_uses_data_range_as_peak():
    target = _cube(1, 3, 8, 8)
    offsets = torch.tensor([0.1, 0.01, 0.001], dtype=torch.float64).view(1, 3, 1, 1)
    torch.testing.assert_close(
        psnr_per_band(target + offsets, target),
        torch.tensor([[20.0, 40.0, 60.0]], dtype=torch.float64),
    )
    torch.testing.assert_close(
        psnr_per_band(target + offsets, target, data_range=255.0),
        torch.tensor([[20.0, 40.0, 60.0]], dtype=torch.float64) + 20 * math.log10(255.0),
    )
    assert float(psnr(target + offsets, target)) == pytest.approx(40.0)


def _paper_scene(peaks: list[float], low: float = 100.0, span: float = 400.0):
    """Raw-unit target whose min-max scaled band b runs from 0 to peaks[b] (peaks[0] = 1)."""
    c = len(peaks)
    v = _cube(1, c, 8, 8, lo=0.0, hi=1.0)
    v[:, 0, 0, 0] = 0.0  # the global minimum, in band 0 only (no all-zero pixel once scaled)
    v[:, :, 0, 1] = 1.0
    scaled = v * torch.tensor(peaks, dtype=torch.float64).view(1, c, 1, 1)
    return low + span * scaled, span


def test_paper_psnr_uses_each_bands_own_peak():
    peaks, deltas = [1.0, 0.5, 0.25], [0.01, 0.01, 0.05]
    target, span = _paper_scene(peaks)
    offsets = span * torch.tensor(deltas, dtype=torch.float64).view(1, 3, 1, 1)
    expected = [20 * math.log10(p / d) for p, d in zip(peaks, deltas, strict=True)]
    per_band = psnr_per_band(target + offsets, target, convention="paper")
    torch.testing.assert_close(per_band, torch.tensor([expected], dtype=torch.float64))
    assert float(psnr(target + offsets, target, convention="paper")) == pytest.approx(
        sum(expected) / 3
    )


def test_paper_rmse_is_in_the_targets_original_units():
    target, span = _paper_scene([1.0, 0.7])
    row = compute_all(target + 0.02 * span, target, convention="paper")[0]
    assert row["rmse"] == pytest.approx(0.02 * span)


def test_paper_ergas_is_computed_on_the_min_max_scale():
    target, span = _paper_scene([1.0, 0.6, 0.3])
    delta = 0.01
    scaled_mean = ((target - 100.0) / span).mean(dim=(2, 3))[0]
    expected = 25 * delta * math.sqrt(float((1 / scaled_mean**2).mean()))
    assert float(ergas(target + delta * span, target, convention="paper")) == pytest.approx(
        expected
    )


def test_sam_excludes_zero_pixels():
    target = _cube(1, 4, 32, 32)
    pred = _rotate_spectra(target, 10.0)
    pred[0, :, 0, 0] = 0.0
    pred[0, :, 1, 1] = 0.0
    target[0, :, 1, 1] = 0.0  # zero in both: excluded once
    target[0, :, 2, 3] = 0.0
    assert sam_excluded_pixels(pred, target).tolist() == [3]
    angles = sam_map(pred, target)
    assert int(torch.isnan(angles).sum()) == 3
    assert bool(torch.isnan(angles[0, 2, 3]))
    assert float(sam(pred, target)) == pytest.approx(10.0)
    assert compute_all(pred, target)[0]["sam_excluded_pixels"] == 3


def test_sam_raises_when_every_pixel_is_excluded():
    target = _cube(1, 3, 2, 2)
    with pytest.raises(ValueError, match="every pixel of image"):
        sam(torch.zeros_like(target), target)


def test_paper_sam_raises_on_a_zero_norm_pixel():
    target = _cube(1, 4, 6, 6, lo=10.0, hi=20.0)
    target[0, :, 3, 3] = 5.0  # the global minimum: all zeros once min-max scaled
    with pytest.raises(ValueError, match=r"1 pixels have zero norm .*convention='paper'"):
        sam(target + 1.0, target, convention="paper")
    with pytest.raises(ValueError, match="zero norm"):
        compute_all(target + 1.0, target, convention="paper")
    assert float(sam(target, target + 1.0)) >= 0  # standard: no zero pixel, no error


def test_paper_scaling_of_a_constant_target_raises():
    target = torch.full((1, 3, 4, 4), 7.0, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"target image\(s\) \[0\] are constant"):
        psnr(target + 1, target, convention="paper")


def test_paper_psnr_raises_on_a_band_with_zero_peak():
    target, _ = _paper_scene([1.0, 0.5])
    target[:, 1] = 100.0  # band 1 sits at the global minimum: scaled peak 0
    with pytest.raises(ValueError, match="max 0 after min-max scaling"):
        psnr(target + 1, target, convention="paper")


def test_ergas_raises_on_a_zero_mean_target_band():
    target = _cube(1, 3, 4, 4)
    target[:, 2] = 0.0
    with pytest.raises(ValueError, match="ERGAS undefined: 1 target band"):
        ergas(target + 0.1, target)


def test_cc_is_one_for_an_affine_copy_and_minus_one_for_a_negated_copy():
    target = _cube(2, 4, 9, 9)
    assert cc(3 * target + 2, target).tolist() == pytest.approx([1.0, 1.0])
    assert cc(-target, target).tolist() == pytest.approx([-1.0, -1.0])


def test_cc_raises_on_a_constant_band():
    target = _cube(1, 3, 4, 4)
    pred = target.clone()
    pred[:, 1] = 0.3
    with pytest.raises(ValueError, match="CC undefined: 1 band.* of pred"):
        cc(pred, target)


def test_compute_all_scores_a_constant_pred_band_with_cc_nan_and_keeps_the_rest():
    target = _cube(2, 3, 32, 32)
    pred = 0.9 * target + 0.05
    pred[1, 1] = 0.3  # image 1 has a flat band; image 0 is an affine copy
    rows = compute_all(pred, target)
    assert rows[0]["cc"] == pytest.approx(1.0) and math.isnan(rows[1]["cc"])
    assert math.isfinite(rows[1]["psnr"]) and math.isfinite(rows[1]["sam"])
    target[0, 2] = 0.5  # a flat target band is a data problem: still an error
    with pytest.raises(ValueError, match="CC undefined: 1 band.* of target"):
        compute_all(target + 0.01, target)


def test_ssim_drops_below_one_under_noise_and_matches_for_swapped_arguments():
    target = _cube(1, 3, 24, 24)
    pred = target + 0.2 * _cube(1, 3, 24, 24, lo=-1, hi=1, seed=5)
    value = float(ssim(pred, target))
    assert 0 < value < 0.9
    assert float(ssim(target, pred)) == pytest.approx(value)


def test_uiqi_flat_tiles_follow_wang_bovik_special_cases():
    shape = (1, 1, 32, 32)
    a = torch.full(shape, 0.2, dtype=torch.float64)
    b = torch.full(shape, 0.6, dtype=torch.float64)
    varying = _cube(*shape)
    assert float(uiqi(a, a)) == 1.0
    assert float(uiqi(a, b)) == pytest.approx(2 * 0.2 * 0.6 / (0.2**2 + 0.6**2))
    assert float(uiqi(a, varying)) == 0.0  # no covariance with a flat tile
    zeros = torch.zeros(shape, dtype=torch.float64)
    assert float(uiqi(zeros, zeros)) == 1.0  # 0/0 in both terms: img_qi scores 1


def test_uiqi_averages_full_tiles_and_ignores_the_remainder():
    target = _cube(1, 2, 70, 40)
    pred = target.clone()
    pred[:, :, 64:, :] = 0.0  # rows past the last full tile
    pred[:, :, :, 32:] = 0.0  # columns past the last full tile
    assert float(uiqi(pred, target)) == pytest.approx(1.0)
    assert float(uiqi(pred, target, block_size=8)) < 0.9


def test_abs_error_map_is_the_band_mean_of_absolute_errors():
    target = _cube(2, 3, 4, 5)
    offsets = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64).view(1, 3, 1, 1)
    torch.testing.assert_close(
        abs_error_map(target + offsets, target), torch.full((2, 4, 5), 0.2, dtype=torch.float64)
    )


def test_each_image_of_a_batch_is_scored_alone():
    target = _cube(3, 5, 33, 34)
    pred = target + 0.05 * _cube(3, 5, 33, 34, lo=-1, hi=1, seed=9)
    for convention in metrics.CONVENTIONS:
        rows = compute_all(pred, target, convention=convention)
        for i in range(3):
            alone = compute_all(pred[i : i + 1], target[i : i + 1], convention=convention)[0]
            assert rows[i].pop("convention") == alone.pop("convention")
            assert rows[i] == pytest.approx(alone, rel=1e-12)


@pytest.mark.parametrize("convention", ["standard", "paper"])
def test_compute_all_equals_the_single_metric_functions(convention):
    target = 0.5 + 0.4 * _cube(2, 6, 40, 33, lo=-1, hi=1)
    pred = target + 0.05 * _cube(2, 6, 40, 33, lo=-1, hi=1, seed=4)
    pred[0, :, 0, 0] = 0.0
    rows = compute_all(pred, target, convention=convention, ratio=2)
    singles = {
        "psnr": psnr(pred, target, convention=convention),
        "sam": sam(pred, target, convention=convention),
        "ergas": ergas(pred, target, ratio=2, convention=convention),
        "rmse": rmse(pred, target, convention=convention),
    }
    if convention == "standard":
        singles |= {
            "sam_excluded_pixels": sam_excluded_pixels(pred, target),
            "ssim": ssim(pred, target),
            "uiqi": uiqi(pred, target),
            "cc": cc(pred, target),
        }
    keys = metrics.STANDARD_KEYS if convention == "standard" else metrics.PAPER_KEYS
    assert set(singles) == set(keys)
    for i, row in enumerate(rows):
        assert set(row) == {"convention", *keys}
        assert row["convention"] == convention
        for key, values in singles.items():
            assert isinstance(row[key], int if key == "sam_excluded_pixels" else float)
            assert row[key] == pytest.approx(values[i].item(), rel=1e-12), key


def test_float32_and_float64_agree():
    target = 0.5 + 0.4 * _cube(1, 6, 40, 40, lo=-1, hi=1)
    pred = target + 0.05 * _cube(1, 6, 40, 40, lo=-1, hi=1, seed=4)
    for convention in metrics.CONVENTIONS:
        r64 = compute_all(pred, target, convention=convention)[0]
        r32 = compute_all(pred.float(), target.float(), convention=convention)[0]
        for key in r64:
            if key != "convention":
                assert r32[key] == pytest.approx(r64[key], rel=1e-4, abs=1e-5), key


def test_outputs_keep_the_inputs_dtype_and_shape():
    target = _cube(2, 3, 32, 32, dtype=torch.float32)
    pred = target + 0.01
    for fn in (psnr, sam, ergas, rmse, ssim, uiqi, cc):
        out = fn(pred, target)
        assert out.shape == (2,) and out.dtype == torch.float32, fn.__name__
    assert psnr_per_band(pred, target).shape == (2, 3)
    assert sam_map(pred, target).shape == (2, 32, 32)
    assert abs_error_map(pred, target).shape == (2, 32, 32)
    assert sam_excluded_pixels(pred, target).dtype == torch.int64


@pytest.mark.parametrize("convention", ["standard", "paper"])
def test_results_do_not_depend_on_band_blocking(monkeypatch, convention):
    target = 0.5 + 0.4 * _cube(2, 7, 40, 36, lo=-1, hi=1)
    pred = target + 0.05 * _cube(2, 7, 40, 36, lo=-1, hi=1, seed=4)
    pred[1, :, 3, 4] = 0.0
    whole = compute_all(pred, target, convention=convention)
    singles = [fn(pred, target, convention=convention) for fn in (ssim, uiqi, cc, sam, psnr)]
    band_bytes = 2 * 40 * 36 * 8
    monkeypatch.setitem(metrics._blocks.BLOCK_BYTES, "stream", 3 * band_bytes)
    monkeypatch.setitem(metrics._blocks.BLOCK_BYTES, "window", 2 * band_bytes)
    assert [s.stop - s.start for s in metrics._blocks.band_blocks(pred, "stream")] == [3, 3, 1]
    assert [s.stop - s.start for s in metrics._blocks.band_blocks(pred, "window")] == [2] * 3 + [1]
    for row, blocked in zip(whole, compute_all(pred, target, convention=convention), strict=True):
        assert row.pop("convention") == blocked.pop("convention")
        assert blocked == pytest.approx(row, rel=1e-12)
    for fn, single in zip((ssim, uiqi, cc, sam, psnr), singles, strict=True):
        torch.testing.assert_close(fn(pred, target, convention=convention), single, rtol=1e-12, atol=0)


def test_docstring_examples_run():
    names = ["cc", "ergas", "error_maps", "psnr", "rmse", "sam", "ssim", "suite", "uiqi"]
    for name in names:
        module = importlib.import_module(f"metrics.{name}")  # metrics.cc etc. are the functions
        result = doctest.testmod(module, raise_on_error=False, verbose=False)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cuda_results_match_cpu(dtype):
    target = 0.5 + 0.4 * _cube(2, 6, 40, 40, lo=-1, hi=1, dtype=dtype)
    pred = target + 0.05 * _cube(2, 6, 40, 40, lo=-1, hi=1, seed=4, dtype=dtype)
    for fn in (psnr, sam, ergas, rmse, ssim, uiqi, cc, sam_map, abs_error_map, psnr_per_band):
        out = fn(pred.cuda(), target.cuda())
        assert out.device.type == "cuda"
        torch.testing.assert_close(out.cpu(), fn(pred, target), rtol=1e-4, atol=1e-5)
    for convention in metrics.CONVENTIONS:
        on_gpu = compute_all(pred.cuda(), target.cuda(), convention=convention)
        on_cpu = compute_all(pred, target, convention=convention)
        for g, c in zip(on_gpu, on_cpu, strict=True):
            assert g.pop("convention") == c.pop("convention")
            assert g == pytest.approx(c, rel=1e-4, abs=1e-5)
