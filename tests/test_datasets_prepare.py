"""``python -m datasets.prepare``: cube formats, spatially disjoint splits, and the CLI."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
from spectral.io import envi

import datasets
from datasets.__main__ import main as datasets_cli
from datasets.cubes import parse_band_ranges, read_cube
from datasets.errors import DataError
from datasets.prepare import main as prepare_cli
from datasets.split import check_disjoint, plan_stripes
from tests.native_samples import write_mat73

C = 12
WL = np.linspace(450.0, 2350.0, C)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def hwc():
    return (np.random.default_rng(0).random((32, 64, C)) * 1000).astype(np.float32)


def test_cube_formats_read_the_same_cube_and_bands(tmp_path, hwc):
    scipy.io.savemat(tmp_path / "c.mat", {"radiance": hwc, "wavelengths": WL})
    np.save(tmp_path / "c.npy", hwc)
    np.savez(tmp_path / "c.npz", cube=hwc.transpose(2, 0, 1), wavelengths_nm=WL,
             fwhm_nm=np.full(C, 20.0))
    envi.save_image(str(tmp_path / "c.hdr"), hwc,
                    metadata={"wavelength": list(WL / 1000), "fwhm": [0.02] * C,
                              "wavelength units": "micrometers"})
    table = tmp_path / "bands.txt"
    table.write_text("centre fwhm\n" + "".join(f"{w},{20.0}\n" for w in WL))
    cubes = [read_cube(str(tmp_path / "c.mat")), read_cube(str(tmp_path / "c.npy"),
                                                             wavelengths_file=str(table)),
             read_cube(str(tmp_path / "c.npz")), read_cube(str(tmp_path / "c.img"))]
    for cube in cubes:
        assert np.array_equal(cube.data, hwc)
        np.testing.assert_allclose(cube.wavelengths_nm, WL, rtol=1e-6)
    assert cubes[0].fwhm_source.startswith("estimated")  # the .mat had no FWHM
    np.testing.assert_allclose(cubes[3].fwhm_nm, 20.0, rtol=1e-6)  # um -> nm


def test_cube_errors_name_the_file_and_key(tmp_path, hwc):
    scipy.io.savemat(tmp_path / "two.mat", {"a": hwc, "b": hwc, "wavelengths": WL})
    with pytest.raises(DataError, match=r"two\.mat: 2 3-D arrays"):
        read_cube(str(tmp_path / "two.mat"))
    with pytest.raises(DataError, match=r"two\.mat:c: missing key"):
        read_cube(str(tmp_path / "two.mat"), key="c")
    bad = hwc.copy()
    bad[0, 0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(DataError, match=r"nan\.npy: 1 NaN/Inf"):
        read_cube(str(tmp_path / "nan.npy"), wavelengths_file=_table(tmp_path, WL))
    with pytest.raises(DataError, match=r"bands\.txt: 13 band wavelengths but the cube has 12"):
        read_cube(str(tmp_path / "nan.npy"), wavelengths_file=_table(tmp_path, np.arange(13.0)))
    with pytest.raises(DataError, match="no band wavelengths"):
        read_cube(str(tmp_path / "nan.npy"))
    (tmp_path / "broken.npz").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"broken\.npz: cannot be read"):
        read_cube(str(tmp_path / "broken.npz"))


def _table(tmp_path, centres):
    path = tmp_path / "bands.txt"
    path.write_text("".join(f"{c} 10\n" for c in centres))
    return str(path)


def test_drop_bands_parses_ranges():
    assert parse_band_ranges("104-108,150-151, 220") == [104, 105, 106, 107, 108, 150, 151, 220]


def test_no_test_tile_overlaps_a_train_tile():
    plan = plan_stripes(145, 300, tile=32, train_stride=8, val_fraction=0.1, test_fraction=0.2)
    assert plan.axis == "cols" and all(plan.tiles[s] for s in ("train", "val", "test"))
    for split in ("val", "test"):
        for ty, tx in plan.tiles[split]:
            for ry, rx in plan.tiles["train"]:
                assert abs(ty - ry) >= 32 or abs(tx - rx) >= 32
    with pytest.raises(ValueError, match="overlaps"):
        check_disjoint({"train": [(0, 0)], "test": [(0, 31)]}, 32)
    with pytest.raises(ValueError, match="too few"):
        plan_stripes(64, 64, tile=32)


def test_prepare_writes_lists_split_record_and_a_layout_check_accepts(tmp_path, hwc, capsys):
    np.save(tmp_path / "c.npy", hwc)
    out = tmp_path / "out"
    args = ["--cube", str(tmp_path / "c.npy"), "--wavelengths", _table(tmp_path, WL),
            "--out", str(out), "--tile", "16", "--val-fraction", "0.25", "--train-stride", "8",
            "--snr-db", "30"]
    assert prepare_cli(args) == 0
    assert "LR tiles of 4 px do not suit hssdct (LR side >= 9)" in capsys.readouterr().err
    record = json.loads((out / "split.json").read_text())
    tiles = {s: [(t["row"], t["col"]) for t in record["tiles"][s]] for s in record["tiles"]}
    check_disjoint(tiles, 16)
    assert {s: len(t) for s, t in tiles.items()} == {"train": 9, "val": 1 * 2, "test": 1 * 2}
    for split in ("train", "val", "test"):
        listed = (out / f"{split}.txt").read_text().split()
        assert listed == [t["entry"] + "/" for t in record["tiles"][split]]
        assert datasets_cli(["check", "--root", str(out), "--list", str(out / f"{split}.txt")]) == 0
        assert "do not suit hssdct" in capsys.readouterr().err  # a warning, not a problem
    degradation = json.loads((out / "degradation.json").read_text())
    assert degradation["degradation"]["snr_db"] == 30.0 and len(degradation["psf"]) == 12
    assert not [f for _, _, fs in os.walk(out) for f in fs if f.startswith(".tmp")]
    assert prepare_cli(args) == 1  # refuses to write over a layout without --overwrite
    assert "pass --overwrite" in capsys.readouterr().err


def test_prepare_cli_errors_are_one_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "datasets.prepare", "--cube",
                          str(tmp_path / "nope.mat"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "nope.mat: file not found" in run.stderr
    assert "Traceback" not in run.stderr


def test_prepare_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as exited:
        prepare_cli(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert re.search(r"--tile TILE\s+HR tile size \(multiple of --ratio\) \(default: 64\)", text)
    assert "(default: landsat8_oli)" in text and "(default: 0.2)" in text


def test_prepare_on_shipped_indian_pines_gives_a_layout_reader_and_check_accept(tmp_path):
    from importlib import resources

    cube_path = str(resources.files("datasets") / "data" / "indian_pines.npz")
    out = str(tmp_path / "ip")
    assert prepare_cli(["--cube", cube_path, "--out", out, "--tile", "32"]) == 0
    for split in ("train", "val", "test"):
        assert datasets_cli(["check", "--root", out, "--list", f"{out}/{split}.txt"]) == 0
    scenes = datasets.get("paper", root=out, split="test", msi_bands=6)
    scene = scenes[0]
    assert len(scenes) == 4 and scene.gt.shape == (200, 32, 32) and scene.lrhsi.shape == (200, 8, 8)
    assert scene.hrmsi.shape == (6, 32, 32) and scene.meta.srf.shape == (6, 200)
    assert scene.meta.wavelengths_nm.shape == (200,)


def test_tile_warning_names_the_methods_and_the_smallest_tile_that_suits_all():
    from datasets.limits import InputLimit, tile_warning

    limits = [InputLimit("deep_a", min_lr_side=9), InputLimit("deep_b", lr_multiple=2)]
    assert tile_warning(12, 4, limits) is None
    text = tile_warning(9, 4, limits)
    assert "deep_b (LR side a multiple of 2)" in text and "deep_a" not in text
    assert "smallest HR tile (--tile) that suits every method is 40 px" in text
    assert "deep_a (LR side >= 9)" in tile_warning(8, 4, limits)


def test_mat73_reads_in_matlab_orientation(tmp_path):
    """A Chikusei-like v7.3 file (H x W x C in MATLAB, H != W) reads as (H, W, C), not transposed."""
    cube = (np.random.default_rng(1).random((40, 24, C)) * 1000).astype(np.float32)
    cube[:3] = 0.0  # a dark top band of rows: a transposed read would make it a column band
    write_mat73(tmp_path / "chikusei_like.mat", {"chikusei": cube, "wavelengths": WL[None, :]})
    with pytest.raises(NotImplementedError):  # scipy sees a true v7.3 file
        scipy.io.loadmat(tmp_path / "chikusei_like.mat")
    read = read_cube(str(tmp_path / "chikusei_like.mat"))
    assert read.key == "chikusei" and read.data.shape == (40, 24, C)
    assert np.array_equal(read.data, cube)
    np.testing.assert_allclose(read.wavelengths_nm, WL)
    with pytest.raises(DataError, match=r"chikusei_like\.mat:x: missing key"):
        read_cube(str(tmp_path / "chikusei_like.mat"), key="x")
