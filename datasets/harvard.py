"""Harvard real-world hyperspectral images (A. Chakrabarti and T. Zickler, "Statistics of
Real-World Hyperspectral Images", CVPR 2011) read as they are distributed.

The two archives (``CZ_hsdb``: 50 images under daylight; ``CZ_hsdbi``: 27 under artificial or
mixed light) unpack to MATLAB files, one per image, each with ``ref`` (H x W x 31, 420-720 nm in
10 nm steps; 1040 x 1392 in the release) and ``lbl`` (a mask of valid pixels, not used here).
A scene is named by its file stem; scenes are ordered by name (case ignored), so ``#n`` in a
protocol's list is the n-th file in that order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datasets.errors import DataError
from datasets.native import read_mat
from datasets.protocol import (
    Blur,
    Protocol,
    Response,
    Source,
    Split,
    Window,
    register_protocol_dataset,
)

BANDS = 31
WAVELENGTHS_NM = np.arange(420.0, 721.0, 10.0)
KEY = "ref"
CITATION = ("Harvard hyperspectral images: A. Chakrabarti, T. Zickler, 'Statistics of Real-World "
            "Hyperspectral Images', CVPR 2011, pp. 193-200; vision.seas.harvard.edu/hyperspec/")
TERMS = ("'unrestricted research and academic use' (the release's README; its web page says "
         "non-commercial research use), citing the CVPR 2011 paper")
# HIFtool's Harvard evaluation list (1-based numbers of its own files; see the protocol)
HIFTOOL_TEST = (74, 62, 71, 70, 57, 66, 75, 2, 35, 34, 23, 59, 29, 65, 28, 8, 43, 63, 42, 19, 13,
                33, 20, 36, 9)
SCENE_COUNT = 77


def scene_files(root: str | Path) -> list[Path]:
    """Every ``.mat`` file under ``root`` (any depth), ordered by name with case ignored."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(str(root), "no such folder", "the unpacked Harvard download (CZ_hsdb, "
                        "CZ_hsdbi)")
    files = sorted((p for p in root.rglob("*.mat") if p.is_file()),
                   key=lambda p: (p.stem.lower(), str(p)))
    if not files:
        raise DataError(str(root), "no .mat file below it",
                        "the unpacked Harvard download: one .mat file per image with key 'ref'")
    return files


def read_scene(path: str | Path) -> np.ndarray:
    """One image's ``ref`` as (31, H, W) float32, 420-720 nm."""
    return read_mat(path, KEY, BANDS)


PROTOCOLS = (
    Protocol(
        name="x8", ratio=8, blur=Blur("gaussian", 8, 5.0, boundary="zero", start=0, centre=3.0),
        response=Response("nikon_d700", ("r", "g", "b"), "sampled"),
        split=Split(scenes={"test": tuple(f"#{i}" for i in HIFTOOL_TEST),
                            "train": tuple(f"#{i}" for i in range(1, SCENE_COUNT + 1)
                                           if i not in HIFTOOL_TEST)},
                    crop=Window(0, 0, 1024, 1024),
                    note="HIFtool's 25-number evaluation list read as positions in the name "
                         "order of all 77 files (HIFtool's own numbering is not in its "
                         "repository); train = the other 52 (the suite's choice)"),
        normalisation="image-max",
        description="x8, HIFtool's 8x8 Gaussian (sigma 8//1.5 = 5, weights peaking at window tap "
                    "4) as a stride-8 convolution; top-left 1024x1024, each image divided by its "
                    "maximum",
        sources=(
            "HIFtool (Cao), Dataloader_tool/loader_L.py and its evaluation scripts: "
            "ref / ref.max() over the whole image, then Ground_Truth[:1024, :1024]; "
            "getGaussiankernel(sf, sf//1.5), stride-sf convolution without padding",
            "response: Nikon D700 (camspec, Jiang et al. 2013) sampled at Harvard's own "
            "420-720 nm centres (toolboxes that apply a 400-700 nm matrix to these bands shift "
            "it by 20 nm)",
        )),
)


def _open(root: str, protocol: Protocol, split: str) -> Source:
    files = scene_files(root)
    by_name = {f.stem.lower(): f for f in files}
    wanted = protocol.split.scenes[split]
    missing = []
    for name in wanted:
        if name.startswith("#"):
            if int(name[1:]) > len(files):
                missing.append(name)
        elif name.lower() not in by_name:
            missing.append(name)
    if missing:
        raise DataError(str(root), f"{len(files)} .mat files, so scenes {missing} are missing",
                        f"the {SCENE_COUNT} files of CZ_hsdb and CZ_hsdbi")

    def load(name: str) -> np.ndarray:
        return read_scene(files[int(name[1:]) - 1] if name.startswith("#") else by_name[name.lower()])

    labels = {f"#{i}": f.stem for i, f in enumerate(files, 1)}
    return Source("harvard", load, WAVELENGTHS_NM, np.full(BANDS, 10.0),
                  "'ref' values as stored (relative radiance)", CITATION, TERMS, str(root), labels)


register_protocol_dataset(
    "harvard", description="Harvard 77 images 1040x1392x31, 420-720 nm, .mat key 'ref' (--root)",
    source=CITATION, licence=TERMS, protocols=PROTOCOLS, open_source=_open)
