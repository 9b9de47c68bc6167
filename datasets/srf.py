"""Spectral response matrices (c x C) from real sensor responses.

Responses come from ``pyrsr`` (Apache-2.0; satellite sensors, sampled at 1 nm) or from a table
shipped in ``data/responses/<name>.csv`` (cameras; each file's header says where its numbers come
from). Two band models turn a response into a matrix:

- "gaussian": each hyperspectral band C is a Gaussian with its centre and FWHM, and
  SRF[c, C] = sum_lambda RSR_c(lambda) * g_C(lambda) on a 1 nm grid (g_C of unit area; a table
  is interpolated linearly onto that grid);
- "sampled": SRF[c, C] = RSR_c(centre_C), the response interpolated linearly at the band centre
  (what fusion toolboxes do with a camera table at the HSI's own 10 nm sampling).

Either way each row is then normalised to sum 1, so a flat spectrum maps to the same flat value,
and a response is always evaluated at the dataset's own band centres (Harvard's 420-720 nm bands
get the 420-720 nm part of a 400-720 nm table). Nothing here touches the network.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

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
BAND_MODELS = ("gaussian", "sampled")
MIN_COVERAGE = 0.5  # fraction of an MSI band's response that must fall inside the HSI range


def sensor_bands(sensor: str, bands: int | Sequence[str]) -> tuple[str, ...]:
    """pyrsr band names for ``bands`` (a count in the sensor's table, or explicit names)."""
    if sensor in response_tables():
        names = read_table(sensor)[2]
        if isinstance(bands, int):
            if bands != len(names):
                raise ValueError(f"{sensor} has {len(names)} bands {list(names)}, got {bands}")
            return names
        unknown = [b for b in bands if b not in names]
        if unknown:
            raise ValueError(f"{sensor} has bands {list(names)}, not {unknown}")
        return tuple(str(b) for b in bands)
    if sensor not in SENSORS:
        raise ValueError(f"sensor must be one of {sorted(SENSORS) + response_tables()}, got "
                         f"{sensor!r}")
    table = SENSORS[sensor][2]
    if isinstance(bands, int):
        if bands not in table:
            raise ValueError(f"bands for {sensor} must be one of {sorted(table)} or a list of "
                             f"band names, got {bands}")
        return table[bands]
    return tuple(str(b) for b in bands)


def response_tables() -> list[str]:
    """Names of the response tables shipped in ``data/responses``."""
    folder = resources.files("datasets") / "data" / "responses"
    return sorted(p.name.removesuffix(".csv") for p in folder.iterdir() if p.name.endswith(".csv"))


@lru_cache(maxsize=8)
def read_table(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], str]:
    """A shipped table: ((L,) wavelengths nm, (c, L) responses as given, band names, provenance
    (its ``#`` header lines joined))."""
    ref = resources.files("datasets") / "data" / "responses" / f"{name}.csv"
    text = ref.read_text(encoding="utf-8").splitlines()
    header = [line.lstrip("# ").rstrip() for line in text if line.startswith("#")]
    rows = list(csv.reader(line for line in text if line.strip() and not line.startswith("#")))
    columns, values = rows[0], np.asarray(rows[1:], dtype=np.float64)
    return values[:, 0], values[:, 1:].T.copy(), tuple(columns[1:]), " ".join(header)


@lru_cache(maxsize=16)
def sensor_rsr(sensor: str, bands: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(L,) wavelengths in nm and (c, L) responses: pyrsr's on a 1 nm grid with each band's peak
    1, or a shipped table's at its own sampling."""
    if sensor in response_tables():
        wl, resp, names, _ = read_table(sensor)
        return wl, resp[[names.index(b) for b in bands]]
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


def srf_settings(sensor: str, bands: int | Sequence[str], band_model: str = "gaussian") -> dict:
    """How an SRF was made, as plain JSON values."""
    from importlib.metadata import version

    model = ("gaussian(centre, fwhm) on a 1 nm grid" if band_model == "gaussian"
             else "response sampled at each band centre")
    if sensor in response_tables():
        model, source = f"{model} (table interpolated linearly)", read_table(sensor)[3]
    else:
        source = f"pyrsr {version('pyrsr')}"
    return {"sensor": sensor, "bands": list(sensor_bands(sensor, bands)),
            "band_model": f"{model}, rows sum to 1", "source": source}


def srf_matrix(
    wavelengths_nm: np.ndarray,
    fwhm_nm: np.ndarray,
    sensor: str = "landsat8_oli",
    bands: int | Sequence[str] = 4,
    band_model: str = "gaussian",
) -> np.ndarray:
    """(c, C) float64 SRF of ``sensor``'s ``bands`` for HSI bands with these centres and FWHM (nm).

    Rows sum to 1. Raises ValueError when fewer than half of an MSI band's response lies within
    the HSI's range (first centre - FWHM to last centre + FWHM), or, for "sampled", when a band
    centre lies outside the response's own range.
    """
    if band_model not in BAND_MODELS:
        raise ValueError(f"band_model must be one of {BAND_MODELS}, got {band_model!r}")
    centres = np.asarray(wavelengths_nm, dtype=np.float64).ravel()
    fwhm = np.asarray(fwhm_nm, dtype=np.float64).ravel()
    if centres.shape != fwhm.shape:
        raise ValueError(f"wavelengths_nm and fwhm_nm must have the same length, got "
                         f"{centres.size} and {fwhm.size}")
    if not (np.all(np.isfinite(centres)) and np.all(fwhm > 0)):
        raise ValueError("wavelengths_nm must be finite and fwhm_nm positive")
    names = sensor_bands(sensor, bands)
    wl, resp = sensor_rsr(sensor, names)
    if band_model == "sampled":
        if centres.min() < wl[0] or centres.max() > wl[-1]:
            raise ValueError(f"{sensor} is tabulated over {wl[0]:.0f}-{wl[-1]:.0f} nm; band "
                             f"centres {centres.min():.0f}-{centres.max():.0f} nm lie outside it")
        srf = np.stack([np.interp(centres, wl, r) for r in resp])
        return srf / srf.sum(1, keepdims=True)
    if np.any(np.diff(wl) != 1.0):
        grid = np.arange(np.ceil(wl[0]), np.floor(wl[-1]) + 1.0)
        resp = np.stack([np.interp(grid, wl, r) for r in resp])
        wl = grid
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
