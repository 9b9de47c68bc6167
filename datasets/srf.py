"""Spectral response matrices (c x C) from real sensor responses shipped by ``pyrsr`` (Apache-2.0).

Each hyperspectral band C is modelled as a Gaussian with its centre and FWHM. Each multispectral
band c has a relative spectral response (RSR) sampled at 1 nm by pyrsr. The matrix entry is the
overlap integral on that 1 nm grid,

    SRF[c, C] = sum_lambda RSR_c(lambda) * g_C(lambda),   g_C = unit-area Gaussian of band C,

and each row is then normalised to sum 1, so a flat spectrum maps to the same flat value. pyrsr
reads its bundled files, so nothing here touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))

# sensor key -> (pyrsr satellite, pyrsr sensor, {band count: pyrsr band names})
SENSORS: dict[str, tuple[str, str, dict[int, tuple[str, ...]]]] = {
    "landsat8_oli": ("Landsat-8", "OLI_TIRS", {4: ("2", "3", "4", "5"),
                                               6: ("2", "3", "4", "5", "6", "7")}),
    "landsat9_oli": ("Landsat-9", "OLI_TIRS", {4: ("2", "3", "4", "5"),
                                               6: ("2", "3", "4", "5", "6", "7")}),
    # 4 bands: Sentinel-2's four 10 m bands; 6 bands: the equivalents of Landsat OLI B2-B7.
    "sentinel2a_msi": ("Sentinel-2A", "MSI", {4: ("2", "3", "4", "8"),
                                              6: ("2", "3", "4", "8A", "11", "12")}),
    "sentinel2b_msi": ("Sentinel-2B", "MSI", {4: ("2", "3", "4", "8"),
                                              6: ("2", "3", "4", "8A", "11", "12")}),
}
MIN_COVERAGE = 0.5  # fraction of an MSI band's response that must fall inside the HSI range


def sensor_bands(sensor: str, bands: int | Sequence[str]) -> tuple[str, ...]:
    """pyrsr band names for ``bands`` (a count in the sensor's table, or explicit names)."""
    if sensor not in SENSORS:
        raise ValueError(f"sensor must be one of {sorted(SENSORS)}, got {sensor!r}")
    table = SENSORS[sensor][2]
    if isinstance(bands, int):
        if bands not in table:
            raise ValueError(f"bands for {sensor} must be one of {sorted(table)} or a list of "
                             f"band names, got {bands}")
        return table[bands]
    return tuple(str(b) for b in bands)


@lru_cache(maxsize=16)
def sensor_rsr(sensor: str, bands: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(L,) wavelengths in nm on a 1 nm grid and (c, L) responses, each band's peak 1."""
    from pyrsr import RSR

    satellite, instrument, _ = SENSORS[sensor]
    try:
        rsr = RSR(satellite, instrument, LayerBandsAssignment=list(bands))
    except FileNotFoundError as err:
        raise ValueError(f"{sensor}: pyrsr has no response for bands {list(bands)} ({err})"
                         ) from err
    wl = np.asarray(rsr.rsrs_wvl, dtype=np.float64)
    resp = np.stack([np.asarray(rsr.rsrs_norm01[b], dtype=np.float64) for b in rsr.bands])
    return wl, resp


def srf_matrix(
    wavelengths_nm: np.ndarray,
    fwhm_nm: np.ndarray,
    sensor: str = "landsat8_oli",
    bands: int | Sequence[str] = 4,
) -> np.ndarray:
    """(c, C) float64 SRF of ``sensor``'s ``bands`` for HSI bands with these centres and FWHM (nm).

    Rows sum to 1. Raises ValueError when fewer than half of an MSI band's response lies within
    the HSI's range (first centre - FWHM to last centre + FWHM).
    """
    centres = np.asarray(wavelengths_nm, dtype=np.float64).ravel()
    fwhm = np.asarray(fwhm_nm, dtype=np.float64).ravel()
    if centres.shape != fwhm.shape:
        raise ValueError(f"wavelengths_nm and fwhm_nm must have the same length, got "
                         f"{centres.size} and {fwhm.size}")
    if not (np.all(np.isfinite(centres)) and np.all(fwhm > 0)):
        raise ValueError("wavelengths_nm must be finite and fwhm_nm positive")
    names = sensor_bands(sensor, bands)
    wl, resp = sensor_rsr(sensor, names)
    lo, hi = (centres - fwhm).min(), (centres + fwhm).max()
    inside = (wl >= lo) & (wl <= hi)
    coverage = resp[:, inside].sum(1) / resp.sum(1)
    for name, cov in zip(names, coverage, strict=True):
        if cov < MIN_COVERAGE:
            raise ValueError(f"{sensor} band {name}: only {cov:.0%} of its response lies within "
                             f"the HSI range {lo:.0f}-{hi:.0f} nm; expected at least "
                             f"{MIN_COVERAGE:.0%}")
    sigma = fwhm * FWHM_TO_SIGMA
    gauss = np.exp(-0.5 * ((wl[None, :] - centres[:, None]) / sigma[:, None]) ** 2)
    gauss /= sigma[:, None] * np.sqrt(2.0 * np.pi)  # unit area; the grid step is 1 nm
    srf = resp @ gauss.T
    return srf / srf.sum(1, keepdims=True)
