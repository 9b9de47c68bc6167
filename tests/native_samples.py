"""Small samples of the public datasets in their exact native formats, made from the shipped
Indian Pines cube: CAVE's nested 16-bit PNG stacks, Harvard's v5 .mat files, Chikusei's MATLAB
v7.3 file and ENVI release, Pavia's .mat files, Houston 2013's GeoTIFF with its ENVI header, and
DC Mall's dc.tif with its ReadMe wavelength table.

Each writer returns the array it stored, as (C, H, W) in the stored values, so a test can compare
what a reader gives back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from datasets.indian_pines import load_cube


def cube_like(bands: int, height: int, width: int, shift: int = 0) -> np.ndarray:
    """(bands, height, width) float64 on [0, 1] from Indian Pines: bands spread over its 200,
    mirrored out to the size, rolled by ``shift`` pixels; asymmetric in rows and columns (a
    transposed or flipped read would not match)."""
    cube = load_cube()[0].astype(np.float64)
    picks = np.linspace(0, cube.shape[0] - 1, bands).round().astype(int)
    x = np.pad(cube[picks], ((0, 0), (0, max(0, height - 145)), (0, max(0, width - 145))),
               mode="symmetric")[:, :height, :width]
    x = np.roll(x, (shift, 2 * shift), axis=(1, 2))
    x[:, :3, :] *= 0.25  # a dark top edge
    return (x - x.min()) / (x.max() - x.min())


def write_mat73(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A true MATLAB v7.3 file: HDF5 with the 512-byte MAT header as its user block (version
    0x0200), each array stored column-major (so h5py sees its axes reversed)."""
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=np.asarray(value).T)
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02IM")


def write_cave(root: Path, scenes: tuple[str, ...], size: int = 64) -> dict[str, np.ndarray]:
    """``<root>/complete_ms_data/<s>_ms/<s>_ms/<s>_ms_NN.png`` (16-bit), with the release's RGB
    bmp and Thumbs.db beside the bands; returns each scene's stored uint16 cube."""
    from PIL import Image

    out = {}
    for i, scene in enumerate(scenes):
        folder = root / "complete_ms_data" / f"{scene}_ms" / f"{scene}_ms"
        folder.mkdir(parents=True)
        stored = np.round(cube_like(31, size, size, shift=5 * i) * 65535).astype(np.uint16)
        for band in range(31):
            Image.fromarray(stored[band]).save(folder / f"{scene}_ms_{band + 1:02d}.png")
        Image.fromarray(np.zeros((size, size, 3), np.uint8)).save(folder / f"{scene}_RGB.bmp")
        (folder / "Thumbs.db").write_bytes(b"\0" * 64)
        out[scene] = stored
    return out


def harvard_names(daylight: int = 50, indoor: int = 27) -> list[tuple[str, str]]:
    """(archive folder, file stem) of the release's 50 + 27 images, in sample form."""
    return ([("CZ_hsdb", f"img{i}") for i in range(1, daylight + 1)]
            + [("CZ_hsdbi", f"imga{i}") for i in range(1, indoor + 1)])


def write_harvard(root: Path, size: int = 64, daylight: int = 50, indoor: int = 27
                  ) -> dict[str, np.ndarray]:
    """``<root>/CZ_hsdb/imgN.mat`` and ``<root>/CZ_hsdbi/imgaN.mat`` (MATLAB v5) with ``ref``
    (H x W x 31) and ``lbl``; returns each stem's stored cube."""
    import scipy.io

    out = {}
    for i, (folder, stem) in enumerate(harvard_names(daylight, indoor)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        ref = cube_like(31, size, size, shift=i)
        scipy.io.savemat(root / folder / f"{stem}.mat",
                         {"ref": ref.transpose(1, 2, 0), "lbl": np.ones((size, size), np.uint8)})
        out[stem] = ref
    return out


CHIKUSEI_STEM = "HyperspecVNIR_Chikusei_20140729"
CHIKUSEI_CENTRES_UM = (362.586 + 5.16085 * np.arange(128)) / 1000.0


def write_chikusei_mat(root: Path, height: int, width: int) -> np.ndarray:
    """``<root>/<stem>.mat`` (v7.3, key ``chikusei``, H x W x 128 in MATLAB)."""
    root.mkdir(parents=True, exist_ok=True)
    cube = cube_like(128, height, width)
    write_mat73(root / f"{CHIKUSEI_STEM}.mat", {"chikusei": cube.transpose(1, 2, 0)})
    return cube


def write_chikusei_envi(root: Path, height: int, width: int) -> np.ndarray:
    """``<root>/Chikusei_ENVI/<stem>.hdr/.bsq`` (16-bit BSQ, wavelengths in micrometres)."""
    import spectral.io.envi as envi

    folder = root / "Chikusei_ENVI"
    folder.mkdir(parents=True, exist_ok=True)
    stored = np.round(cube_like(128, height, width) * 10000).astype(np.int16)
    envi.save_image(str(folder / f"{CHIKUSEI_STEM}.hdr"), stored.transpose(1, 2, 0), ext=".bsq",
                    interleave="bsq", force=True,
                    metadata={"wavelength": [f"{w:.6f}" for w in CHIKUSEI_CENTRES_UM],
                              "wavelength units": "Micrometers"})
    return stored


def write_pavia(root: Path, file: str, key: str, bands: int, height: int, width: int
                ) -> np.ndarray:
    """``<root>/<file>`` (MATLAB v5, key, H x W x bands, uint16 values)."""
    import scipy.io

    root.mkdir(parents=True, exist_ok=True)
    stored = np.round(cube_like(bands, height, width) * 8000).astype(np.uint16)
    scipy.io.savemat(root / file, {key: stored.transpose(1, 2, 0)})
    return stored


HOUSTON_STEM = "2013_IEEE_GRSS_DF_Contest_CASI"
HOUSTON_CENTRES_NM = np.linspace(364.0, 1046.1, 144)


def envi_header_text(samples: int, lines: int, bands: int, wavelengths: np.ndarray,
                     units: str = "Nanometers") -> str:
    values = ", ".join(f"{w:.3f}" for w in wavelengths)
    return (f"ENVI\ndescription = {{sample}}\nsamples = {samples}\nlines = {lines}\n"
            f"bands = {bands}\nheader offset = 0\nfile type = TIFF\ndata type = 12\n"
            f"interleave = bsq\nbyte order = 0\nwavelength units = {units}\n"
            f"wavelength = {{{values}}}\n")


def write_houston(root: Path, height: int, width: int) -> np.ndarray:
    """``<root>/2013_DFTC/<stem>.tif`` (uint16, band-interleaved) and its ``.hdr``."""
    import tifffile

    folder = root / "2013_DFTC"
    folder.mkdir(parents=True, exist_ok=True)
    stored = np.round(cube_like(144, height, width) * 20000).astype(np.uint16)
    tifffile.imwrite(folder / f"{HOUSTON_STEM}.tif", stored, planarconfig="separate")
    (folder / f"{HOUSTON_STEM}.hdr").write_text(
        envi_header_text(width, height, 144, HOUSTON_CENTRES_NM))
    return stored


def dc_table() -> tuple[str, np.ndarray]:
    """(a ReadMe wavelength table for 210 channels with 19 removed, the kept 191 centres nm)."""
    centres = np.linspace(401.288, 2473.16, 210)
    removed = set(range(104, 113)) | set(range(143, 153))  # 19 water-absorption channels
    lines = ["Wavelength Table for August 23, 1995 Hydice Data Set over DC",
             "210 Channel Set  Center Wavelength (um)  191 Channel Set"]
    kept, n = [], 0
    for channel, centre in enumerate(centres, 1):
        if channel in removed:
            lines.append(f"{channel} {centre:.3f}")
        else:
            n += 1
            kept.append(centre)
            lines.append(f"{channel} {centre:.3f} {n}")
    return "\n".join(lines) + "\n", np.round(np.asarray(kept), 3)


def write_dc_mall(root: Path, height: int, width: int) -> np.ndarray:
    """``<root>/dc.tif`` (int16, pixel-interleaved, H x W x 191) and ``<root>/ReadMe.txt``."""
    import tifffile

    root.mkdir(parents=True, exist_ok=True)
    stored = np.round(cube_like(191, height, width) * 9000).astype(np.int16)
    tifffile.imwrite(root / "dc.tif", stored.transpose(1, 2, 0), planarconfig="contig")
    (root / "ReadMe.txt").write_text(dc_table()[0])
    return stored
