"""Bad input to metrics/ raises ValueError naming the argument and the problem."""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pytest
import torch

import metrics
from metrics import compute_all, ergas, psnr, psnr_per_band, rmse, sam_excluded_pixels, ssim, uiqi

# Every public metric function: a new one gets these checks without being listed here.
ALL_FUNCTIONS = [getattr(metrics, name) for name in metrics.__all__ if callable(getattr(metrics, name))]
WITH_CONVENTION = [f for f in ALL_FUNCTIONS if f is not sam_excluded_pixels]


def test_every_public_metric_function_is_checked():
    assert {f.__name__ for f in ALL_FUNCTIONS} >= {
        "abs_error_map", "cc", "compute_all", "ergas", "psnr", "psnr_per_band", "rmse", "sam",
        "sam_excluded_pixels", "sam_map", "ssim", "uiqi"}


def _pair(*shape: int) -> tuple[torch.Tensor, torch.Tensor]:
    target = 0.2 + 0.6 * torch.rand(*shape, generator=torch.Generator().manual_seed(0))
    return target + 0.01, target


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_mismatched_shapes_are_rejected_with_both_shapes(fn):
    pred, _ = _pair(1, 172, 8, 8)
    _, target = _pair(1, 171, 8, 8)
    message = "pred and target must have the same shape, got (1,172,8,8) and (1,171,8,8)"
    with pytest.raises(ValueError, match=re.escape(message)):
        fn(pred, target)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_non_4d_input_is_rejected(fn):
    pred, target = _pair(3, 8, 8)
    with pytest.raises(
        ValueError, match=re.escape("pred must be 4-D (B,C,H,W), got shape (3,8,8)")
    ):
        fn(pred, target)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("which", ["pred", "target"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_values_are_rejected_naming_the_argument(fn, which, bad):
    pred, target = _pair(1, 3, 32, 32)
    (pred if which == "pred" else target)[0, 1, 2, 3] = bad
    with pytest.raises(ValueError, match=rf"^{which} has 1 non-finite values"):
        fn(pred, target)


def test_finite_values_whose_sum_overflows_are_accepted():
    target = torch.full((1, 2, 32, 32), 3e38, dtype=torch.float32)
    assert float(rmse(target, target)) == 0.0


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_zero_bands_are_rejected(fn):
    pred, target = _pair(1, 0, 32, 32)
    with pytest.raises(ValueError, match="zero bands"):
        fn(pred, target)


def test_empty_batch_and_empty_images_are_rejected():
    with pytest.raises(ValueError, match="empty batch"):
        psnr(*_pair(0, 3, 8, 8))
    with pytest.raises(ValueError, match="no pixels"):
        psnr(*_pair(1, 3, 0, 8))


@pytest.mark.parametrize("dtype", [torch.float16, torch.int64])
def test_non_float32_64_dtypes_are_rejected(dtype):
    pred, target = _pair(1, 3, 8, 8)
    with pytest.raises(ValueError, match=f"pred must be float32 or float64, got {dtype}"):
        psnr(pred.to(dtype), target.to(dtype))


def test_mixed_dtypes_are_rejected():
    pred, target = _pair(1, 3, 8, 8)
    with pytest.raises(ValueError, match="same dtype, got torch.float32 and torch.float64"):
        psnr(pred, target.double())


def test_non_tensor_input_is_rejected():
    _, target = _pair(1, 3, 8, 8)
    with pytest.raises(ValueError, match="pred must be a torch.Tensor, got ndarray"):
        psnr(target.numpy(), target)


@pytest.mark.parametrize("ratio", [0.5, 0, -4, float("nan"), float("inf"), "4", True])
@pytest.mark.parametrize("fn", [ergas, compute_all], ids=lambda f: f.__name__)
def test_ratio_below_one_or_not_a_number_is_rejected(fn, ratio):
    with pytest.raises(ValueError, match="ratio must be a"):
        fn(*_pair(1, 3, 32, 32), ratio=ratio)


@pytest.mark.parametrize("data_range", [0, -1.0, float("nan"), None])
@pytest.mark.parametrize("fn", [psnr, psnr_per_band, ssim, compute_all], ids=lambda f: f.__name__)
def test_non_positive_data_range_is_rejected(fn, data_range):
    with pytest.raises(ValueError, match="data_range must be a"):
        fn(*_pair(1, 3, 32, 32), data_range=data_range)


@pytest.mark.parametrize("fn", WITH_CONVENTION, ids=lambda f: f.__name__)
def test_unknown_convention_is_rejected(fn):
    with pytest.raises(
        ValueError, match=r"convention must be one of \('standard', 'paper'\), got 'wald'"
    ):
        fn(*_pair(1, 3, 32, 32), convention="wald")


@pytest.mark.parametrize(
    "fn, size, name",
    [(ssim, 5, "H and W > 5"), (uiqi, 31, "block_size=32"), (compute_all, 31, "block_size=32")],
    ids=["ssim", "uiqi", "compute_all"],
)
def test_images_too_small_for_the_window_are_rejected(fn, size, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        fn(*_pair(1, 3, size, 40))


@pytest.mark.parametrize("block_size", [0, -2, 2.5, True])
def test_bad_block_size_is_rejected(block_size):
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        uiqi(*_pair(1, 3, 32, 32), block_size=block_size)


def test_numpy_scalars_are_accepted_as_ratio_data_range_and_block_size():
    pred, target = _pair(1, 3, 32, 32)
    assert float(ergas(pred, target, ratio=np.int64(4))) == float(ergas(pred, target, ratio=4))
    assert float(psnr(pred, target, data_range=np.float32(2.0))) == float(psnr(pred, target, data_range=2.0))
    assert float(uiqi(pred, target, block_size=np.int64(16))) == float(uiqi(pred, target, block_size=16))


def test_every_function_accepts_both_conventions_by_keyword_only():
    pred, target = _pair(1, 3, 32, 32)
    for fn in WITH_CONVENTION:
        for convention in ("standard", "paper"):
            fn(pred, target, convention=convention)
    with pytest.raises(TypeError):
        partial(psnr, pred, target)("paper")
