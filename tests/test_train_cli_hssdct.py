"""``hssdct-train``: the authors' flags, mapped onto the shared trainer."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import methods
from benchmarks.hssdct_train import main, parse_args, training_spec
from tests.toys import write_paper_layout


@pytest.mark.parametrize("mode", ["0", "2"])
def test_network_modes_other_than_1_stop_with_a_clear_error(mode, capsys):
    assert main(["--network_mode", mode]) == 2
    assert "only mode 1" in capsys.readouterr().err


def test_defaults_are_the_released_train_py_defaults():
    a = parse_args([])
    assert (a.batch_size, a.epochs, a.lr, a.lr_scheduler, a.msi_bands, a.bands, a.crop_size,
            a.snr, a.nf, a.gc, a.joint_loss, a.network_mode) == (
        6, 1000, 5.5e-5, "cosine", 4, 172, 128, 35.0, 96, 32, 1, 1)


def test_joint_loss_0_trains_with_smooth_l1_alone():
    pred, target = torch.zeros(1, 2, 4, 4), torch.full((1, 2, 4, 4), 3.0)
    assert float(training_spec(0).recipe.loss_fn(pred, target)) == pytest.approx(2.5)
    assert training_spec(1).recipe is methods.get("hssdct").recipe


@pytest.mark.usefixtures("one_thread")
def test_authors_flags_train_a_tiny_hssdct_and_resume_from_official_weights(tmp_path):
    from hssdct.official import to_official

    root = tmp_path / "data"
    write_paper_layout(root, {"train": 2, "val": 1}, bands=8, size=40)
    flags = ["--root", str(root), "--train_file", "train.txt", "--val_file", "val.txt",
             "--batch_size", "2", "--bands", "8", "--crop_size", "40", "--image_size", "40",
             "--nf", "32", "--gc", "16", "--device", "cpu"]
    assert main([*flags, "--epochs", "1", "--prefix", "a", "--out", str(tmp_path / "a")]) == 0
    cfg = torch.load(tmp_path / "a" / "last.pth", weights_only=True)["config"]
    assert cfg["model_cfg"] == {"nf": 32, "gc": 16} and cfg["lr"] == 5.5e-5
    assert cfg["batch_size"] == 2 and cfg["snr_db"] == 35.0

    model = methods.build("hssdct", 8, 4, nf=32, gc=16)
    torch.save(to_official(model), tmp_path / "official.pth")
    assert main([*flags, "--epochs", "2", "--out", str(tmp_path / "b"), "--resume_ckpt",
                 str(tmp_path / "official.pth"), "--resume_ind", "1"]) == 0
    history = pd.read_csv(tmp_path / "b" / "history.csv")
    assert history["epoch"].tolist() == [2]
    # the cosine schedule was advanced to epoch 2 of 2: lr = eta + (5.5e-5 - eta) / 2
    assert history["lr"].iloc[0] == pytest.approx(1e-10 + (5.5e-5 - 1e-10) / 2, rel=1e-9)
