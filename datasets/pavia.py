"""Pavia University and Pavia Centre (ROSIS, 1.3 m; provided by P. Gamba, University of Pavia),
read as the EHU Computational Intelligence Group distributes them.

- ``PaviaU.mat``, key ``paviaU``: 610 x 340 x 103 (H x W x C).
- ``Pavia.mat``, key ``pavia``: 1096 x 715 x 102.

ROSIS covers 430-860 nm with 115 bands; the releases keep 103 and 102 of them and publish no
band table, so the centres are taken evenly spaced over 430-860 nm, as HySure does (recorded
with every scene).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from datasets.native import find_file, read_mat
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

RANGE_NM = (430.0, 860.0)
CITATION = ("ROSIS Pavia scenes, provided by Prof. P. Gamba (Telecommunications and Remote "
            "Sensing Laboratory, University of Pavia); distributed by the EHU Computational "
            "Intelligence Group (www.ehu.eus/ccwintco, Hyperspectral Remote Sensing Scenes)")
TERMS = "no licence stated; the distributor asks for credit to Prof. P. Gamba"
IKONOS = Response("ikonos", ("blue", "green", "red", "nir"), "sampled")
SSR_NET_BLUR = Blur("gaussian-bilinear", 5, 2.0, boundary="reflect")
SOURCES = (
    "test window: SSR-NET (Zhang et al., IEEE TGRS 2020), data_loader.py: the central "
    "128x128 square of the (trimmed) image; SSR-NET trains on the rest with that square zeroed, "
    "here on 64x64 tiles that do not touch it",
    "blur: SSR-NET, cv2.GaussianBlur((5, 5), 2) (border REFLECT_101) then cv2.resize by 1/4 "
    "(INTER_LINEAR: the mean of the two blurred pixels around each block centre)",
    "response: IKONOS blue, green, red, NIR (HySure, Simoes et al., IEEE TGRS 2015, "
    "demo_pavia_hs_ms.m), sampled at band centres spread evenly over 430-860 nm as HySure does; "
    "SSR-NET instead picks 5 of the cube's own bands",
    "normalisation: the cube divided by its maximum (HySure); SSR-NET min-max scales to 0-255",
)


def _protocols(height: int, width: int, test: Window) -> tuple[Protocol, ...]:
    return (Protocol(
        name="x4-center", ratio=4, blur=SSR_NET_BLUR, response=IKONOS, normalisation="image-max",
        split=Split(windows={"test": (test,),
                             "train": grid_windows(height, width, 64, exclude=(test,))},
                    note="SSR-NET's central 128x128 test window; train = the 64x64 grid tiles "
                         "that share no pixel with it"),
        description="x4, SSR-NET's central 128x128 test window, its Gaussian-then-bilinear "
                    "downsampling, IKONOS HR-MSI",
        sources=SOURCES),)


def _register(name: str, file: str, key: str, bands: int, shape: tuple[int, int],
              test: Window) -> None:
    @lru_cache(maxsize=1)
    def read(root: str) -> tuple[np.ndarray, str]:
        path = find_file(root, (file,), name)
        return read_mat(path, key, bands), str(path)

    def open_source(root: str, protocol: Protocol, split: str) -> Source:
        cube, path = read(str(root))
        centres = np.linspace(*RANGE_NM, bands)
        return Source(name, lambda _: cube, centres, np.abs(np.gradient(centres)),
                      f"values as stored in {Path(path).name}; band centres assumed evenly "
                      f"spaced over 430-860 nm", CITATION, TERMS, path)

    register_protocol_dataset(
        name, description=f"{name} {shape[0]}x{shape[1]}x{bands} ROSIS, {file} key '{key}' "
                          "(--root)",
        source=CITATION, licence=TERMS, protocols=_protocols(*shape, test), open_source=open_source)


_register("pavia-u", "PaviaU.mat", "paviaU", 103, (610, 340), Window(240, 105, 128, 128))
_register("pavia-c", "Pavia.mat", "pavia", 102, (1096, 715), Window(483, 292, 128, 128))
