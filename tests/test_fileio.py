"""``fileio``: atomic writes with the usual file mode, for results, checkpoints and datasets."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch

import fileio
from benchmarks.training.checkpoint import load_checkpoint, save_checkpoint
from datasets.layout import write_entry, write_list
from fileio.checkpoints import load_state_dict, read_checkpoint, state_dict_of


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_results_get_the_usual_mode_and_no_temp_file_is_left(tmp_path, umask_022):
    fileio.write_json(tmp_path / "a" / "run.json", {"x": 1})
    fileio.write_npz(tmp_path / "a" / "cube.npz", fused=np.zeros(3))
    assert mode(tmp_path / "a" / "run.json") == 0o644
    assert mode(tmp_path / "a" / "cube.npz") == 0o644
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["cube.npz", "run.json"]


def test_checkpoints_get_the_usual_mode(tmp_path, umask_022):
    path = save_checkpoint(tmp_path / "last.pth", {"method": "m", "model": {"w": torch.ones(2)}})
    assert mode(path) == 0o644
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.ones(2))


def test_prepared_datasets_get_the_usual_mode(tmp_path, umask_022):
    gt = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
    entry = write_entry(str(tmp_path), "e0", gt, {"lrhsi": gt[::4, ::4]}, {"hrmsi4": gt[..., :2]})
    write_list(str(tmp_path / "test.txt"), ["e0"])
    files = [*(os.path.join(entry, f) for f in os.listdir(entry)), tmp_path / "test.txt"]
    assert len(files) == 4 and all(mode(f) == 0o644 for f in files)
    assert np.array_equal(np.load(os.path.join(entry, "GT.npz.npy")), gt)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    fileio.write_text(tmp_path / "t.txt", "old")

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        fileio.write_atomic(tmp_path / "t.txt", broken)
    assert (tmp_path / "t.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_stale_temps_of_killed_writers_are_removed(tmp_path):
    (tmp_path / f"{fileio.TEMP_PREFIX}rows.csv.abc.csv").write_text("half")
    (tmp_path / "rows.csv").write_text("kept")
    removed = fileio.remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [f"{fileio.TEMP_PREFIX}rows.csv.abc.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["rows.csv"]


def test_weights_files_unwrap_one_way(tmp_path):
    sd = {"w": torch.ones(2)}
    for i, obj in enumerate(({"model": sd}, {"state_dict": {"module.w": torch.ones(2)}}, sd)):
        torch.save(obj, tmp_path / f"{i}.pth")
        assert torch.equal(load_state_dict(tmp_path / f"{i}.pth")["w"], torch.ones(2))
    with pytest.raises(ValueError, match="not a tensor"):
        state_dict_of({"w": "text"}, "x")
    with pytest.raises(ValueError, match="expected a state_dict"):
        state_dict_of([1, 2], "x")


def test_pickled_objects_are_never_executed(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo hacked",))

    torch.save({"model": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(ValueError, match="weights_only=True"):
        read_checkpoint(tmp_path / "evil.pth")
