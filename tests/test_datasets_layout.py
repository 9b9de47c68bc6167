"""The paper's layout: writer -> reader round trip, reader options, and every bad-input error."""

import os

import numpy as np
import pytest
import torch

import datasets
from datasets.__main__ import main as datasets_cli
from datasets.cubes import Cube
from datasets.errors import DataError
from datasets.layout import read_entry, write_entry
from datasets.normalise import to_original
from datasets.paper import PaperLayout
from datasets.prepare import prepare
from datasets.simulate import derived_seed, simulate_scene
from methods.adapter import from_domain, to_domain

C = 24
WAVELENGTHS = np.linspace(420.0, 2400.0, C)
FWHM = np.full(C, 80.0)


@pytest.fixture(scope="module")
def cube(tmp_path_factory):
    rng = np.random.default_rng(0)
    data = (1000 + 500 * rng.random((48, 96, C))).astype(np.float32)
    path = tmp_path_factory.mktemp("cube") / "scene.npy"
    return Cube(data, WAVELENGTHS, FWHM, str(path), None, "given")


@pytest.fixture(scope="module")
def layout(cube, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("layout"))
    record = prepare(cube, root, tile=16, ratio=4, snr_db=35.0, seed=7, progress=False)
    return root, record


def small_entry(root, entry="e1", C=5, H=16, r=4, **override):
    """Write one valid entry (optionally with some arrays replaced) and return its directory."""
    rng = np.random.default_rng(1)
    arrays = {
        "gt": rng.random((H, H, C), dtype=np.float32) * 100,
        **{k: rng.random((H // r, H // r, C), dtype=np.float32)
           for k in ("lrhsi", "lrhsi1", "lrhsi2", "lrhsi3")},
        "hrmsi4": rng.random((H, H, 4), dtype=np.float32),
        "hrmsi6": rng.random((H, H, 6), dtype=np.float32),
    }
    arrays.update(override)
    lr = {k: arrays[k] for k in ("lrhsi", "lrhsi1", "lrhsi2", "lrhsi3")}
    hr = {k: arrays[k] for k in ("hrmsi4", "hrmsi6")}
    return write_entry(str(root), entry, arrays["gt"], lr, hr)


def test_written_arrays_read_back_bit_identically(tmp_path):
    d = small_entry(tmp_path)
    gt, lr, hr = read_entry(str(tmp_path), "e1", msi_bands=6, misalignment=2)
    with np.load(os.path.join(d, "lrhsi.npz")) as z:
        assert np.array_equal(lr, z["lrhsi2"])
    assert gt.dtype == np.float32 and np.array_equal(gt, np.load(os.path.join(d, "GT.npz.npy")))
    assert hr.shape == (16, 16, 6)


@pytest.mark.parametrize("msi_bands,misalignment", [(4, 0), (6, 3)])
def test_reader_returns_exactly_what_the_simulator_made(cube, layout, msi_bands, misalignment):
    root, record = layout
    scenes = datasets.get("paper", root=root, split="test", msi_bands=msi_bands,
                          misalignment=misalignment)
    tile = record["tiles"]["test"][1]
    scene = scenes[1]
    assert scene.name == tile["entry"]
    y, x = tile["row"], tile["col"]
    raw = cube.data[y:y + 16, x:x + 16].transpose(2, 0, 1).copy()
    ref = simulate_scene(torch.from_numpy(raw), WAVELENGTHS, FWHM, msi_bands=msi_bands,
                         misalign_px=misalignment, snr_db=35.0, seed=derived_seed(7, scene.name))
    for name in ("gt", "lrhsi", "hrmsi"):
        assert torch.equal(getattr(scene, name), getattr(ref, name)), name
    assert np.array_equal(scene.meta.srf, ref.meta.srf) and np.array_equal(scene.meta.psf, ref.meta.psf)
    assert scene.meta.scale == ref.meta.scale and scene.meta.offset == ref.meta.offset
    assert scene.meta.degradation["misalign_px"] == misalignment
    assert scene.meta.degradation["tile_seed"] == derived_seed(7, scene.name)
    gt_file = np.load(os.path.join(root, scene.name, "GT.npz.npy"))
    assert np.array_equal(gt_file, cube.data[y:y + 16, x:x + 16])  # raw units on disk


def test_list_entries_work_with_and_without_trailing_slash(layout, tmp_path):
    root, _ = layout
    entries = open(os.path.join(root, "val.txt")).read().split()
    assert all(e.endswith("/") for e in entries)  # the authors' code needs the slash
    bare = tmp_path / "bare.txt"
    bare.write_text("\n".join(e.rstrip("/") for e in entries) + "\n\n")
    a, b = PaperLayout(root, os.path.join(root, "val.txt")), PaperLayout(root, str(bare))
    assert a.names == b.names
    assert torch.equal(a[0].lrhsi, b[0].lrhsi)


def test_tile_option_cuts_aligned_tiles(layout):
    root, _ = layout
    whole = datasets.get("paper", root=root, split="val")
    tiles = datasets.get("paper", root=root, split="val", tile=8)
    assert len(tiles) == 4 * len(whole)
    t, s = tiles[3], whole[0]
    assert t.name == f"{s.name}@8,8"
    assert torch.equal(t.gt, s.gt[:, 8:, 8:]) and torch.equal(t.lrhsi, s.lrhsi[:, 2:, 2:])
    with pytest.raises(ValueError, match="multiple of the ratio"):
        datasets.get("paper", root=root, split="val", tile=6)[0]


def test_pm1_domain_maps_unit_to_pm1_and_back_to_original_units(layout):
    root, _ = layout
    scene = datasets.get("paper", root=root, split="test")[0]
    pm1 = to_domain(scene.gt, "pm1")
    assert float(pm1.min()) == -1.0 and float(pm1.max()) == 1.0
    torch.testing.assert_close(to_domain(scene.lrhsi, "pm1"), (scene.lrhsi - 0.5) * 2)
    raw = torch.from_numpy(np.load(os.path.join(root, scene.name, "GT.npz.npy")).transpose(2, 0, 1))
    torch.testing.assert_close(to_original(from_domain(pm1, "pm1"), scene.meta), raw,
                               rtol=1e-6, atol=1e-3)
    torch.testing.assert_close(to_original(scene.gt, scene.meta), raw, rtol=1e-6, atol=1e-3)


def test_layout_without_degradation_json_leaves_srf_and_psf_unknown(tmp_path):
    small_entry(tmp_path)
    (tmp_path / "l.txt").write_text("e1/\n")
    scene = PaperLayout(str(tmp_path), str(tmp_path / "l.txt"))[0]
    assert scene.meta.srf is None and scene.meta.psf is None and scene.meta.ratio == 4
    assert scene.gt.shape == (5, 16, 16) and scene.lrhsi.shape == (5, 4, 4)
    assert scene.gt.min() == 0 and scene.gt.max() == 1


def test_co_cnmf_cube_becomes_the_scene_anchor_matching_misalignment(tmp_path):
    entry = small_entry(tmp_path)
    co = np.random.default_rng(2).random((16, 16, 5), dtype=np.float32)
    np.save(f"{entry}/co42.npz.npy", co)  # 4 MSI bands, k = misalignment + 1 = 2
    (tmp_path / "l.txt").write_text("e1\n")
    assert PaperLayout(str(tmp_path), str(tmp_path / "l.txt"))[0].anchor is None
    scene = PaperLayout(str(tmp_path), str(tmp_path / "l.txt"), misalignment=1)[0]
    assert torch.equal(scene.anchor, torch.from_numpy(co).permute(2, 0, 1))
    tile = PaperLayout(str(tmp_path), str(tmp_path / "l.txt"), misalignment=1, tile=8)[3]
    assert torch.equal(tile.anchor, scene.anchor[:, 8:16, 8:16])


def test_co_cube_with_wrong_shape_is_named(tmp_path):
    entry = small_entry(tmp_path)
    np.save(f"{entry}/co41.npz.npy", np.zeros((8, 8, 5), np.float32))
    (tmp_path / "l.txt").write_text("e1\n")
    with pytest.raises(DataError, match="co41.npz.npy"):
        PaperLayout(str(tmp_path), str(tmp_path / "l.txt"))[0]


# --- bad input: each error names the file (and key) and what was expected -----------------------


def load(root, msi_bands=4, misalignment=0):
    return read_entry(str(root), "e1", msi_bands, misalignment)


def test_missing_file_is_named(tmp_path):
    d = small_entry(tmp_path)
    os.remove(os.path.join(d, "hrmsi.npz"))
    with pytest.raises(DataError, match=r"hrmsi\.npz.*file not found"):
        load(tmp_path)


def test_missing_key_is_named(tmp_path):
    d = small_entry(tmp_path)
    np.savez(os.path.join(d, "hrmsi.npz"), hrmsi4=np.zeros((16, 16, 4), np.float32))
    with pytest.raises(DataError, match=r"hrmsi\.npz:hrmsi6: missing key .*expected key 'hrmsi6'"):
        load(tmp_path, msi_bands=6)


@pytest.mark.parametrize(("key", "shape", "message"), [
    ("gt", (16, 16), r"GT\.npz\.npy: array has shape \(16, 16\).*3-D"),
    ("lrhsi", (4, 4, 4), r"lrhsi\.npz:lrhsi: 4 bands but GT\.npz\.npy has 5"),
    ("hrmsi4", (16, 16, 3), r"hrmsi\.npz:hrmsi4: 3 bands; expected 4"),
    ("lrhsi", (5, 5, 5), r"lrhsi\.npz:lrhsi: size 5x5"),
], ids=["gt_not_3d", "lr_band_count_differs_from_gt", "hr_band_count", "lr_size_not_integer_ratio"])
def test_array_of_the_wrong_shape_is_named(tmp_path, key, shape, message):
    small_entry(tmp_path, **{key: np.zeros(shape, np.float32)})
    with pytest.raises(DataError, match=message):
        load(tmp_path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_is_named(tmp_path, bad):
    lr = np.zeros((4, 4, 5), np.float32)
    lr[1, 2, 3] = bad
    small_entry(tmp_path, lrhsi1=lr)
    with pytest.raises(DataError, match=r"lrhsi\.npz:lrhsi1: array holds 1 NaN/Inf"):
        load(tmp_path, misalignment=1)


def test_corrupt_npz_is_named(tmp_path):
    d = small_entry(tmp_path)
    with open(os.path.join(d, "lrhsi.npz"), "wb") as f:
        f.write(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"lrhsi\.npz:lrhsi: a damaged .npz.*valid \.npz"):
        load(tmp_path)


def test_truncated_npy_is_named(tmp_path):
    d = small_entry(tmp_path)
    path = os.path.join(d, "GT.npz.npy")
    data = open(path, "rb").read()
    open(path, "wb").write(data[:200])
    with pytest.raises(DataError, match=r"GT\.npz\.npy: the header declares"):
        load(tmp_path)


def test_list_entry_that_does_not_exist_names_list_and_line(tmp_path):
    small_entry(tmp_path)
    (tmp_path / "l.txt").write_text("e1/\n\nnope/\n")
    with pytest.raises(DataError, match=r"l\.txt: line 3: entry 'nope' does not exist"):
        PaperLayout(str(tmp_path), str(tmp_path / "l.txt"))
    with pytest.raises(DataError, match="list file not found"):
        PaperLayout(str(tmp_path), str(tmp_path / "missing.txt"))


def test_reader_options_are_validated():
    with pytest.raises(ValueError, match="msi_bands must be a positive band count"):
        datasets.get("paper", root=".", msi_bands=0)
    with pytest.raises(ValueError, match="misalignment must be 0..3"):
        datasets.get("paper", root=".", misalignment=4)
    with pytest.raises(ValueError, match="needs root"):
        datasets.get("paper")


def test_check_reports_every_problem_at_once_and_exits_1(tmp_path, capsys):
    lr = np.zeros((4, 4, 5), np.float32)
    lr[0, 0, 0] = np.nan
    small_entry(tmp_path, "a", lrhsi2=lr, hrmsi6=np.zeros((16, 16, 5), np.float32))
    d = small_entry(tmp_path, "b")
    open(os.path.join(d, "hrmsi.npz"), "wb").write(b"garbage")
    small_entry(tmp_path, "c")
    (tmp_path / "l.txt").write_text("a/\nb\nghost/\nc/\nc/\n")
    assert datasets_cli(["check", "--root", str(tmp_path), "--list", str(tmp_path / "l.txt")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    text = "\n".join(lines)
    assert "a/lrhsi.npz:lrhsi2: array holds 1 NaN/Inf" in text
    assert "a/hrmsi.npz:hrmsi6: 5 bands; expected 6" in text
    assert "b/hrmsi.npz:hrmsi4: not an .npz (zip) file" in text
    assert "b/hrmsi.npz:hrmsi6: not an .npz (zip) file" in text
    assert "line 3: entry 'ghost' does not exist" in text
    assert "lines 4 and 5 both name 'c'" in text
    assert len(lines) == 6


def test_check_accepts_a_clean_layout(layout, capsys):
    root, _ = layout
    for split in ("train", "val", "test"):
        args = ["check", "--root", root, "--list", os.path.join(root, f"{split}.txt")]
        assert datasets_cli(args) == 0
    assert capsys.readouterr().out == ""
