"""Array helpers for the image figures: display bands, false colour, zoom window, pixels, gaps.

All cubes are (C, H, W) float arrays in [0, 1] units.
"""

from __future__ import annotations

import numpy as np

AVIRIS_172_DISPLAY_BANDS = (25, 15, 6)  # R, G, B of the 172-band AVIRIS cubes (HSSDCT code)
RGB_NM = (650.0, 550.0, 450.0)


def display_bands(n_bands: int, wavelengths_nm: np.ndarray | None = None) -> tuple[int, int, int]:
    """R, G, B band indices: AVIRIS [25, 15, 6] for 172 bands, else nearest 650/550/450 nm,
    else bands at 3/4, 1/2 and 1/4 of the cube when wavelengths are unknown."""
    if n_bands < 1:
        raise ValueError(f"n_bands must be >= 1, got {n_bands}")
    if n_bands == 172:
        return AVIRIS_172_DISPLAY_BANDS
    if wavelengths_nm is not None and len(wavelengths_nm) == n_bands:
        wl = np.asarray(wavelengths_nm, dtype=float)
        r, g, b = (int(np.nanargmin(np.abs(wl - nm))) for nm in RGB_NM)
        return r, g, b
    r, g, b = (int(round(f * (n_bands - 1))) for f in (0.75, 0.5, 0.25))
    return r, g, b


def band_stats(cube: np.ndarray, bands: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and standard deviation of ``cube[bands]`` over pixels, each (len(bands),)."""
    sel = cube[list(bands)].reshape(len(bands), -1).astype(np.float64)
    return np.nanmean(sel, axis=1), np.nanstd(sel, axis=1)


def false_colour(cube: np.ndarray, bands: tuple[int, int, int],
                 stats: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(H, W, 3) image in [0, 1]: each band standardised, clipped at ±2σ, mapped to [0, 1].

    stats: per-band (mean, std) to standardise with (pass the GT's so that every panel shares
    one mapping); the cube's own when None.
    """
    mean, std = stats if stats is not None else band_stats(cube, bands)
    sel = cube[list(bands)].astype(np.float64)
    std = np.where(std > 0, std, 1.0)
    z = (sel - mean[:, None, None]) / std[:, None, None]
    rgb = (np.clip(z, -2.0, 2.0) + 2.0) / 4.0
    return np.nan_to_num(rgb, nan=0.0).transpose(1, 2, 0)


def zoom_window(error: np.ndarray | None, shape: tuple[int, int]) -> tuple[int, int, int]:
    """(top, left, size) of a square window of side max(4, min(H, W) // 6) (at most min(H, W)).

    Placed where the (H, W) ``error`` map has its largest window sum (first in row-major order),
    or at the centre when ``error`` is None.
    """
    h, w = shape
    size = min(max(4, min(h, w) // 6), h, w)
    if error is None or not np.isfinite(error).any():
        return (h - size) // 2, (w - size) // 2, size
    e = np.nan_to_num(np.asarray(error, dtype=np.float64), nan=0.0)
    c = np.pad(e.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = c[size:, size:] - c[:-size, size:] - c[size:, :-size] + c[:-size, :-size]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top), int(left), size


def spectrum_pixels(shape: tuple[int, int]) -> list[tuple[int, int]]:
    """Centre, upper-left quartile and lower-right quartile pixels (row, col) of an (H, W) image."""
    h, w = shape
    pixels = [(h // 2, w // 2), (h // 4, w // 4), ((3 * h) // 4, (3 * w) // 4)]
    return list(dict.fromkeys(pixels))


def break_gaps(x: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    """Insert NaN where consecutive x steps exceed 2.5x the median step (e.g. removed water bands),
    so that plotted lines break there. Returns (x, *ys) with the NaNs inserted."""
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return (x, *(np.asarray(y, dtype=float) for y in ys))
    steps = np.diff(x)
    gaps = np.flatnonzero(steps > 2.5 * np.median(steps)) + 1
    return tuple(np.insert(np.asarray(a, dtype=float), gaps, np.nan) for a in (x, *ys))
