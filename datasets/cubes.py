"""Reading a full hyperspectral cube and its band table, for ``datasets.prepare``.

Formats: MATLAB ``.mat`` (v5/v7 through scipy; v7.3, which is HDF5, through h5py), ``.npy``,
``.npz``, and ENVI ``.hdr``/``.img`` through the ``spectral`` package. MATLAB stores arrays
column-major, so h5py sees a v7.3 array's axes reversed; they are reversed back, and a cube saved
in MATLAB as H x W x C reads as (H, W, C) from either version. Wavelengths come from, in order: an
explicit band-table file, the ENVI header, or ``wavelengths_nm``/``fwhm_nm`` arrays beside the
cube in a .npz/.mat. A table given in micrometres (all centres < 30) is converted to nm. Missing
FWHM is estimated as the spacing between neighbouring centres (recorded as such).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

from datasets.errors import DataError
from datasets.wavelengths import read_spc

WAVELENGTH_KEYS = ("wavelengths_nm", "wavelengths", "wavelength")
FWHM_KEYS = ("fwhm_nm", "fwhm")
CUBE_KEYS = ("cube", "data", "gt")


@dataclass
class Cube:
    """A (H, W, C) cube with its bands; ``fwhm_source`` says where the FWHM came from."""

    data: np.ndarray
    wavelengths_nm: np.ndarray
    fwhm_nm: np.ndarray
    path: str
    key: str | None
    fwhm_source: str


def _to_nm(centres: np.ndarray, fwhm: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    if centres.max() < 30.0:  # micrometres
        return centres * 1000.0, None if fwhm is None else fwhm * 1000.0
    return centres, fwhm


def parse_band_ranges(spec: str) -> list[int]:
    """'104-108,150-163,220' -> the 1-based band numbers it names."""
    out: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        lo, _, hi = part.partition("-")
        try:
            out.extend(range(int(lo), int(hi or lo) + 1))
        except ValueError as err:
            raise ValueError(f"--drop-bands: cannot read {part!r}; expected e.g. 104-108,220"
                             ) from err
    return out


def _pick_key(keys: list[str], arrays: dict[str, np.ndarray], path: str, key: str | None) -> str:
    if key is not None:
        if key not in keys:
            raise DataError(path, f"missing key (has {sorted(keys)})", f"key {key!r}", key)
        return key
    cubes = [k for k in keys if arrays[k].ndim == 3]
    preferred = [k for k in CUBE_KEYS if k in cubes]
    if preferred:
        return preferred[0]
    if len(cubes) != 1:
        raise DataError(path, f"{len(cubes)} 3-D arrays ({sorted(cubes)})",
                        "exactly one 3-D array, or --key to name it")
    return cubes[0]


def _first(arrays: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray | None:
    for name in names:
        if name in arrays:
            return np.asarray(arrays[name], dtype=np.float64).ravel()
    return None


def read_arrays(path: str) -> dict[str, np.ndarray]:
    """The numeric arrays of a .mat (v5/v7/v7.3), .npz or .npy file, by name ("" for .npy)."""
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext == ".mat":
            import scipy.io

            try:
                m = scipy.io.loadmat(path)
            except NotImplementedError:  # v7.3: HDF5
                return _read_mat73(path)
            return {k: v for k, v in m.items()
                    if not k.startswith("__") and isinstance(v, np.ndarray)}
        if ext == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        if ext == ".npy":
            return {"": np.load(path, allow_pickle=False)}  # a bare array has no key
    except DataError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(path, f"cannot be read ({type(err).__name__}: {err})",
                        f"a valid {ext} file") from err
    raise DataError(path, f"unknown extension {ext!r}", ".mat, .npy, .npz or ENVI .hdr/.img")


def _read_mat73(path: str) -> dict[str, np.ndarray]:
    """The numeric top-level arrays of a MATLAB v7.3 file, axes in MATLAB's order."""
    import h5py

    with h5py.File(path, "r") as f:
        return {k: np.asarray(v).transpose() for k, v in f.items()
                if isinstance(v, h5py.Dataset) and np.issubdtype(v.dtype, np.number)}


def read_envi_cube(path: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """An ENVI image (its .hdr or data file): ((H, W, C) array, centres or None, FWHM or None)."""
    import spectral

    hdr = path if path.lower().endswith(".hdr") else os.path.splitext(path)[0] + ".hdr"
    if not os.path.isfile(hdr):
        raise DataError(path, "no ENVI header beside it", f"{hdr}")
    try:
        img = spectral.open_image(hdr)
        data = np.asarray(img.load())
    except Exception as err:  # spectral raises many kinds for a bad header or data file
        raise DataError(hdr, f"cannot be read ({type(err).__name__}: {err})",
                        "a valid ENVI header and data file") from err
    bands = img.bands
    centres = None if not bands.centers else np.asarray(bands.centers, dtype=np.float64)
    fwhm = None if not bands.bandwidths else np.asarray(bands.bandwidths, dtype=np.float64)
    return data, centres, fwhm


def read_cube(path: str, key: str | None = None, wavelengths_file: str | None = None,
              drop_bands: list[int] | None = None, layout: str = "auto") -> Cube:
    """Read a cube as (H, W, C) with its band centres and FWHM in nm.

    layout: "hwc", "chw", or "auto" (CHW when the first axis, and not the last, matches the
    number of bands; HWC otherwise). drop_bands: 1-based rows of the band table to remove so
    that it matches the cube (e.g. 92AV3C.spc's 220 rows for the 200-band corrected cube).
    """
    if not os.path.isfile(path):
        raise DataError(path, "file not found", "a cube (.mat, .npy, .npz or ENVI .hdr/.img)")
    if os.path.splitext(path)[1].lower() in (".hdr", ".img", ".dat", ".raw"):
        data, centres, fwhm = read_envi_cube(path)
        key, layout = None, "hwc"
    else:
        arrays = read_arrays(path)
        key = _pick_key(list(arrays), arrays, path, key)
        data = arrays[key]
        key = key or None
        centres, fwhm = _first(arrays, WAVELENGTH_KEYS), _first(arrays, FWHM_KEYS)
    if wavelengths_file is not None:
        centres, fwhm, _ = read_spc(wavelengths_file)
    table = wavelengths_file or path
    if centres is None:
        raise DataError(path, "no band wavelengths", "--wavelengths FILE, an ENVI header with "
                        "'wavelength', or a wavelengths_nm array beside the cube", key)
    if drop_bands:
        keep = np.setdiff1d(np.arange(1, len(centres) + 1), drop_bands) - 1
        centres = centres[keep]
        fwhm = None if fwhm is None else fwhm[keep]
    if data.ndim != 3:
        raise DataError(path, f"array has shape {data.shape}", "a 3-D cube", key)
    n = len(centres)
    if layout == "auto":
        layout = "chw" if data.shape[0] == n and data.shape[2] != n else "hwc"
    if layout not in ("hwc", "chw"):
        raise ValueError(f"layout must be auto, hwc or chw, got {layout!r}")
    if layout == "chw":
        data = data.transpose(1, 2, 0)
    if data.shape[2] != n:
        raise DataError(table, f"{n} band wavelengths but the cube has {data.shape[2]} bands "
                        f"(shape {data.shape} as {layout})",
                        "one wavelength per band (use --drop-bands or --layout)")
    if not np.issubdtype(data.dtype, np.number):
        raise DataError(path, f"dtype {data.dtype}", "a numeric cube", key)
    finite = np.isfinite(data)
    if not finite.all():
        bad = int(data.size - finite.sum())
        raise DataError(path, f"{bad} NaN/Inf values", "finite values", key)
    centres, fwhm = _to_nm(centres, fwhm)
    fwhm_source = "given"
    if fwhm is None or len(fwhm) != n or not np.all(fwhm > 0):
        fwhm = np.abs(np.gradient(centres)) if n > 1 else np.array([10.0])
        fwhm_source = "estimated as the spacing between neighbouring band centres"
    return Cube(np.ascontiguousarray(data), centres, fwhm, path, key, fwhm_source)
