"""CAVE (Columbia multispectral image database; Yasuma, Mitsunaga, Iso and Nayar, "Generalized
Assorted Pixel Camera", IEEE TIP 19(9), 2010) read as it is distributed.

The download unpacks to one folder per scene, often nested twice (``balloons_ms/balloons_ms/``),
each holding 31 PNGs ``<scene>_ms_NN.png``: band NN = 01 .. 31 is 400 .. 700 nm in 10 nm steps,
512 x 512, 16-bit greyscale (the database's page). Every file is read at its own bit depth
(Pillow, no conversion to 8 bits: loaders built on ``cv2.imread`` defaults or ``convert('L')``
keep 8 of the 16 bits) and divided by that depth's maximum (65535 or 255), so every cube is
reflectance-like on [0, 1]. Bands are ordered by their number, never by a directory listing (a
plain sort puts the scene's ``<scene>_RGB.bmp`` first). ``watercolors_ms`` is stored as
multi-channel images, in a way no source documents: a multi-channel file whose colour channels
are equal gives that channel; one whose channels differ is refused with a message, rather than
converted by a guess (several toolboxes leave the scene out).

- ``scene_folders(root)``: the folders under ``root`` that hold a CAVE band stack, by scene name.
- ``read_scene(folder)``: (31, H, W) float32 on [0, 1], bands in wavelength order.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from datasets.errors import DataError
from datasets.protocol import Blur, Protocol, Response, Source, Split, register_protocol_dataset

BANDS = 31
WAVELENGTHS_NM = np.arange(400.0, 701.0, 10.0)  # band NN is 400 + 10 (NN - 1) nm
BAND_FILE = re.compile(r"^(?P<scene>.+)_ms_(?P<band>\d{2})\.png$", re.IGNORECASE)

__all__ = ["BANDS", "PROTOCOLS", "SCENES", "WAVELENGTHS_NM", "band_files", "read_band",
           "read_scene", "scene_folders", "scene_name"]


def band_files(folder: str | Path) -> list[Path]:
    """The 31 band PNGs of the scene in ``folder``, in band order.

    Raises DataError naming the folder when a band is missing, repeated or out of range."""
    folder = Path(folder)
    found: dict[int, list[Path]] = {}
    for path in folder.iterdir():
        match = BAND_FILE.match(path.name)
        if match and path.is_file():
            found.setdefault(int(match["band"]), []).append(path)
    missing = [b for b in range(1, BANDS + 1) if b not in found]
    extra = sorted(b for b in found if not 1 <= b <= BANDS)
    repeated = sorted(b for b, paths in found.items() if len(paths) > 1)
    if missing or extra or repeated:
        problems = ([f"bands {missing} missing"] if missing else []) + (
            [f"bands {extra} out of range"] if extra else []) + (
            [f"bands {repeated} more than once"] if repeated else [])
        raise DataError(str(folder), ", ".join(problems),
                        f"{BANDS} files <scene>_ms_01.png .. <scene>_ms_{BANDS:02d}.png")
    return [found[b][0] for b in range(1, BANDS + 1)]


def read_band(path: str | Path) -> np.ndarray:
    """One band PNG as (H, W) float32 on [0, 1], at the file's own bit depth: 16-bit divided by
    65535, 8-bit by 255. A multi-channel file must have equal colour channels (alpha ignored)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            mode = image.mode
            pixels = np.asarray(image)
    except (OSError, UnidentifiedImageError) as err:
        raise DataError(str(path), f"cannot be read as a PNG ({err})", "a CAVE band PNG") from err
    if pixels.ndim == 3:  # RGB or RGBA: the band only if every colour channel holds it
        colour = pixels[..., :3].astype(np.int32)
        spread = int((colour.max(-1) - colour.min(-1)).max())
        if spread:
            raise DataError(str(path), f"{mode} image whose colour channels differ (by up to "
                            f"{spread})", "a greyscale band, or equal colour channels (CAVE's "
                            "watercolors_ms: leave the scene out or convert it yourself)")
        pixels = pixels[..., 0]
    if pixels.dtype == np.uint16 or mode.startswith("I;16"):
        scale = 65535.0
    elif pixels.dtype == np.uint8:
        scale = 255.0
    else:
        raise DataError(str(path), f"PNG mode {mode} ({pixels.dtype})",
                        "16-bit or 8-bit greyscale, or 8-bit multi-channel")
    return pixels.astype(np.float32) / np.float32(scale)


def read_scene(folder: str | Path) -> np.ndarray:
    """The scene in ``folder`` as (31, H, W) float32 on [0, 1], 400 .. 700 nm."""
    bands = [read_band(p) for p in band_files(folder)]
    shapes = {b.shape for b in bands}
    if len(shapes) != 1:
        raise DataError(str(folder), f"bands of different sizes {sorted(shapes)}",
                        "31 bands of one size (512 x 512 in the release)")
    return np.stack(bands)


def scene_name(folder: Path) -> str:
    """The scene a folder from ``scene_folders`` holds, from its band files (lower case)."""
    first = next(p for p in folder.iterdir() if BAND_FILE.match(p.name))
    return BAND_FILE.match(first.name)["scene"].lower()


def scene_folders(root: str | Path) -> list[Path]:
    """Every folder under ``root`` (at any depth) that holds a band-01 PNG, sorted by scene name;
    of a scene found twice (a zip unpacked into a folder of the same name), the deepest copy.

    Raises DataError when ``root`` is missing or holds no CAVE scene."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(str(root), "no such folder", "the unpacked CAVE download")
    by_scene: dict[str, Path] = {}
    for first in sorted(root.rglob("*_ms_01.png"), key=lambda p: len(p.parts)):
        match = BAND_FILE.match(first.name)
        if match:
            by_scene[match["scene"].lower()] = first.parent
    if not by_scene:
        raise DataError(str(root), "no file <scene>_ms_01.png below it",
                        "the unpacked CAVE download: one folder per scene with 31 band PNGs")
    return [by_scene[name] for name in sorted(by_scene)]


# ---- the registered dataset and its protocols ---------------------------------------------------

SCENES = (  # the release's 32 scenes, in Python's sorted() order of their names
    "balloons", "beads", "cd", "chart_and_stuffed_toy", "clay", "cloth", "egyptian_statue", "face",
    "fake_and_real_beers", "fake_and_real_food", "fake_and_real_lemon_slices",
    "fake_and_real_lemons", "fake_and_real_peppers", "fake_and_real_strawberries",
    "fake_and_real_sushi", "fake_and_real_tomatoes", "feathers", "flowers", "glass_tiles", "hairs",
    "jelly_beans", "oil_painting", "paints", "photo_and_face", "pompoms", "real_and_fake_apples",
    "real_and_fake_peppers", "sponges", "stuffed_toys", "superballs", "thread_spools",
    "watercolors",
)
CITATION = ("CAVE multispectral image database: F. Yasuma, T. Mitsunaga, D. Iso, S. K. Nayar, "
            "'Generalized Assorted Pixel Camera', tech. report CUCS-061-08, Columbia University, "
            "2008; www.cs.columbia.edu/CAVE/databases/multispectral/")
TERMS = "made available to the research community by Columbia University's CAVE (see its page)"


def by_index(indices: tuple[int, ...]) -> tuple[str, ...]:
    """Scene names of 1-based positions in ``SCENES``."""
    return tuple(SCENES[i - 1] for i in indices)


MHF_NET_IND = (2, 31, 25, 6, 27, 15, 19, 14, 12, 28, 26, 29, 8, 13, 22, 7, 24, 30, 10, 23, 18, 17,
               21, 3, 9, 4, 20, 5, 16, 32, 11, 1)
MHF_NET_SPLIT = Split(
    scenes={"train": by_index(MHF_NET_IND[:20]), "test": by_index(MHF_NET_IND[20:])},
    note="MHF-net's Ind list (first 20 train, last 12 test) applied to the scenes in sorted-name "
         "order; the source indexes an unsorted os.walk listing, which this order reproduces on "
         "file systems that list alphabetically")
HIFTOOL_TEST = (1, 2, 7, 8, 9, 10, 11, 14, 15, 20, 26, 27)
HIFTOOL_VAL = (16, 18, 28)
HIFTOOL_SPLIT = Split(
    scenes={"train": by_index(tuple(i for i in range(1, 32)
                                    if i not in HIFTOOL_TEST + HIFTOOL_VAL)),
            "val": by_index(HIFTOOL_VAL), "test": by_index(HIFTOOL_TEST)},
    note="HIFtool loader_L.py lists (test, val; train = the rest of 1..31, scene 32 unused), "
         "numbers read as positions in sorted-name order (HIFtool's own file numbering is not in "
         "its repository)")
NIKON_D700 = Response("nikon_d700", ("r", "g", "b"), "sampled")

PROTOCOLS = (
    Protocol(
        name="x8-gauss", ratio=8, blur=Blur("gaussian", 8, 2.0, boundary="zero", start=0),
        response=NIKON_D700, split=MHF_NET_SPLIT, normalisation="as-read",
        description="x8, 8x8 Gaussian sigma 2 with zero borders, block-centred sampling; MHF-net "
                    "20/12 split",
        sources=(
            "blur: 3DT-Net/DCTransformer (Ma et al.), DCTransformer downsample.m: "
            "fspecial('gaussian',[8 8],2) applied by imfilter (zero padding), LR(4:8:end) "
            "(0-based 8i+3: window 8i..8i+7)",
            "split: MHF-net (Xie et al., TPAMI 2020), CAVE_dataReader.py, reused by 3DT-Net",
            "response: Nikon D700 (camspec, Jiang et al. 2013) sampled at 400-700 nm",
        )),
    Protocol(
        name="x32-box", ratio=32, blur=Blur("box", 32, start=0), response=NIKON_D700,
        split=MHF_NET_SPLIT, normalisation="as-read",
        description="x32, 32x32 block mean; MHF-net 20/12 split",
        sources=(
            "MHF-net (Xie et al., TPAMI 2020), CAVE_dataReader.py: Z += X[j::32, k::32]/32/32 "
            "(block mean, no padding) and the Ind split",
            "response: Nikon D700 (camspec) sampled at 400-700 nm (MHF-net's own "
            "'response coefficient.mat' is a binary file whose numbers we could not read)",
        )),
    Protocol(
        name="x8-nssr", ratio=8, blur=Blur("gaussian", 8, 3.0, boundary="periodic", start=0),
        response=NIKON_D700, normalisation="image-max",
        split=Split(scenes={"test": ("chart_and_stuffed_toy", "oil_painting", "cloth",
                                     "fake_and_real_peppers"),
                            "train": tuple(s for s in SCENES if s not in (
                                "chart_and_stuffed_toy", "oil_painting", "cloth",
                                "fake_and_real_peppers", "watercolors"))},
                    note="NSSR's four test scenes; train = the other scenes except watercolors "
                         "(the suite's choice: NSSR trains nothing)"),
        description="x8, 8x8 Gaussian sigma 3, periodic borders, sampled from floor(r/2); "
                    "NSSR's four test scenes, each divided by its maximum",
        sources=(
            "NSSR (Dong et al., TIP 2016), NSSR_Parameters_setting.m and H_z.m: "
            "fspecial('gaussian',8,3) via psf2otf (periodic), Hz(s0:sf:end) with "
            "s0=floor(sf/2) (window 8i..8i+7 at x8), Z = s_Z / max(s_Z(:))",
            "response: Nikon D700 (camspec) sampled at 400-700 nm (NSSR's create_P is a "
            "coarse 3x31 approximation)",
        )),
    Protocol(
        name="x32-hiftool", ratio=32,
        blur=Blur("gaussian", 32, 21.0, boundary="zero", start=0, centre=15.0),
        response=NIKON_D700, split=HIFTOOL_SPLIT, normalisation="as-read",
        description="x32, HIFtool's 32x32 Gaussian (sigma 32//1.5 = 21, weights peaking at window "
                    "tap 16) as a stride-32 convolution; HIFtool's train/val/test lists",
        sources=(
            "HIFtool (Cao), Dataloader_tool/loader_L.py: getGaussiankernel(sf, sf//1.5) on the "
            "grid -(sf-1)//2 .. (sf-1)//2 (peak at tap sf/2), nn.Conv2d(kernel sf, stride sf, no "
            "padding), test [1,2,7,8,9,10,11,14,15,20,26,27], val [16,18,28] (its evaluation "
            "scripts use test [1,2,7,8,9,10,11,15,19,23,26,27] instead)",
            "response: Nikon D700 (camspec) sampled at 400-700 nm",
        )),
)


def _open(root: str, protocol: Protocol, split: str) -> Source:
    folders = {scene_name(f): f for f in scene_folders(root)}
    missing = [s for s in protocol.split.scenes[split] if s not in folders]
    if missing:
        raise DataError(str(root), f"scenes {missing} missing (found {len(folders)})",
                        f"the {split} scenes of cave:{protocol.name}")
    return Source("cave", lambda name: read_scene(folders[name]), WAVELENGTHS_NM,
                  np.full(BANDS, 10.0), "reflectance-like: 16-bit values / 65535", CITATION,
                  TERMS, str(root))


register_protocol_dataset(
    "cave", description="CAVE 32 scenes 512x512x31, 400-700 nm, 16-bit PNG stacks (--root)",
    source=CITATION, licence=TERMS, protocols=PROTOCOLS, open_source=_open)
