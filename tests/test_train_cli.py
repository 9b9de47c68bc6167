"""``python -m benchmarks.train``: paper layout or --dataset in, checkpoints out, resume, errors."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from benchmarks.train import main
from tests.toys import TOY, write_paper_layout


@pytest.fixture
def layout(tmp_path):
    root = tmp_path / "data"
    lists = write_paper_layout(root, {"train": 3, "val": 2})
    return root, lists


def train_args(root, lists, out, *extra):
    return ["--method", TOY, "--root", str(root), "--train-list", str(lists["train"]),
            "--val-list", "val.txt", "--out", str(out), "--device", "cpu", "--repeat", "2",
            *extra]


def test_cli_trains_on_the_paper_layout_then_resumes_to_the_end(toy, layout, tmp_path, capsys):
    root, lists = layout
    out = tmp_path / "run"
    assert main(train_args(root, lists, out, "--epochs", "2", "--stop-after", "1")) == 0
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [1]
    assert main(train_args(root, lists, out, "--epochs", "2", "--resume",
                           str(out / "last.pth"))) == 0
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2] and history["val_sam_paper"].notna().all()
    assert torch.load(out / "best.pth", weights_only=True)["config"]["bands"] == 6
    assert "evaluate: python -m benchmarks.evaluate" in capsys.readouterr().out


def test_cli_options_override_the_recipe(toy, layout, tmp_path):
    root, lists = layout
    out = tmp_path / "run"
    assert main(train_args(root, lists, out, "--epochs", "1", "--lr", "0.001", "--crop-size", "8",
                           "--batch-size", "3", "--no-noise", "--seed", "11",
                           "--model-cfg", "width=4")) == 0
    cfg = torch.load(out / "last.pth", weights_only=True)["config"]
    assert (cfg["lr"], cfg["crop_size"], cfg["batch_size"], cfg["snr_db"], cfg["seed"]) == (
        0.001, 8, 3, None, 11)
    assert cfg["model_cfg"] == {"width": 4} and cfg["epochs"] == 1


def test_cli_refuses_to_overwrite_a_finished_run(toy, layout, tmp_path, capsys):
    root, lists = layout
    out = tmp_path / "run"
    assert main(train_args(root, lists, out, "--epochs", "1")) == 0
    assert main(train_args(root, lists, out, "--epochs", "1")) == 2
    assert "already holds last.pth" in capsys.readouterr().err


def test_cli_errors_are_one_line_with_exit_code_2(toy, tmp_path, capsys):
    assert main(["--method", TOY, "--root", str(tmp_path), "--train-list", "none.txt",
                 "--device", "cpu", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert main(["--method", "bicubic", "--dataset", "indian_pines"]) == 2
    assert "no training recipe" in capsys.readouterr().err


def test_help_shows_the_methods_recipe_as_defaults(toy, capsys):
    with pytest.raises(SystemExit):
        main(["--method", TOY, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "initial learning rate (default: 0.005)" in text
    assert "(default: 30.0)" in text and f"{TOY}: l1, adam lr 0.005" in text


def test_cli_trains_on_the_shipped_indian_pines_dataset(toy, tmp_path):
    out = tmp_path / "ip"
    assert main(["--method", TOY, "--dataset", "indian_pines", "--epochs", "1", "--crop-size",
                 "16", "--device", "cpu", "--out", str(out), "--model-cfg", "width=4"]) == 0
    history = pd.read_csv(out / "history.csv")
    assert len(history) == 1 and history["val_psnr_paper"].notna().all()
