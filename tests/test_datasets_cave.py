"""The CAVE reader (datasets/cave.py) on band stacks written in CAVE's own format from the shipped
Indian Pines cube: 16-bit PNGs in double-nested scene folders, and an 8-bit multi-channel scene."""

import numpy as np
import pytest
from PIL import Image

from datasets.cave import BANDS, WAVELENGTHS_NM, read_scene, scene_folders
from datasets.errors import DataError
from datasets.indian_pines import load_cube


def sample_cube(size: int = 48, offset: int = 0) -> np.ndarray:
    """(31, size, size) float in [0, 1]: the Indian Pines bands nearest 400 .. 700 nm."""
    cube, wavelengths, *_ = load_cube()
    picks = [int(np.argmin(np.abs(wavelengths - w))) for w in WAVELENGTHS_NM]
    crop = cube[picks, offset:offset + size, offset:offset + size].astype(np.float64)
    return (crop - crop.min()) / (crop.max() - crop.min())


def write_scene(root, name: str, cube: np.ndarray, eight_bit: bool = False, order=None) -> None:
    """CAVE's layout: <root>/<name>/<name>/<name>_NN.png, written in ``order`` of bands."""
    folder = root / name / name
    folder.mkdir(parents=True)
    for band in order if order is not None else range(BANDS):
        path = folder / f"{name}_{band + 1:02d}.png"
        if eight_bit:  # RGBA, the band in every colour channel
            grey = np.round(cube[band] * 255).astype(np.uint8)
            Image.fromarray(np.stack([grey, grey, grey, np.full_like(grey, 255)], -1)).save(path)
        else:
            Image.fromarray(np.round(cube[band] * 65535).astype(np.uint16)).save(path)


def test_reads_16_bit_bands_at_full_depth_in_band_order(tmp_path):
    cube = sample_cube()
    shuffled = np.random.default_rng(0).permutation(BANDS)
    write_scene(tmp_path, "pines_ms", cube, order=shuffled)
    extra = tmp_path / "pines_ms" / "pines_ms"  # what the release has beside the bands
    Image.fromarray(np.zeros((48, 48, 3), np.uint8)).save(extra / "pines_RGB.bmp")
    (extra / "Thumbs.db").write_bytes(b"\0" * 64)
    [folder] = scene_folders(tmp_path)
    assert folder == tmp_path / "pines_ms" / "pines_ms"
    got = read_scene(folder)
    assert got.shape == (31, 48, 48) and got.dtype == np.float32
    np.testing.assert_allclose(got, cube, atol=0.5 / 65535 + 1e-7)
    assert len(np.unique(got[5])) > 256  # 16-bit values survive: not read as 8-bit


def test_reads_an_8_bit_multichannel_scene_and_keeps_orientation(tmp_path):
    cube = sample_cube(offset=20)
    cube[:, :4, :] = 0.0  # a dark top edge: a transposed or flipped read would move it
    write_scene(tmp_path, "watercolors_ms", cube, eight_bit=True)
    got = read_scene(scene_folders(tmp_path)[0])
    np.testing.assert_allclose(got, cube, atol=0.5 / 255 + 1e-7)
    assert np.all(got[:, :4, :] == 0) and np.any(got[:, :, :4] > 0)


def test_scenes_are_found_at_any_depth_and_sorted(tmp_path):
    write_scene(tmp_path / "complete_ms", "b_ms", sample_cube(16))
    write_scene(tmp_path, "a_ms", sample_cube(16))
    assert [f.name for f in scene_folders(tmp_path)] == ["a_ms", "b_ms"]


def test_bad_downloads_are_named(tmp_path):
    write_scene(tmp_path, "broken_ms", sample_cube(16))
    folder = tmp_path / "broken_ms" / "broken_ms"
    (folder / "broken_ms_07.png").unlink()
    (folder / "broken_ms_32.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"broken_ms: bands \[7\] missing, bands \[32\] out of range"):
        read_scene(folder)
    (folder / "broken_ms_32.png").unlink()
    (folder / "broken_ms_07.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken_ms_07.png: cannot be read as a PNG"):
        read_scene(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no file <scene>_ms_01.png"):
        scene_folders(tmp_path / "empty")
    with pytest.raises(DataError, match="no such folder"):
        scene_folders(tmp_path / "nowhere")


def test_a_multichannel_band_with_different_channels_is_refused(tmp_path):
    cube = sample_cube(16)
    write_scene(tmp_path, "watercolors_ms", cube, eight_bit=True)
    path = tmp_path / "watercolors_ms" / "watercolors_ms" / "watercolors_ms_25.png"
    rgb = np.asarray(Image.open(path)).copy()
    rgb[0, 0, 1] ^= 1
    Image.fromarray(rgb).save(path)
    with pytest.raises(DataError, match=r"watercolors_ms_25\.png: RGBA image whose colour channels "
                                        r"differ \(by up to 1\)"):
        read_scene(path.parent)
