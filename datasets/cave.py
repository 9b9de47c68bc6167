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

BANDS = 31
WAVELENGTHS_NM = np.arange(400.0, 701.0, 10.0)  # band NN is 400 + 10 (NN - 1) nm
BAND_FILE = re.compile(r"^(?P<scene>.+)_ms_(?P<band>\d{2})\.png$", re.IGNORECASE)

__all__ = ["BANDS", "WAVELENGTHS_NM", "band_files", "read_band", "read_scene", "scene_folders"]


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
