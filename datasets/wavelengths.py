"""AVIRIS-Classic band tables: the 92AV3C flight's centres/FWHM and the band subsets the suite uses.

Source: ``data/aviris_92AV3C_bands.txt`` (a verbatim copy of ``92AV3C.spc`` from the Indian Pines
release, Purdue University Research Repository, doi:10.4231/R7RX991C, CC0). Its 220 rows hold, per
band: centre (nm), FWHM (nm), two calibration-uncertainty columns, and the AVIRIS channel number.
The channel numbers run 2..224 without 1, 33, 97 and 161: the first channel of each of AVIRIS's four
spectrometers (A 1-32, B 33-96, C 97-160, D 161-224), which the 220-band product dropped.

- ``indian_pines_bands()``: the 200 bands of the "corrected" cube (1-based rows 104-108, 150-163
  and 220 of the 220 removed).
- ``aviris_classic_bands()``: all 224 channels. The four missing channels are extrapolated
  linearly from the next two channels of their own spectrometer (FWHM copied from the next
  channel), since spectrometers overlap and a channel's neighbours across a boundary are not
  contiguous in wavelength.
- ``aviris172_bands()``: the 172 channels the HSSDCT/QRCODE cubes keep (1-based channels 1-10,
  104-116, 152-170 and 215-224 removed). Two of them (33 and 97) are extrapolated as above, and all
  centres are those of the 1992 flight, so they are AVIRIS-like, not the exact centres of other
  flights.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources

import numpy as np

from datasets.errors import DataError

AVIRIS_SPC = "aviris_92AV3C_bands.txt"
INDIAN_PINES_DROPPED_ROWS = (*range(104, 109), *range(150, 164), 220)  # 1-based rows of the 220
AVIRIS172_DROPPED_CHANNELS = (*range(1, 11), *range(104, 117), *range(152, 171), *range(215, 225))
SPECTROMETER_FIRST_CHANNELS = (1, 33, 97, 161)


def read_spc(path: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Read a band table: (centres, FWHM or None, channel numbers), one row per band.

    Columns: centre [, FWHM [, ..., channel in the 5th]], separated by spaces or commas. Lines
    that do not start with a number (headers) are skipped. Without a 5th column, channels are 1..n.
    """
    if not os.path.isfile(path):
        raise DataError(path, "file not found", "a band table (centre_nm [fwhm_nm] per line)")
    rows = []
    with open(path) as f:
        for line in f:
            try:
                rows.append([float(p) for p in line.replace(",", " ").split()])
            except ValueError:
                continue
    rows = [r for r in rows if r]
    if not rows:
        raise DataError(path, "no numeric rows", "a band table: centre_nm [fwhm_nm] per line")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataError(path, f"rows have {sorted(widths)} columns",
                        "the same number of columns on every row")
    table = np.asarray(rows, dtype=np.float64)
    fwhm = table[:, 1] if table.shape[1] >= 2 else None
    channels = table[:, 4].astype(int) if table.shape[1] >= 5 else np.arange(1, len(table) + 1)
    return table[:, 0], fwhm, channels


@lru_cache(maxsize=1)
def _spc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = resources.files("datasets") / "data" / AVIRIS_SPC
    with resources.as_file(path) as p:
        return read_spc(str(p))


def indian_pines_bands() -> tuple[np.ndarray, np.ndarray]:
    """(200,) centres and (200,) FWHM in nm of the corrected Indian Pines cube."""
    centres, fwhm, _ = _spc()
    keep = np.setdiff1d(np.arange(1, len(centres) + 1), INDIAN_PINES_DROPPED_ROWS) - 1
    return centres[keep].copy(), fwhm[keep].copy()


def aviris_classic_bands() -> tuple[np.ndarray, np.ndarray]:
    """(224,) centres and FWHM in nm for AVIRIS-Classic channels 1..224 (see module docstring)."""
    centres, fwhm, channels = _spc()
    by_channel = {int(ch): (c, w) for ch, c, w in zip(channels, centres, fwhm, strict=True)}
    for first in SPECTROMETER_FIRST_CHANNELS:
        if first in by_channel:
            continue
        (c1, w1), (c2, _) = by_channel[first + 1], by_channel[first + 2]
        by_channel[first] = (c1 - (c2 - c1), w1)
    out = np.array([by_channel[ch] for ch in range(1, 225)])
    return out[:, 0], out[:, 1]


def aviris172_bands() -> tuple[np.ndarray, np.ndarray]:
    """(172,) centres and FWHM in nm of the AVIRIS-Classic channels the paper's cubes keep."""
    centres, fwhm = aviris_classic_bands()
    keep = np.setdiff1d(np.arange(1, 225), AVIRIS172_DROPPED_CHANNELS) - 1
    return centres[keep], fwhm[keep]
