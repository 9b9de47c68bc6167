"""metrics/ against independent references: torchmetrics where the conventions coincide, and NumPy
transcriptions (plain loops) of the definitions in docs/metrics.md."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchmetrics.functional.image import (
    error_relative_global_dimensionless_synthesis as tm_ergas,
)
from torchmetrics.functional.image import (
    peak_signal_noise_ratio as tm_psnr,
)
from torchmetrics.functional.image import (
    spectral_angle_mapper as tm_sam,
)
from torchmetrics.functional.image import (
    structural_similarity_index_measure as tm_ssim,
)
from torchmetrics.functional.regression import pearson_corrcoef as tm_pearson

from metrics import cc, compute_all, ergas, psnr, psnr_per_band, rmse, sam, sam_map, ssim, uiqi

TOL = {torch.float64: {"rtol": 1e-9, "atol": 1e-10}, torch.float32: {"rtol": 2e-4, "atol": 2e-5}}
DTYPES = [torch.float64, torch.float32]


def _pair(b=2, c=7, h=37, w=45, dtype=torch.float64, noise=0.05, seed=0):
    """A target in (0, 1) with structure, and a prediction = target + noise, clipped to [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 3, h), torch.linspace(0, 3, w), indexing="ij")
    base = 0.5 + 0.3 * torch.sin(xx + yy)[None, None] * torch.linspace(0.3, 1, c).view(1, c, 1, 1)
    target = (base + 0.1 * torch.rand(b, c, h, w, generator=g)).clamp(0.01, 0.99)
    pred = (target + noise * torch.randn(b, c, h, w, generator=g)).clamp(0, 1)
    return pred.to(dtype), target.to(dtype)


# --- torchmetrics, where its convention is ours ---------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_psnr_per_band_matches_torchmetrics_reduced_over_pixels_only(dtype):
    pred, target = _pair(dtype=dtype)
    # dim=(2, 3) makes torchmetrics reduce each (image, band) separately -> (B, C). Its dB
    # factor 10/ln(10) is a float32 constant, hence rtol 1e-7 in float64.
    expected = tm_psnr(pred, target, data_range=1.0, dim=(2, 3), reduction="none")
    tol = {"rtol": 1e-7, "atol": 0.0} if dtype == torch.float64 else TOL[dtype]
    torch.testing.assert_close(psnr_per_band(pred, target), expected, **tol)
    torch.testing.assert_close(psnr(pred, target), expected.mean(dim=1), **tol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ssim_matches_torchmetrics_gaussian_window(dtype):
    pred, target = _pair(dtype=dtype)
    # torchmetrics averages the SSIM map over bands and pixels at once; with every band the same
    # size, that equals our mean over bands of per-band means.
    expected = tm_ssim(pred, target, data_range=1.0, gaussian_kernel=True, reduction="none")
    torch.testing.assert_close(ssim(pred, target), expected, **TOL[dtype])


def test_ssim_matches_torchmetrics_with_another_data_range():
    pred, target = _pair()
    expected = tm_ssim(255 * pred, 255 * target, data_range=255.0, reduction="none")
    torch.testing.assert_close(ssim(255 * pred, 255 * target, data_range=255.0), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sam_matches_torchmetrics_in_radians(dtype):
    pred, target = _pair(dtype=dtype, noise=0.2)
    expected_map = tm_sam(pred, target, reduction="none")
    torch.testing.assert_close(torch.deg2rad(sam_map(pred, target)), expected_map, **TOL[dtype])
    expected = expected_map.mean(dim=(1, 2))
    torch.testing.assert_close(torch.deg2rad(sam(pred, target)), expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ratio", [4, 2, 1.5])
def test_ergas_matches_torchmetrics_which_uses_the_same_ratio_convention(dtype, ratio):
    # torchmetrics: 100/ratio * sqrt(mean_b (RMSE_b / mean_b)^2), ratio = HR/LR, as ours.
    pred, target = _pair(dtype=dtype)
    expected = tm_ergas(pred, target, ratio=ratio, reduction="none")
    torch.testing.assert_close(ergas(pred, target, ratio=ratio), expected, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cc_matches_torchmetrics_pearson_per_band(dtype):
    pred, target = _pair(dtype=dtype)
    b, c = pred.shape[:2]
    per_band = tm_pearson(
        pred.permute(0, 2, 3, 1).reshape(b, -1, c).transpose(0, 1).reshape(-1, b * c),
        target.permute(0, 2, 3, 1).reshape(b, -1, c).transpose(0, 1).reshape(-1, b * c),
    ).view(b, c)
    torch.testing.assert_close(cc(pred, target), per_band.mean(dim=1), **TOL[dtype])


# --- NumPy transcriptions of the definitions -----------------------------------------------


def np_paper(pred: np.ndarray, target: np.ndarray, ratio: float = 4) -> dict[str, float]:
    """The `paper` convention for one (C,H,W) image, straight from docs/metrics.md, with loops."""
    c, h, w = target.shape
    lo, hi = target.min(), target.max()
    p, t = (pred - lo) / (hi - lo), (target - lo) / (hi - lo)
    psnrs, ratios = [], []
    for b in range(c):
        mse = np.mean((p[b] - t[b]) ** 2)
        psnrs.append(10 * np.log10(t[b].max() ** 2 / mse))
        ratios.append(mse / np.mean(t[b]) ** 2)
    angles = []
    for i in range(h):
        for j in range(w):
            x, y = p[:, i, j], t[:, i, j]
            angles.append(
                np.degrees(np.arccos(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y))))
            )
    return {
        "psnr": float(np.mean(psnrs)),
        "sam": float(np.mean(angles)),
        "ergas": float((100 / ratio) * np.sqrt(np.mean(ratios))),
        "rmse": float(np.sqrt(np.mean((pred - target) ** 2))),
    }


def np_uiqi_tiles(pred: np.ndarray, target: np.ndarray, block: int = 32) -> float:
    """Wang-Bovik Q of one (C,H,W) image on non-overlapping tiles, with img_qi's special cases."""
    c, h, w = target.shape
    per_band = []
    for b in range(c):
        qs = []
        for i in range(0, h - block + 1, block):
            for j in range(0, w - block + 1, block):
                x = pred[b, i : i + block, j : j + block].ravel()
                y = target[b, i : i + block, j : j + block].ravel()
                mx, my = x.mean(), y.mean()
                # A constant tile has variance 0 by definition (np.var may leave ~1e-33).
                vx = x.var() if np.ptp(x) > 0 else 0.0
                vy = y.var() if np.ptp(y) > 0 else 0.0
                cov = np.mean((x - mx) * (y - my)) if vx * vy > 0 else 0.0
                den1, den2 = vx + vy, mx**2 + my**2
                if den1 * den2 != 0:
                    qs.append(4 * cov * mx * my / (den1 * den2))
                elif den1 == 0 and den2 != 0:
                    qs.append(2 * mx * my / den2)
                else:
                    qs.append(1.0)
        per_band.append(np.mean(qs))
    return float(np.mean(per_band))


@pytest.mark.parametrize("dtype", DTYPES)
def test_paper_convention_matches_a_numpy_transcription(dtype):
    pred, target = _pair(b=2, c=6, h=20, w=24, noise=0.03)
    pred, target = 3000 * pred + 200, 3000 * target + 200  # raw units
    rows = compute_all(pred.to(dtype), target.to(dtype), convention="paper")
    singles = {
        "psnr": psnr(pred.to(dtype), target.to(dtype), convention="paper"),
        "sam": sam(pred.to(dtype), target.to(dtype), convention="paper"),
        "ergas": ergas(pred.to(dtype), target.to(dtype), convention="paper"),
        "rmse": rmse(pred.to(dtype), target.to(dtype), convention="paper"),
    }
    rel = 1e-9 if dtype == torch.float64 else 1e-4
    for i, row in enumerate(rows):
        expected = np_paper(pred[i].numpy(), target[i].numpy())
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=rel), key
            assert float(singles[key][i]) == pytest.approx(value, rel=rel), key


def test_paper_ergas_ratio_argument_matches_the_transcription():
    pred, target = _pair(b=1, c=4, h=12, w=12)
    expected = np_paper(pred[0].numpy(), target[0].numpy(), ratio=2)["ergas"]
    assert float(ergas(pred, target, ratio=2, convention="paper")) == pytest.approx(expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_uiqi_matches_a_numpy_transcription_of_wang_bovik_on_tiles(dtype):
    pred, target = _pair(b=2, c=3, h=70, w=100, noise=0.1)
    pred[0, 1, :32, :32] = 0.4  # a flat tile in pred only: Q = 0 there
    pred[0, 2, :32, 32:64] = 0.3  # flat in both, different levels
    target[0, 2, :32, 32:64] = 0.6
    expected = [np_uiqi_tiles(pred[i].numpy(), target[i].numpy()) for i in range(2)]
    got = uiqi(pred.to(dtype), target.to(dtype))
    assert got.tolist() == pytest.approx(expected, rel=1e-9 if dtype == torch.float64 else 1e-4)
    expected_16 = [np_uiqi_tiles(pred[i].numpy(), target[i].numpy(), block=16) for i in range(2)]
    assert uiqi(pred, target, block_size=16).tolist() == pytest.approx(expected_16, rel=1e-9)


def test_standard_definitions_match_a_numpy_transcription():
    pred, target = _pair(b=1, c=5, h=33, w=35, noise=0.1)
    p, t = pred[0].numpy(), target[0].numpy()
    mse = ((p - t) ** 2).mean(axis=(1, 2))
    expected = {
        "psnr": float(np.mean(10 * np.log10(1.0 / mse))),
        "ergas": float(25 * np.sqrt(np.mean(mse / t.mean(axis=(1, 2)) ** 2))),
        "rmse": float(np.sqrt(np.mean((p - t) ** 2))),
        "cc": float(np.mean([np.corrcoef(p[b].ravel(), t[b].ravel())[0, 1] for b in range(5)])),
        "uiqi": np_uiqi_tiles(p, t),
    }
    cos = (p * t).sum(0) / (np.linalg.norm(p, axis=0) * np.linalg.norm(t, axis=0))
    expected["sam"] = float(np.degrees(np.arccos(np.clip(cos, -1, 1))).mean())
    row = compute_all(pred, target)[0]
    for key, value in expected.items():
        assert row[key] == pytest.approx(value, rel=1e-9), key
    assert math.isfinite(row["ssim"])
