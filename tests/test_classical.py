"""Classical fusion entries (GSA, SFIM-HS, MTF-GLP-HS, CNMF, HySure) and their shared helpers.

Small scenes are built here: smooth random abundances times smooth random spectra, an SRF of
Gaussian bands, and the suite's simulator (``datasets.simulate``) or scipy for the blur. The quality
bar on the shipped Indian Pines test split is at the end of the file.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

import datasets
import methods
import metrics
from datasets.simulate import blur_decimate, default_psf, gaussian_psf
from methods._classical import (
    Sensors,
    correlate,
    correlate_separable,
    estimate_srf,
    fit_gaussian_psf,
    fit_offset,
    fit_sensors,
    gaussian_1d,
    upsample,
)
from methods.cnmf import vca

CLASSICAL = ["gsa", "sfim", "mtf_glp_hs", "cnmf", "hysure"]
FAST = {"cnmf": {"inner_iters": 60}, "hysure": {"iters": 60}}  # fewer iterations in unit tests


def smooth_cube(rng: np.random.Generator, bands: int, size: int, endmembers: int = 5) -> np.ndarray:
    """(bands, size, size) in (0, 1): smooth spectra mixed by smooth abundances summing to 1."""
    wl = np.linspace(0.0, 1.0, bands)
    spectra = np.stack([
        0.15 + 0.3 * rng.random() * wl
        + sum(0.4 * rng.random() * np.exp(-0.5 * ((wl - rng.random()) / 0.12) ** 2)
              for _ in range(3))
        for _ in range(endmembers)], axis=1)
    fields = ndi.gaussian_filter(rng.standard_normal((endmembers, size, size)), (0, 2.0, 2.0),
                                 mode="wrap")
    weights = np.exp(3.0 * fields / fields.std())
    cube = np.tensordot(spectra, weights / weights.sum(axis=0), axes=1)
    return cube / (1.05 * cube.max())


def gaussian_srf(msi_bands: int, bands: int) -> np.ndarray:
    """(c, C) Gaussian spectral bands spread over the HS range, rows summing to 1."""
    wl = np.linspace(0.0, 1.0, bands)
    centres = np.linspace(0.15, 0.85, msi_bands)
    srf = np.exp(-0.5 * ((wl[None] - centres[:, None]) / 0.1) ** 2)
    return srf / srf.sum(axis=1, keepdims=True)


def suite_scene(bands: int = 24, msi_bands: int = 4, ratio: int = 4, lr: int = 12,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray,
                                        np.ndarray]:
    """(lrhsi, hrmsi, gt) as (1, ., ., .) float32, srf, psf: the suite's Wald simulator."""
    gt = smooth_cube(np.random.default_rng(seed), bands, ratio * lr)
    psf = gaussian_psf(*default_psf(ratio))
    srf = gaussian_srf(msi_bands, bands)
    lrhsi = blur_decimate(torch.from_numpy(gt), psf, ratio)
    hrmsi = torch.from_numpy(np.tensordot(srf, gt, axes=1))
    return (lrhsi[None].float(), hrmsi[None].float(), torch.from_numpy(gt)[None].float(), srf,
            psf)


@pytest.fixture(scope="module")
def scene():
    return suite_scene()


@pytest.fixture(scope="module")
def bicubic_scores(scene):
    lrhsi, hrmsi, gt, _, _ = scene
    out = methods.build("bicubic", 24, 4, 4)(lrhsi, hrmsi)
    return float(metrics.psnr(out, gt)), float(metrics.sam(out, gt))


def build(name: str, bands: int = 24, msi_bands: int = 4, ratio: int = 4, **cfg):
    return methods.build(name, bands, msi_bands, ratio, **{**FAST.get(name, {}), **cfg})


# ----------------------------------------------------------------------------------- registry


@pytest.mark.parametrize("name", CLASSICAL)
def test_entry_is_classical_with_paper_needs_and_recorded_params(name):
    spec = methods.get(name)
    assert spec.family == "classical" and spec.domain == "unit"
    assert spec.needs == frozenset({"srf", "psf"})
    assert len(spec.paper) > 20 and spec.label
    built = methods.build(name, 24, 4, 4)
    assert spec.config_of(built, 24, 4, 4) == {"bands": 24, "msi_bands": 4, "ratio": 4,
                                               **built.params}
    assert not list(built.parameters())


def test_build_overrides_are_recorded_in_params():
    assert methods.build("hysure", 24, 4, 4, subspace=5, lambda_phi=1e-2).params["subspace"] == 5
    assert methods.build("cnmf", 24, 4, 4, endmembers=7).params["endmembers"] == 7


# ---------------------------------------------------------------------------- sensor helpers


def test_degrade_matches_the_suite_simulator_at_offset_one():
    rng = np.random.default_rng(1)
    cube = rng.random((3, 32, 32))
    psf = gaussian_psf(*default_psf(4))  # 12 x 12, block-centred decimation
    expected = blur_decimate(torch.from_numpy(cube), psf, 4).numpy()
    np.testing.assert_allclose(correlate(cube, psf, 4, 1), expected, atol=1e-12)
    assert Sensors(np.eye(3), psf, 4, 1).centre == pytest.approx((1.5, 1.5))


def test_correlate_separable_equals_the_2d_kernel():
    cube = np.random.default_rng(2).random((2, 24, 24))
    for even in (False, True):
        g = gaussian_1d(1.3, even)
        for offset in range(3):
            np.testing.assert_allclose(correlate_separable(cube, g, 3, offset),
                                       correlate(cube, np.outer(g, g), 3, offset), atol=1e-12)


def test_upsample_at_block_centres_is_bicubic_interpolation():
    cube = np.random.default_rng(3).random((3, 6, 9))
    for r in (2, 3, 4):
        expected = torch.nn.functional.interpolate(torch.from_numpy(cube)[None], scale_factor=r,
                                                   mode="bicubic", align_corners=False)[0]
        np.testing.assert_allclose(upsample(cube, r, ((r - 1) / 2, (r - 1) / 2)), expected.numpy(),
                                   atol=1e-12)


def scipy_scene(sigma: float, size: int, start: int, ratio: int = 4, seed: int = 4):
    """Blur with scipy (mirror borders, its own kernel anchoring), decimate from ``start``."""
    gt = smooth_cube(np.random.default_rng(seed), 20, ratio * 16)
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-0.5 * (x / sigma) ** 2)
    psf = np.outer(g, g) / np.outer(g, g).sum()
    lrhsi = ndi.correlate(gt, psf[None], mode="mirror")[:, start::ratio, start::ratio]
    srf = gaussian_srf(4, 20)
    return lrhsi, np.tensordot(srf, gt, axes=1), srf


@pytest.mark.parametrize("size,start", [(11, 0), (11, 2), (12, 2)])
def test_gaussian_psf_fit_recovers_width_and_sampling_centre(size, start):
    sigma = 1.8
    lrhsi, hrmsi, srf = scipy_scene(sigma, size, start)
    # scipy anchors a kernel of size k at k // 2, so the sampled centre is start - (k even) / 2
    true_centre = start - 0.5 * (size % 2 == 0)
    for given_srf in (srf, None):
        fitted, offset, even = fit_gaussian_psf(lrhsi, hrmsi, 4, given_srf)
        assert fitted == pytest.approx(sigma, rel=0.05)
        assert offset + 0.5 * even == true_centre


def test_fit_offset_finds_the_decimation_phase_of_a_given_psf():
    lrhsi, hrmsi, srf = scipy_scene(1.8, 11, 3)
    psf = np.outer(gaussian_1d(1.8), gaussian_1d(1.8))
    assert fit_offset(lrhsi, hrmsi, 4, psf, srf) == 3
    assert fit_offset(lrhsi, hrmsi, 4, psf, None) == 3


@pytest.mark.parametrize("nonneg", [True, False])
def test_estimated_srf_reproduces_the_degraded_msi(nonneg):
    lrhsi, hrmsi, _, _, psf = suite_scene(seed=5)
    lr, hr = lrhsi[0].double().numpy(), hrmsi[0].double().numpy()
    msi_lr = correlate(hr, psf, 4, 1)
    srf = estimate_srf(lr, msi_lr, nonneg=nonneg)
    assert srf.shape == (4, 24)
    if nonneg:
        assert (srf >= 0).all()
    residual = np.tensordot(srf, lr, axes=1) - msi_lr
    assert np.linalg.norm(residual) < 1e-3 * np.linalg.norm(msi_lr)


def test_missing_responses_are_estimated_and_reported(scene):
    lrhsi, hrmsi, _, srf, psf = scene
    lr, hr = lrhsi[0].double().numpy(), hrmsi[0].double().numpy()
    estimated = fit_sensors(lr, hr, 4)
    assert estimated.summary()["srf"] == "estimated"
    assert estimated.summary()["psf"] == "gaussian_fit"
    assert estimated.psf_sigma == pytest.approx(default_psf(4)[1], rel=0.05)
    assert estimated.centre == pytest.approx((1.5, 1.5))
    given = fit_sensors(lr, hr, 4, srf, psf)
    assert (given.srf_source, given.psf_source, given.offset) == ("given", "given", 1)


@pytest.mark.parametrize("name,srf_source", [("gsa", "not used"), ("sfim", "not used"),
                                              ("mtf_glp_hs", "not used"), ("cnmf", "estimated"),
                                              ("hysure", "estimated")])
def test_a_missing_srf_is_estimated_only_by_methods_that_use_it(name, srf_source, scene):
    lrhsi, hrmsi, _, _, _ = scene
    model = build(name)
    model(lrhsi, hrmsi)
    assert model.sensors[0].summary()["srf"] == srf_source
    assert (model.sensors[0].srf is None) == (srf_source == "not used")


# ----------------------------------------------------------------------------------- methods


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("sensors", ["scene", "estimated"])
def test_method_beats_bicubic_on_psnr_and_sam(name, sensors, scene, bicubic_scores):
    lrhsi, hrmsi, gt, srf, psf = scene
    side = {"srf": srf, "psf": psf} if sensors == "scene" else {}
    out = build(name)(lrhsi, hrmsi, **side)
    assert out.shape == gt.shape and out.dtype == torch.float32
    assert float(metrics.psnr(out, gt)) > bicubic_scores[0] + 3.0
    assert float(metrics.sam(out, gt)) < bicubic_scores[1]


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("bands,msi_bands,ratio,lr,batch", [(7, 1, 3, 5, 1), (12, 6, 2, 7, 2)])
def test_method_handles_any_band_count_ratio_size_and_batch(name, bands, msi_bands, ratio, lr,
                                                            batch):
    g = torch.Generator().manual_seed(0)
    lrhsi = torch.rand(batch, bands, lr, lr, generator=g)
    hrmsi = torch.rand(batch, msi_bands, ratio * lr, ratio * lr, generator=g)
    model = build(name, bands, msi_bands, ratio)
    out = model(lrhsi, hrmsi)
    assert out.shape == (batch, bands, ratio * lr, ratio * lr)
    assert torch.isfinite(out).all()
    assert len(model.sensors) == batch


@pytest.mark.parametrize("name", ["gsa", "cnmf"])
def test_batch_is_fused_sample_by_sample(name):
    first, second = suite_scene(seed=6), suite_scene(seed=7)
    model = build(name)
    both = model(torch.cat([first[0], second[0]]), torch.cat([first[1], second[1]]))
    torch.testing.assert_close(both[1:], model(second[0], second[1]))


def test_cnmf_output_is_non_negative(scene):
    lrhsi, hrmsi, _, srf, psf = scene
    assert (build("cnmf")(lrhsi, hrmsi, srf=srf, psf=psf) >= 0).all()


def test_hysure_output_lies_in_the_lrhsi_subspace(scene):
    lrhsi, hrmsi, _, srf, psf = scene
    out = build("hysure", subspace=4)(lrhsi, hrmsi, srf=srf, psf=psf)[0].double().reshape(24, -1)
    basis = torch.linalg.svd(lrhsi[0].double().reshape(24, -1), full_matrices=False)[0][:, :4]
    torch.testing.assert_close(basis @ (basis.T @ out), out, atol=1e-5, rtol=1e-5)


def test_vca_picks_the_pure_pixels():
    rng = np.random.default_rng(8)
    endmembers = rng.random((30, 4)) + 0.1
    abundances = rng.dirichlet(np.ones(4) * 0.7, size=500).T
    abundances[:, :4] = np.eye(4)  # pure pixels at columns 0..3
    indices = vca(endmembers @ abundances, 4, np.random.default_rng(0))
    assert sorted(indices.tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize("pan", ["regression", "select"])
@pytest.mark.parametrize("name", ["sfim", "mtf_glp_hs"])
def test_pan_modes_both_sharpen(name, pan, scene, bicubic_scores):
    lrhsi, hrmsi, gt, srf, psf = scene
    out = build(name, pan=pan)(lrhsi, hrmsi, srf=srf, psf=psf)
    assert float(metrics.psnr(out, gt)) > bicubic_scores[0]


def test_bad_inputs_raise_value_errors_naming_the_argument():
    lrhsi, hrmsi = torch.rand(1, 24, 8, 8), torch.rand(1, 4, 32, 32)
    model = build("gsa")
    with pytest.raises(ValueError, match="hrmsi must be"):
        model(lrhsi, hrmsi[..., :30, :30])
    with pytest.raises(ValueError, match="lrhsi has 23 bands"):
        model(lrhsi[:, :23], hrmsi)
    with pytest.raises(ValueError, match="srf must be"):
        model(lrhsi, hrmsi, srf=np.ones((4, 23)))
    with pytest.raises(ValueError, match="psf must be"):
        model(lrhsi, hrmsi, psf=np.zeros((5, 5)))
    with pytest.raises(ValueError, match="lrhsi contains NaN"):
        model(lrhsi * math.nan, hrmsi)
    with pytest.raises(ValueError, match="endmembers"):
        methods.build("cnmf", 24, 4, 4, endmembers=0)
    with pytest.raises(ValueError, match="pan must be"):
        methods.build("sfim", 24, 4, 4, pan="mean")
    with pytest.raises(ValueError, match="ratio"):
        methods.build("hysure", 24, 4, 0)


# ------------------------------------------------------------------------------ quality bar


@pytest.fixture(scope="module")
def indian_pines_test():
    return list(datasets.get("indian_pines", split="test"))


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("sensors", ["scene", "estimated"])
def test_beats_bicubic_on_indian_pines_test_split(name, sensors, indian_pines_test):
    """Issue's quality bar: ratio 4, Landsat-8 4-band SRF, standard convention, PSNR and SAM.

    Default parameters (no iteration cuts); scores are averaged over the split's scenes.
    """
    scores = {"bicubic": [], name: []}
    for s in indian_pines_test:
        assert s.meta.ratio == 4 and s.msi_bands == 4
        side = {"srf": s.meta.srf, "psf": s.meta.psf} if sensors == "scene" else {}
        for key in scores:
            model = methods.build(key, s.bands, s.msi_bands, s.meta.ratio)
            out = model(s.lrhsi[None], s.hrmsi[None], **(side if key == name else {}))
            target = s.gt[None]
            scores[key].append((float(metrics.psnr(out, target, convention="standard")),
                                float(metrics.sam(out, target, convention="standard"))))
    (base_psnr, base_sam), (psnr, sam) = (np.mean(scores[k], axis=0) for k in ("bicubic", name))
    assert psnr > base_psnr
    assert sam < base_sam
