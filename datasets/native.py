"""Reading one cube as it is distributed: finding its file in a download, and the formats the
public datasets use (MATLAB v5/v7.3 through scipy/h5py, ENVI through ``spectral``, GeoTIFF through
``tifffile``). Every reader returns (C, H, W) float32 and raises ``DataError`` naming the file and
what was expected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datasets.cubes import read_arrays, read_envi_cube
from datasets.errors import DataError

__all__ = ["band_axis_last", "find_file", "read_envi", "read_geotiff", "read_mat",
           "read_wavelengths_header"]


def find_file(root: str | Path, names: tuple[str, ...], what: str) -> Path:
    """The first file under ``root`` (at any depth) whose name is one of ``names`` (case
    ignored); DataError naming ``root`` and the names when there is none."""
    root = Path(root)
    if root.is_file() and root.name.lower() in {n.lower() for n in names}:
        return root
    if not root.is_dir():
        raise DataError(str(root), "no such folder", f"the unpacked {what} download")
    wanted = {n.lower() for n in names}
    found = sorted((p for p in root.rglob("*") if p.name.lower() in wanted and p.is_file()),
                   key=lambda p: (len(p.parts), str(p)))
    if not found:
        raise DataError(str(root), f"no file named {' or '.join(names)} below it",
                        f"the unpacked {what} download")
    return found[0]


def band_axis_last(data: np.ndarray, bands: int, path: str, key: str | None = None) -> np.ndarray:
    """(H, W, C) or (C, H, W) with C = ``bands`` -> (C, H, W) float32."""
    if data.ndim != 3:
        raise DataError(path, f"array has shape {data.shape}", f"a 3-D cube with {bands} bands",
                        key)
    if data.shape[2] == bands:
        data = data.transpose(2, 0, 1)
    elif data.shape[0] != bands:
        raise DataError(path, f"array has shape {data.shape}", f"{bands} bands (first or last "
                        "axis)", key)
    if not np.issubdtype(data.dtype, np.number):
        raise DataError(path, f"dtype {data.dtype}", "a numeric cube", key)
    out = np.ascontiguousarray(data, dtype=np.float32)
    if not np.isfinite(out).all():
        raise DataError(path, f"{int((~np.isfinite(out)).sum())} NaN/Inf values", "finite values",
                        key)
    return out


def read_mat(path: str | Path, key: str, bands: int) -> np.ndarray:
    """Array ``key`` of a MATLAB file (v5/v7, or v7.3 = HDF5), stored H x W x C in MATLAB's
    orientation, as (C, H, W) float32."""
    arrays = read_arrays(str(path))
    if key not in arrays:
        raise DataError(str(path), f"missing key (has {sorted(arrays)})", f"key {key!r}", key)
    return band_axis_last(arrays[key], bands, str(path), key)


def read_envi(header: str | Path, bands: int) -> tuple[np.ndarray, np.ndarray | None]:
    """An ENVI image by its ``.hdr``: ((C, H, W) float32, (C,) band centres in nm or None)."""
    data, centres, _ = read_envi_cube(str(header))
    return band_axis_last(data, bands, str(header)), centres


def read_geotiff(path: str | Path, bands: int) -> np.ndarray:
    """A multi-band (Geo)TIFF, band-interleaved or pixel-interleaved, as (C, H, W) float32."""
    import tifffile

    try:
        data = tifffile.imread(str(path))
    except Exception as err:  # tifffile raises several kinds for a damaged file
        raise DataError(str(path), f"cannot be read as a TIFF ({type(err).__name__}: {err})",
                        f"a {bands}-band GeoTIFF") from err
    return band_axis_last(np.asarray(data), bands, str(path))


def read_wavelengths_header(header: str | Path, bands: int) -> np.ndarray:
    """(C,) band centres in nm from an ENVI header's ``wavelength`` field (micrometres
    converted); DataError when the field is missing or has another length."""
    from spectral.io.envi import read_envi_header

    try:
        fields = read_envi_header(str(header))
    except Exception as err:  # spectral raises its own kinds for a bad header
        raise DataError(str(header), f"cannot be read ({type(err).__name__}: {err})",
                        "an ENVI header") from err
    values = fields.get("wavelength")
    if not values or len(values) != bands:
        raise DataError(str(header), f"{len(values or [])} wavelengths",
                        f"a 'wavelength' field with {bands} values")
    centres = np.asarray([float(v) for v in values], dtype=np.float64)
    return centres * 1000.0 if centres.max() < 30.0 else centres
