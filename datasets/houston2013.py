"""Houston 2013 (ITRES CASI-1500 over the University of Houston, June 2012; the IEEE GRSS Data
Fusion Contest 2013: C. Debes et al., IEEE JSTARS 7(6), 2014) read as it is distributed.

``2013_IEEE_GRSS_DF_Contest_CASI.tif``: 144 bands, 364-1046 nm, 349 x 1905 pixels, 2.5 m,
unsigned 16-bit, read with tifffile (band-interleaved or pixel-interleaved; the band axis is the
one of length 144, so the image is never transposed); ``..._CASI.hdr`` beside it gives the band
centres (its ``wavelength`` field).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from datasets.native import find_file, read_geotiff, read_wavelengths_header
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

BANDS = 144
SHAPE_HW = (349, 1905)
STEM = "2013_IEEE_GRSS_DF_Contest_CASI"
CITATION = ("Houston 2013: 2013 IEEE GRSS Data Fusion Contest, CASI hyperspectral image "
            "(University of Houston Hyperspectral Image Analysis Laboratory and NCALM); "
            "C. Debes et al., IEEE JSTARS 7(6), 2014")
TERMS = "research use under the contest's copyright.txt (acknowledge the data providers)"
ZSL_TEST = Window(0, 100, 336, 800)
MHF_TEST = Window(4, 680, 336, 880)

PROTOCOLS = (
    Protocol(
        name="x8", ratio=8, blur=Blur("gaussian", 12, 5.0, boundary="symmetric"),
        response=Response("worldview2", ("blue", "green", "red", "nir1"), "sampled"),
        normalisation="image-max",
        split=Split(windows={"test": (MHF_TEST,),
                             "train": (Window(4, 0, 336, 336), Window(4, 336, 336, 336),
                                       Window(4, 1568, 336, 336))},
                    note="MHF-net's column split: test columns 680-1559, train columns 0-671 and "
                         "1568-1903, rows 4-339 (MHF-net's rows 4-343 and columns 680-1564 cut "
                         "to multiples of 8)"),
        description="x8, MHF-net's test columns of the CASI image, 12x12 Gaussian sigma 5, "
                    "WorldView-2 B/G/R/NIR1",
        sources=(
            "split: MHF-net / BMHF-net (Xie et al., TPAMI 2020), rowData/CASI_Houston/"
            "GetTrainDFTCData.m: X(5:end-5,:,:), test columns 681-1565, train the rest",
            "blur: MHF-net's fixed Pavia kernel (GetPaviaData.m: fspecial('gaussian',[12 12],5), "
            "symmetric padding of 2, block-centred at x8); for Houston MHF-net draws random "
            "PSFs and its fixed test kernels ship only as a binary file",
            "response: WorldView-2 blue, green, red, NIR1, sampled at the band centres (MHF-net "
            "draws WorldView-2/3- and QuickBird-like responses at random for this set)",
        )),
    Protocol(
        name="x4-zsl", ratio=4, blur=Blur("gaussian", 7, 3.0, boundary="symmetric", start=-3),
        response=Response("band-mean", ("0-35", "36-71", "72-107", "108-143")),
        normalisation="crop-minmax",
        split=Split(windows={"test": (ZSL_TEST,),
                             "train": grid_windows(*SHAPE_HW, 224, exclude=(ZSL_TEST,))},
                    note="ZSL's 336x800 test window (rows 0-335, columns 100-899); train = the "
                         "224x224 grid tiles that share no pixel with it (the suite's choice)"),
        description="x4, the 336x800 window of Dian et al.'s zero-shot code, 7x7 Gaussian "
                    "sigma 3, symmetric borders, four band-mean MSI bands",
        sources=(
            "ZSL (Dian et al.; renweidian/ZSL) model1.py dataset_input('houston'): rows 0:336, "
            "columns 100:900, min-max over the crop, R[i, 36i:36(i+1)] = 1/36, "
            "fspecial('gaussian',7,3) by convolve2d(boundary='symm', mode='same') then [0::4]",
        )),
)


@lru_cache(maxsize=1)
def read_cube(root: str) -> tuple[np.ndarray, np.ndarray, str]:
    """((144, H, W) float32, (144,) band centres nm from the header, the .tif read)."""
    tif = find_file(root, (f"{STEM}.tif",), "Houston 2013 (2013_DFTC)")
    header = find_file(tif.parent, (f"{STEM}.hdr",), "Houston 2013 (its .hdr beside the .tif)")
    return read_geotiff(tif, BANDS), read_wavelengths_header(header, BANDS), str(tif)


def _open(root: str, protocol: Protocol, split: str) -> Source:
    cube, centres, path = read_cube(str(root))
    return Source("houston2013", lambda _: cube, centres, np.abs(np.gradient(centres)),
                  f"CASI at-sensor radiance as stored in {Path(path).name} (uint16)", CITATION,
                  TERMS, path)


register_protocol_dataset(
    "houston2013", description="Houston 2013 CASI 349x1905x144, 364-1046 nm, GeoTIFF + .hdr "
                               "(--root)",
    source=CITATION, licence=TERMS, protocols=PROTOCOLS, open_source=_open)
