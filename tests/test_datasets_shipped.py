"""Shipped datasets (indian_pines, synthetic), the AVIRIS band tables, and the dataset registry."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import datasets
from datasets.indian_pines import SPLITS, TEST_COLUMNS, TILES, TRAIN_COLUMNS, load_cube
from datasets.registry import SceneList
from datasets.split import check_disjoint
from datasets.wavelengths import aviris172_bands, aviris_classic_bands, indian_pines_bands


def test_indian_pines_test_split_has_paper_style_shapes_and_meta():
    scenes = datasets.get("indian_pines", split="test")
    assert len(scenes) == 6
    s = scenes[0]
    assert s.gt.shape == (200, 40, 40) and s.lrhsi.shape == (200, 10, 10)
    assert s.hrmsi.shape == (4, 40, 40) and s.gt.dtype == torch.float32
    assert float(s.gt.min()) == 0.0 and float(s.gt.max()) == 1.0
    m = s.meta
    assert m.ratio == 4 and m.srf.shape == (4, 200) and m.psf.shape == (12, 12)
    assert m.wavelengths_nm.shape == (200,) and m.fwhm_nm.shape == (200,)
    assert m.degradation["srf"]["sensor"] == "landsat8_oli"
    assert m.degradation["srf"]["bands"] == ["2", "3", "4", "5"]
    assert m.degradation["split"]["tile_rc"] == [0, 65]
    assert "10.4231/R7RX991C" in m.source and m.licence.startswith("CC0")
    raw = torch.from_numpy(load_cube()[0][:, 0:40, 65:105].astype(np.float32))
    torch.testing.assert_close(s.gt * m.scale + m.offset, raw)


def test_indian_pines_is_deterministic_and_noise_follows_the_seed():
    a = datasets.get("indian_pines", split="test")[1]
    b = datasets.get("indian_pines", split="test")[1]
    assert torch.equal(a.lrhsi, b.lrhsi) and torch.equal(a.hrmsi, b.hrmsi)
    n1 = datasets.get("indian_pines", split="test", snr_db=30, seed=1)[1]
    n2 = datasets.get("indian_pines", split="test", snr_db=30, seed=1)[1]
    n3 = datasets.get("indian_pines", split="test", snr_db=30, seed=2)[1]
    assert torch.equal(n1.lrhsi, n2.lrhsi) and not torch.equal(n1.lrhsi, n3.lrhsi)


def test_indian_pines_split_is_spatially_disjoint():
    test = [(y, x) for y, x in SPLITS["test"]]
    check_disjoint({"test": test[:1], **{f"test{i}": [t] for i, t in enumerate(test[1:])}},
                   TILES["test"])  # test tiles share no pixel with each other
    for y, x in SPLITS["train"]:
        side = TILES["train"]
        assert TRAIN_COLUMNS[0] <= x and x + side <= TRAIN_COLUMNS[1] and y + side <= 145
    for y, x in SPLITS["test"]:
        side = TILES["test"]
        assert TEST_COLUMNS[0] <= x and x + side <= TEST_COLUMNS[1] and y + side <= 145
    assert TRAIN_COLUMNS[1] < TEST_COLUMNS[0]  # a separating column, so no tile touches both
    assert len(datasets.get("indian_pines", split="train")) == 6
    with pytest.raises(ValueError, match="splits"):
        datasets.get("indian_pines", split="val")


def test_indian_pines_offers_six_bands_and_sentinel2():
    six = datasets.get("indian_pines", split="test", msi_bands=6)[0]
    assert six.hrmsi.shape == (6, 40, 40)
    s2 = datasets.get("indian_pines", split="test", sensor="sentinel2a_msi")[0]
    assert s2.meta.degradation["srf"]["bands"] == ["2", "3", "4", "8"]


def test_vendored_bands_match_the_spc_table():
    cube, wl, fwhm, _, _ = load_cube()
    assert cube.shape == (200, 145, 145) and cube.dtype == np.uint16
    centres, widths = indian_pines_bands()
    np.testing.assert_array_equal(wl, centres)
    np.testing.assert_array_equal(fwhm, widths)
    assert wl[0] == pytest.approx(400.02) and wl[-1] == pytest.approx(2489.11)


def test_aviris_tables_fill_the_four_missing_channels_and_keep_172():
    centres, fwhm = aviris_classic_bands()
    assert centres.shape == (224,) and np.all(fwhm > 0)
    for spectrometer in (slice(0, 32), slice(32, 96), slice(96, 160), slice(160, 224)):
        assert np.all(np.diff(centres[spectrometer]) > 0)  # increasing inside a spectrometer
    c172, _ = aviris172_bands()
    assert c172.shape == (172,)
    assert c172[0] == pytest.approx(centres[10]) and c172[-1] == pytest.approx(centres[213])


def test_synthetic_scene_is_paper_size_and_fixed_by_seed():
    a = datasets.get("synthetic", n=1, seed=0)[0]
    assert a.gt.shape == (172, 256, 256) and a.lrhsi.shape == (172, 64, 64)
    assert a.hrmsi.shape == (4, 256, 256) and a.gt.dtype == torch.float32
    assert a.meta.srf.shape == (4, 172) and len(a.meta.degradation["synthetic"]["endmembers"]) == 6
    b = datasets.get("synthetic", n=1, seed=0)[0]
    assert torch.equal(a.gt, b.gt) and torch.equal(a.lrhsi, b.lrhsi)
    small = datasets.get("synthetic", n=2, seed=1, size=32)
    assert not torch.equal(small[0].gt, small[1].gt)
    assert not torch.equal(small[0].gt, datasets.get("synthetic", split="train", n=1, seed=1,
                                                      size=32)[0].gt)


def test_synthetic_abundances_are_smooth_mixtures():
    s = datasets.get("synthetic", n=1, seed=3, size=64)[0]
    # Neighbouring pixels differ far less than random pixel pairs: the maps are smooth.
    step = (s.gt[:, 1:, :] - s.gt[:, :-1, :]).abs().mean()
    shuffled = s.gt.flatten(1)[:, torch.randperm(64 * 64, generator=torch.Generator().manual_seed(0))]
    assert step < 0.2 * (shuffled[:, 1:] - shuffled[:, :-1]).abs().mean()


def test_registry_lists_gets_and_registers_datasets():
    assert {"indian_pines", "paper", "synthetic"} <= set(datasets.list_datasets())

    def scratch(split="test"):
        return SceneList(["one"], lambda i: "scene")

    with datasets.registered_dataset("zz_scratch", scratch, description="scratch",
                                     splits=("test",)) as entry:
        assert entry.factory is scratch and entry.splits == ("test",)
        assert datasets.list_datasets("zz_*") == ["zz_scratch"]
        assert datasets.get("zz_scratch")[0] == "scene"
        with pytest.raises(ValueError, match="has splits"):
            datasets.get("zz_scratch", split="train")
        with pytest.raises(ValueError, match="already registered"):
            with datasets.registered_dataset("zz_scratch", scratch, description="again"):
                pass
    assert datasets.list_datasets("zz_*") == []
    with pytest.raises(KeyError, match="unknown dataset"):
        datasets.get("nope")


def test_scene_list_is_a_lazy_sequence():
    calls = []
    scenes = SceneList(["a", "b", "c"], lambda i: calls.append(i) or i)
    assert len(scenes) == 3 and calls == []
    assert scenes[-1] == 2 and list(scenes) == [0, 1, 2] and scenes[1:] == [1, 2]
    with pytest.raises(IndexError):
        scenes[3]


def test_cli_lists_datasets():
    run = subprocess.run([sys.executable, "-m", "datasets", "list"], capture_output=True, text=True)
    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == [
        "cave", "chikusei", "dc-mall", "harvard", "houston2013", "indian_pines", "paper",
        "pavia-c", "pavia-u", "synthetic"]
    protocols = [line.split()[0] for line in lines if line.startswith("  ")]
    registry = datasets.registry
    expected = [f"{name}:{protocol}" for name in registry.list_datasets()
                for protocol in registry.spec(name).protocol_names()]
    assert sorted(protocols) == sorted(expected) and "cave:x8-gauss" in protocols
