"""Chikusei (Headwall Hyperspec-VNIR-C over Chikusei, Japan, 29 July 2014; N. Yokoya and
A. Iwasaki, tech. report SAL-2016-05-27, University of Tokyo, 2016) read as it is distributed.

128 bands, 363-1018 nm, 2517 x 2335 pixels (H x W), 2.5 m. Two releases:

- ENVI: ``HyperspecVNIR_Chikusei_20140729.hdr`` with its ``.bsq`` (16-bit, band-sequential);
  the header's ``wavelength`` field gives the band centres in micrometres.
- MATLAB v7.3 (HDF5): ``HyperspecVNIR_Chikusei_20140729.mat``, key ``chikusei``, H x W x C in
  MATLAB. h5py sees the axes reversed, (128, 2335, 2517); they are reversed back
  (``cubes.read_arrays``), so the image is 2517 x 2335, not its transpose (HIFtool's loader
  transposes it to 2335 x 2517). This file carries no wavelengths: the header is used when it is
  in the download too, otherwise the centres are taken evenly spaced over 363-1018 nm (recorded).

The ENVI release is read when both are present.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from datasets.native import find_file, read_envi, read_mat, read_wavelengths_header
from datasets.protocol import (
    Blur,
    Protocol,
    Response,
    Source,
    Split,
    Window,
    grid_windows,
    register_protocol_dataset,
)

BANDS = 128
SHAPE_HW = (2517, 2335)
STEM = "HyperspecVNIR_Chikusei_20140729"
KEY = "chikusei"
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
STATED_RANGE_NM = (363.0, 1018.0)
CITATION = ("Chikusei: N. Yokoya, A. Iwasaki, 'Airborne hyperspectral data over Chikusei', "
            "Space Application Laboratory, University of Tokyo, tech. report SAL-2016-05-27, 2016")
TERMS = ("CC BY 3.0, with the acknowledgement and citation the release's Readme.txt asks for "
         "(Space Application Laboratory, University of Tokyo)")
WV2_SAMPLED = Response("worldview2", ("coastal", "blue", "green", "yellow", "red", "red_edge",
                                      "nir1", "nir2"), "sampled")

SSPSR_TOP, SSPSR_LEFT, SSPSR_H, SSPSR_W = 106, 143, 2304, 2048  # the central crop, 0-based
SSPSR_TEST = tuple(Window(SSPSR_TOP, SSPSR_LEFT + 512 * k, 512, 512) for k in range(4))
ZSL_TEST = (Window(100, 100, 800, 800),)

PROTOCOLS = (
    Protocol(
        name="x4-tiles", ratio=4,
        blur=Blur("gaussian", 8, 4 / FWHM_PER_SIGMA, boundary="periodic", start=-3),
        response=WV2_SAMPLED, normalisation="image-max",
        split=Split(windows={
            "test": SSPSR_TEST,
            "train": grid_windows(SSPSR_TOP + SSPSR_H, SSPSR_LEFT + SSPSR_W, 256,
                                  row0=SSPSR_TOP + 512, col0=SSPSR_LEFT)},
            note="SSPSR's central crop rows 106-2409, columns 143-2190: its top 512 rows are the "
                 "four 512x512 test tiles, the 1792 rows below are train, cut here into 56 tiles "
                 "of 256 (SSPSR cuts 64x64 patches at stride 32)"),
        description="x4, four 512x512 test tiles (SSPSR split), Gaussian with FWHM = ratio, "
                    "WorldView-2 8-band HR-MSI",
        sources=(
            "split: SSPSR (Jiang et al., IEEE TCI 2020), mcodes/generate_Chikusei.m: "
            "chikusei(107:2410, 144:2191, :), top 512 rows as four 512x512 test images; SSPSR "
            "divides by the crop's maximum, here by the cube's",
            "blur: Gaussian 8x8 with FWHM = ratio (sigma 1.70 at x4), circular borders, sampled "
            "from the first pixel (MATLAB imfilter 'circular', window y-3..y+4): Q. Wei's Wald "
            "simulation as used by HyperTransformer (Bandara and Patel, CVPR 2022), "
            "process_chikusei.m",
            "response: WorldView-2, all 8 multispectral bands, as in Yokoya et al.'s comparative "
            "review (IEEE GRSM 2017) toolbox data for Chikusei; sampled at the band centres",
        )),
    Protocol(
        name="x4-zsl", ratio=4, blur=Blur("gaussian", 7, 3.0, boundary="symmetric", start=-3),
        response=Response("worldview2", ("coastal", "green", "red", "nir1"), "sampled"),
        normalisation="crop-minmax",
        split=Split(windows={"test": ZSL_TEST,
                             "train": grid_windows(2500, 2000, 400, row0=900)},
                    note="ZSL's 800x800 test window (rows and columns 100-899); train = 20 tiles "
                         "of 400 below it (the suite's choice: ZSL trains on the test image)"),
        description="x4, the 800x800 window of Dian et al.'s zero-shot code, 7x7 Gaussian "
                    "sigma 3, symmetric borders, sampled from the first pixel",
        sources=(
            "ZSL (Dian et al.; renweidian/ZSL) model1.py: h5py cube[:, 100:900, 100:900] with "
            "axes restored, min-max over the crop, fspecial('gaussian',7,3) by convolve2d("
            "boundary='symm', mode='same') then [0::4] (window 4i-3..4i+3)",
            "response: rows 0, 2, 4, 6 of the 8-band R in ZSL's Chikusei_data.mat (a binary file "
            "we could not read), taken here as WorldView-2 coastal, green, red, NIR1",
        )),
)


@lru_cache(maxsize=1)
def read_cube(root: str) -> tuple[np.ndarray, np.ndarray, str, str]:
    """((128, H, W) float32, (128,) centres nm, file read, where the centres come from)."""
    header = None
    try:
        header = find_file(root, (f"{STEM}.hdr",), "Chikusei")
    except ValueError:
        path = find_file(root, (f"{STEM}.mat",), "Chikusei (ENVI .hdr/.bsq or MATLAB .mat)")
        cube = read_mat(path, KEY, BANDS)
        centres = np.linspace(*STATED_RANGE_NM, BANDS)
        return cube, centres, str(path), "evenly spaced over the stated 363-1018 nm"
    cube, centres = read_envi(header, BANDS)
    if centres is None:
        centres = read_wavelengths_header(header, BANDS)
    centres = centres * 1000.0 if centres.max() < 30.0 else centres
    return cube, centres, str(header), f"the ENVI header {Path(header).name}"


def _open(root: str, protocol: Protocol, split: str) -> Source:
    cube, centres, path, origin = read_cube(str(root))
    return Source("chikusei", lambda name: cube, centres, np.abs(np.gradient(centres)),
                  f"values as stored in {Path(path).name}; band centres from {origin}",
                  CITATION, TERMS, path)


register_protocol_dataset(
    "chikusei", description="Chikusei 2517x2335x128, 363-1018 nm, ENVI or MATLAB v7.3 (--root)",
    source=CITATION, licence=TERMS, protocols=PROTOCOLS, open_source=_open)
