"""Each native reader on a sample written in that dataset's exact format (tests/native_samples.py):
values, band order, orientation, bit depth, band centres, and errors that name what is missing."""

import numpy as np
import pytest

import datasets
from datasets import cave, chikusei, dc_mall, harvard, houston2013
from datasets.errors import DataError
from datasets.native import read_geotiff, read_mat
from tests import native_samples as ns


def test_cave_scenes_are_named_from_their_band_files_at_any_nesting(tmp_path):
    stored = ns.write_cave(tmp_path, ("balloons", "cd"), size=40)
    folders = {cave.scene_name(f): f for f in cave.scene_folders(tmp_path)}
    assert sorted(folders) == ["balloons", "cd"]
    got = cave.read_scene(folders["cd"])
    np.testing.assert_array_equal(got, stored["cd"] / np.float32(65535))
    assert len(np.unique(got[10])) > 256  # 16-bit values survive


def test_cave_protocol_names_the_missing_scenes(tmp_path):
    ns.write_cave(tmp_path, ("balloons",), size=16)
    with pytest.raises(DataError, match=r"scenes \[.*'flowers'.*\] missing \(found 1\)"):
        datasets.get("cave:x8-gauss", split="test", root=str(tmp_path))


def test_harvard_reads_ref_in_orientation_and_numbers_files_by_name(tmp_path):
    stored = ns.write_harvard(tmp_path, size=40, daylight=3, indoor=2)
    files = harvard.scene_files(tmp_path)
    assert [f.stem for f in files] == ["img1", "img2", "img3", "imga1", "imga2"]
    got = harvard.read_scene(files[3])
    assert got.shape == (31, 40, 40) and got.dtype == np.float32
    np.testing.assert_allclose(got, stored["imga1"], rtol=1e-6)
    with pytest.raises(DataError, match=r"5 \.mat files, so scenes \['#74'"):
        datasets.get("harvard:x8", split="test", root=str(tmp_path))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .mat file below it"):
        harvard.scene_files(tmp_path / "empty")


def test_harvard_scene_is_named_by_file_and_normalised_by_the_uncropped_maximum(tmp_path):
    stored = ns.write_harvard(tmp_path, size=80)
    scenes = datasets.get("harvard:x8", split="test", root=str(tmp_path), shrink=16)
    first = harvard.scene_files(tmp_path)[harvard.HIFTOOL_TEST[0] - 1].stem
    scene = scenes[0]
    assert scene.name == f"harvard:x8/16/test/{first}" and scene.gt.shape == (31, 64, 64)
    full = stored[first]
    np.testing.assert_allclose(scene.gt.numpy(), full[:, :64, :64] / full.max(), rtol=1e-5)
    assert scene.meta.scale == pytest.approx(full.max(), rel=1e-6)


@pytest.mark.parametrize("release", ["mat", "envi"])
def test_chikusei_reads_both_releases_in_the_right_orientation(tmp_path, release):
    chikusei.read_cube.cache_clear()
    write = ns.write_chikusei_mat if release == "mat" else ns.write_chikusei_envi
    expected = write(tmp_path, 40, 24).astype(np.float32)
    cube, centres, path, origin = chikusei.read_cube(str(tmp_path))
    assert cube.shape == (128, 40, 24)  # H x W as stored, not transposed
    np.testing.assert_array_equal(cube, expected)
    assert np.all(cube[:, :3, :] <= cube.max() * 0.25 + 1e-6)  # the dark top edge stays on top
    if release == "envi":
        np.testing.assert_allclose(centres, ns.CHIKUSEI_CENTRES_UM * 1000, atol=1e-3)
        assert "ENVI header" in origin
    else:
        np.testing.assert_allclose(centres[[0, -1]], chikusei.STATED_RANGE_NM)
        assert "evenly spaced" in origin
    chikusei.read_cube.cache_clear()


def test_chikusei_prefers_the_envi_release_and_names_what_is_missing(tmp_path):
    chikusei.read_cube.cache_clear()
    ns.write_chikusei_mat(tmp_path, 16, 12)
    ns.write_chikusei_envi(tmp_path, 16, 12)
    assert chikusei.read_cube(str(tmp_path))[2].endswith(".hdr")
    chikusei.read_cube.cache_clear()
    (tmp_path / "none").mkdir()
    with pytest.raises(DataError, match=r"no file named HyperspecVNIR_Chikusei_20140729\.mat"):
        chikusei.read_cube(str(tmp_path / "none"))
    chikusei.read_cube.cache_clear()


def test_pavia_mat_key_bands_and_errors(tmp_path):
    stored = ns.write_pavia(tmp_path, "PaviaU.mat", "paviaU", 103, 30, 20)
    got = read_mat(tmp_path / "PaviaU.mat", "paviaU", 103)
    np.testing.assert_array_equal(got, stored.astype(np.float32))
    with pytest.raises(DataError, match=r"PaviaU\.mat:pavia: missing key"):
        read_mat(tmp_path / "PaviaU.mat", "pavia", 102)
    with pytest.raises(DataError, match=r"102 bands \(first or last axis\)"):
        read_mat(tmp_path / "PaviaU.mat", "paviaU", 102)


def test_houston_geotiff_and_header_wavelengths(tmp_path):
    houston2013.read_cube.cache_clear()
    stored = ns.write_houston(tmp_path, 20, 52)
    cube, centres, _ = houston2013.read_cube(str(tmp_path))
    assert cube.shape == (144, 20, 52)
    np.testing.assert_array_equal(cube, stored.astype(np.float32))
    np.testing.assert_allclose(centres, ns.HOUSTON_CENTRES_NM, atol=1e-3)
    houston2013.read_cube.cache_clear()
    (tmp_path / "2013_DFTC" / f"{ns.HOUSTON_STEM}.hdr").unlink()
    with pytest.raises(DataError, match=r"no file named 2013_IEEE_GRSS_DF_Contest_CASI\.hdr"):
        houston2013.read_cube(str(tmp_path))
    houston2013.read_cube.cache_clear()


def test_geotiff_errors_name_the_file(tmp_path):
    (tmp_path / "dc.tif").write_bytes(b"not a tiff")
    with pytest.raises(DataError, match=r"dc\.tif: cannot be read as a TIFF"):
        read_geotiff(tmp_path / "dc.tif", 191)


def test_dc_mall_pixel_interleaved_tif_and_readme_table(tmp_path):
    dc_mall.read_cube.cache_clear()
    stored = ns.write_dc_mall(tmp_path, 30, 14)
    cube, centres, _ = dc_mall.read_cube(str(tmp_path))
    assert cube.shape == (191, 30, 14)
    np.testing.assert_array_equal(cube, stored.astype(np.float32))
    np.testing.assert_allclose(centres, ns.dc_table()[1])
    dc_mall.read_cube.cache_clear()
    (tmp_path / "ReadMe.txt").write_text("1 401.3 1\n2 404.6 2\n")
    with pytest.raises(DataError, match=r"ReadMe\.txt: 2 rows with a 191-channel number"):
        dc_mall.read_cube(str(tmp_path))
    dc_mall.read_cube.cache_clear()
