"""The degradation simulator: PSF, decimation grid, SRF from real responses, noise, misalignment."""

import math

import numpy as np
import pytest
import torch

from datasets.simulate import (
    add_awgn,
    blur_decimate,
    default_psf,
    gaussian_psf,
    shift,
    simulate_scene,
    srf_matrix,
)

# USGS-published Landsat-8 OLI centre wavelengths (nm), B2..B7.
OLI_CENTRES = [482.0, 561.4, 654.6, 864.7, 1608.9, 2200.7]
NARROW = np.arange(400.0, 2501.0)  # 1 nm wide "hyperspectral" bands every nm


def test_psf_sums_to_one_and_is_centred():
    for size, sigma in [(12, 1.98), (7, 1.0), (1, 0.5)]:
        psf = gaussian_psf(size, sigma)
        assert psf.shape == (size, size)
        assert psf.sum() == pytest.approx(1.0, abs=1e-12)
        u = np.arange(size)
        assert u @ psf.sum(0) == pytest.approx((size - 1) / 2)
        np.testing.assert_allclose(psf, psf.T)


def test_default_psf_puts_mtf_03_at_lr_nyquist_for_ratio_4():
    size, sigma = default_psf(4)
    assert size == 12 and size % 2 == 0
    mtf = math.exp(-2 * math.pi**2 * sigma**2 * (1 / 8) ** 2)  # Gaussian MTF at f = 1/(2r)
    assert mtf == pytest.approx(0.3, abs=1e-9)
    assert default_psf(3)[0] % 2 == 1


def test_decimation_samples_block_centres():
    ramp = torch.arange(64, dtype=torch.float32)
    rows = ramp[:, None].expand(64, 64)[None]
    cols = ramp[None, :].expand(64, 64)[None]
    psf = gaussian_psf(*default_psf(4))
    lr_rows, lr_cols = blur_decimate(rows, psf, 4), blur_decimate(cols, psf, 4)
    centres = 4 * torch.arange(16) + 1.5  # LR pixel i covers HR pixels 4i..4i+3
    inner = slice(2, -2)  # away from the reflect-padded borders
    torch.testing.assert_close(lr_rows[0, inner, 5], centres[inner], atol=1e-4, rtol=0)
    torch.testing.assert_close(lr_cols[0, 5, inner], centres[inner], atol=1e-4, rtol=0)


def test_decimation_with_box_psf_is_block_mean():
    x = torch.rand(3, 8, 8)
    box = np.full((4, 4), 1 / 16)
    torch.testing.assert_close(blur_decimate(x, box, 4),
                               x.reshape(3, 2, 4, 2, 4).mean((2, 4)), atol=1e-6, rtol=0)


def test_decimation_rejects_psf_of_wrong_parity_and_bad_size():
    with pytest.raises(ValueError, match="parity"):
        blur_decimate(torch.zeros(1, 8, 8), gaussian_psf(7, 1.0), 4)
    with pytest.raises(ValueError, match="multiple of ratio"):
        blur_decimate(torch.zeros(1, 10, 8), gaussian_psf(12, 2.0), 4)


def test_awgn_measured_snr_is_within_half_a_db():
    x = torch.rand(20, 64, 64)
    for snr in (20.0, 35.0):
        noisy = add_awgn(x, snr, torch.Generator().manual_seed(1))
        noise = (noisy - x).double()
        measured = 10 * math.log10(float(x.double().pow(2).mean() / noise.pow(2).mean()))
        assert abs(measured - snr) < 0.5


def test_shift_moves_content_down_right_and_repeats_edges():
    x = torch.arange(16.0).reshape(1, 4, 4)
    y = shift(x, 1)
    assert torch.equal(y[0, 1:, 1:], x[0, :-1, :-1])
    assert torch.equal(y[0, 0, 1:], x[0, 0, :-1])  # top row repeats the (shifted) edge
    assert torch.equal(shift(x, (0, 2))[0, :, 2:], x[0, :, :2])


def test_srf_rows_sum_to_one_and_flat_spectrum_stays_flat():
    srf = srf_matrix(NARROW, np.ones_like(NARROW), "landsat8_oli", 6)
    assert srf.shape == (6, NARROW.size)
    np.testing.assert_allclose(srf.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(srf @ np.full(NARROW.size, 0.7), 0.7, atol=1e-12)


def test_srf_of_a_wavelength_ramp_gives_landsat8_band_centres():
    srf = srf_matrix(NARROW, np.ones_like(NARROW), "landsat8_oli", 6)
    np.testing.assert_allclose(srf @ NARROW, OLI_CENTRES, atol=1.0)


def test_srf_of_a_step_spectrum_separates_visible_from_nir():
    step = (NARROW < 615).astype(float)  # bright below 615 nm (between B3 and B4), dark above
    blue, green, red, nir = srf_matrix(NARROW, np.ones_like(NARROW)) @ step
    assert blue == pytest.approx(1.0, abs=1e-3) and green == pytest.approx(1.0, abs=1e-3)
    assert red == pytest.approx(0.0, abs=1e-3) and nir == pytest.approx(0.0, abs=1e-3)


def test_srf_weights_only_bands_under_the_response():
    centres = np.arange(400.0, 2501.0, 10.0)  # 10 nm bands, FWHM 10 nm
    red = srf_matrix(centres, np.full(centres.size, 10.0), "landsat8_oli", 4)[2]
    inside = (centres >= 630) & (centres <= 680)  # OLI B4 spans about 636-673 nm
    assert red[inside].sum() == pytest.approx(1.0, abs=1e-3)
    assert red[centres == 760.0] == pytest.approx(0.0, abs=1e-9)


def test_srf_offers_sentinel2_and_refuses_uncovered_bands():
    s2 = srf_matrix(NARROW, np.ones_like(NARROW), "sentinel2a_msi", 4)
    np.testing.assert_allclose(s2 @ NARROW, [492.4, 559.8, 664.6, 832.8], atol=1.5)
    with pytest.raises(ValueError, match="band 6"):
        srf_matrix(np.arange(400.0, 1000.0), np.ones(600), "landsat8_oli", 6)
    with pytest.raises(ValueError, match="sensor must be one of"):
        srf_matrix(NARROW, np.ones_like(NARROW), "worldview3")


def test_simulate_scene_records_everything_it_used():
    gt = 100 + 50 * torch.rand(30, 32, 32)
    wl = np.linspace(420, 2400, 30)
    s = simulate_scene(gt, wl, np.full(30, 40.0), snr_db=30, misalign_px=1, seed=3,
                       msi_bands=6, units="DN", source="test", licence="CC0")
    assert s.lrhsi.shape == (30, 8, 8) and s.hrmsi.shape == (6, 32, 32) and s.gt.shape == gt.shape
    assert s.gt.min() == 0 and s.gt.max() == 1
    torch.testing.assert_close(s.gt * s.meta.scale + s.meta.offset, gt)
    m = s.meta
    assert m.ratio == 4 and m.psf.shape == (12, 12) and m.srf.shape == (6, 30)
    np.testing.assert_array_equal(m.wavelengths_nm, wl)
    d = m.degradation
    assert d["snr_db"] == 30 and d["misalign_px"] == 1 and d["seed"] == 3
    assert d["srf"]["bands"] == ["2", "3", "4", "5", "6", "7"] and d["psf"]["size"] == 12
    assert m.source == "test" and m.licence == "CC0" and "DN" in m.units


def test_simulate_scene_noise_is_fixed_by_seed_and_products_are_independent():
    gt, wl, fw = torch.rand(30, 32, 32), np.linspace(420, 2400, 30), np.full(30, 40.0)
    a = simulate_scene(gt, wl, fw, snr_db=30, seed=1)
    b = simulate_scene(gt, wl, fw, snr_db=30, seed=1)
    c = simulate_scene(gt, wl, fw, snr_db=30, seed=2)
    assert torch.equal(a.lrhsi, b.lrhsi) and torch.equal(a.hrmsi, b.hrmsi)
    assert not torch.equal(a.lrhsi, c.lrhsi)
    shifted = simulate_scene(gt, wl, fw, snr_db=30, seed=1, misalign_px=2)
    assert torch.equal(shifted.lrhsi, shift(a.lrhsi, 2))  # same noise, then shifted
    assert torch.equal(shifted.hrmsi, a.hrmsi)
