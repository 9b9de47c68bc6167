"""Rebuild ``indian_pines.npz`` from the original release files (run once; kept for provenance).

    python datasets/data/vendor_indian_pines.py Indian_pines_corrected.mat 92AV3C.spc OUT.npz

Steps: read the (145, 145, 200) uint16 cube, transpose it to (200, 145, 145) (band-first
compresses better), take the centres and FWHM of the 200 kept bands from the 220-row ``.spc``
(1-based rows 104-108, 150-163 and 220 removed), and save everything with np.savez_compressed.
"""

from __future__ import annotations

import sys

import numpy as np
import scipy.io

CITATION = (
    "Baumgardner, M. F., Biehl, L. L., Landgrebe, D. A. (2015). 220 Band AVIRIS Hyperspectral "
    "Image Data Set: June 12, 1992 Indian Pine Test Site 3. Purdue University Research "
    "Repository. doi:10.4231/R7RX991C"
)
LICENCE = "CC0 1.0 (public domain dedication)"
DROPPED_ROWS = (*range(104, 109), *range(150, 164), 220)


def main(mat_path: str, spc_path: str, out_path: str) -> None:
    cube = scipy.io.loadmat(mat_path)["indian_pines_corrected"]
    if cube.shape != (145, 145, 200) or cube.dtype != np.uint16:
        raise SystemExit(f"{mat_path}: expected (145, 145, 200) uint16, "
                         f"got {cube.shape} {cube.dtype}")
    table = np.loadtxt(spc_path, skiprows=2)
    keep = np.setdiff1d(np.arange(1, len(table) + 1), DROPPED_ROWS) - 1
    np.savez_compressed(
        out_path,
        cube=np.ascontiguousarray(cube.transpose(2, 0, 1)),
        wavelengths_nm=table[keep, 0],
        fwhm_nm=table[keep, 1],
        aviris_channel=table[keep, 4].astype(np.int16),
        citation=np.array(CITATION),
        licence=np.array(LICENCE),
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
