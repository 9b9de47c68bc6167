"""Washington DC Mall (HYDICE, 23 August 1995; distributed by Purdue University with MultiSpec,
D. Landgrebe and L. Biehl) read as it is distributed.

``dc.tif``: 191 bands (of HYDICE's 210; the water-absorption channels removed), 0.4-2.4 um,
1208 x 307 pixels, read with tifffile (the band axis is the one of length 191). The release's
``ReadMe.txt`` holds the wavelength table: one row per HYDICE channel, ``<210-channel number>
<centre> [<191-channel number>]``, the third number present only for the channels kept; centres
are in nm although the table's heading says um.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from datasets.errors import DataError
from datasets.native import find_file, read_geotiff
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

BANDS = 191
SHAPE_HW = (1208, 307)
CITATION = ("Washington DC Mall, HYDICE, 1995, provided with the permission of the Spectral "
            "Information Technology Application Center of Virginia; distributed by Purdue "
            "University (MultiSpec, D. Landgrebe and L. Biehl)")
TERMS = "no licence stated; distributed for research with the collector's permission"
README_NAMES = ("ReadMe.txt", "readme.txt", "README.txt")
TEST = Window(539, 88, 128, 128)

PROTOCOLS = (
    Protocol(
        name="x4-center", ratio=4, blur=Blur("gaussian-bilinear", 5, 2.0, boundary="reflect"),
        response=Response("sentinel2a_msi", ("2", "3", "4", "8A", "11", "12"), "gaussian"),
        normalisation="image-max",
        split=Split(windows={"test": (TEST,),
                             "train": grid_windows(*SHAPE_HW, 64, exclude=(TEST,))},
                    note="SSR-NET's central 128x128 test window of the 1208x307 image (rows "
                         "539-666, columns 88-215); train = the 64x64 grid tiles that share no "
                         "pixel with it"),
        description="x4, SSR-NET's central 128x128 test window, its Gaussian-then-bilinear "
                    "downsampling, Sentinel-2A 6-band HR-MSI",
        sources=(
            "test window and blur: SSR-NET (Zhang et al., IEEE TGRS 2020), data_loader.py "
            "(central image_size square; cv2.GaussianBlur((5, 5), 2) then cv2.resize by 1/4)",
            "response: Sentinel-2A MSI (HIFtool's loader.py uses Sentinel-2A for this set, all "
            "13 bands); here B2, B3, B4, B8A, B11, B12 from pyrsr, Gaussian HSI bands with the "
            "table's spacing as FWHM",
            "normalisation: the cube divided by its maximum (SSR-NET min-max scales to 0-255)",
        )),
)


def read_wavelengths(path: str | Path) -> np.ndarray:
    """(191,) band centres in nm from the release's ReadMe wavelength table."""
    kept: dict[int, float] = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        fields = line.split()
        try:
            numbers = [float(f) for f in fields]
        except ValueError:
            continue
        if len(numbers) == 3 and numbers[2].is_integer():
            kept[int(numbers[2])] = numbers[1]
    if sorted(kept) != list(range(1, BANDS + 1)):
        raise DataError(str(path), f"{len(kept)} rows with a 191-channel number",
                        "the wavelength table: '<210-channel> <centre> <191-channel>' rows for "
                        f"channels 1..{BANDS}")
    centres = np.asarray([kept[i] for i in range(1, BANDS + 1)])
    return centres * 1000.0 if centres.max() < 30.0 else centres


@lru_cache(maxsize=1)
def read_cube(root: str) -> tuple[np.ndarray, np.ndarray, str]:
    """((191, H, W) float32, (191,) centres nm, the .tif read)."""
    tif = find_file(root, ("dc.tif",), "Washington DC Mall")
    table = find_file(tif.parent, README_NAMES, "Washington DC Mall (the ReadMe beside dc.tif)")
    return read_geotiff(tif, BANDS), read_wavelengths(table), str(tif)


def _open(root: str, protocol: Protocol, split: str) -> Source:
    cube, centres, path = read_cube(str(root))
    return Source("dc-mall", lambda _: cube, centres, np.abs(np.gradient(centres)),
                  f"HYDICE values as stored in {Path(path).name}", CITATION, TERMS, path)


register_protocol_dataset(
    "dc-mall", description="Washington DC Mall HYDICE 1208x307x191, dc.tif + ReadMe table "
                           "(--root)",
    source=CITATION, licence=TERMS, protocols=PROTOCOLS, open_source=_open)
