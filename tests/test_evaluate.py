"""``python -m benchmarks.evaluate`` and ``benchmarks.checkpoints``: train tiny -> evaluate -> CSV,
and the weight files the loader accepts (ours, bare, DDP-prefixed, the authors' HSSDCT keys)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import methods
from benchmarks.checkpoints import build_args, load_weights
from benchmarks.evaluate import main as evaluate
from benchmarks.train import main as train
from fileio.checkpoints import read_checkpoint
from tests.toys import TOY, write_paper_layout


def test_train_then_evaluate_writes_both_conventions_per_scene(toy, tmp_path, capsys):
    root = tmp_path / "data"
    lists = write_paper_layout(root, {"train": 2, "test": 3})
    run = tmp_path / "run"
    assert train(["--method", TOY, "--root", str(root), "--train-list", str(lists["train"]),
                  "--val-list", str(lists["test"]), "--epochs", "1", "--device", "cpu",
                  "--out", str(run)]) == 0
    csv, fused = tmp_path / "metrics.csv", tmp_path / "fused"
    assert evaluate(["--method", TOY, "--checkpoint", str(run / "best.pth"), "--root", str(root),
                     "--list", "test.txt", "--out", str(csv), "--save-fused", str(fused)]) == 0
    rows = pd.read_csv(csv)
    assert len(rows) == 6 and (rows["status"] == "ok").all()
    assert sorted(rows["convention"].unique()) == ["paper", "standard"]
    paper = rows[rows["convention"] == "paper"]
    assert paper["psnr"].notna().all() and paper["sam"].notna().all()
    # validation in training used the same paper convention on the same scenes
    history = pd.read_csv(run / "history.csv")
    assert history["val_sam_paper"].iloc[0] == pytest.approx(paper["sam"].mean(), rel=1e-5)
    files = sorted(fused.glob("*.npz"))
    assert len(files) == 3
    with np.load(files[0]) as z:
        assert z["fused"].shape == (6, 32, 32) and float(z["scale"]) > 0
    assert "means over 3 scene(s)" in capsys.readouterr().out


def test_evaluate_runs_on_a_registered_dataset(toy, tmp_path):
    run = tmp_path / "run"
    assert train(["--method", TOY, "--dataset", "indian_pines", "--epochs", "1", "--crop-size",
                  "16", "--device", "cpu", "--out", str(run), "--model-cfg", "width=4"]) == 0
    csv = tmp_path / "m.csv"
    assert evaluate(["--method", TOY, "--checkpoint", str(run / "last.pth"), "--dataset",
                     "indian_pines", "--out", str(csv)]) == 0
    assert len(pd.read_csv(csv)) == 12  # 6 test tiles x 2 conventions


def test_evaluate_rejects_a_checkpoint_for_other_bands(toy, tmp_path, capsys):
    root = tmp_path / "data"
    write_paper_layout(root, {"test": 1}, bands=5)
    model = methods.build(TOY, 6, 4)
    torch.save(model.state_dict(), tmp_path / "w.pth")
    assert evaluate(["--method", TOY, "--checkpoint", str(tmp_path / "w.pth"), "--root",
                     str(root), "--list", "test.txt", "--out", str(tmp_path / "m.csv")]) == 2
    assert "does not fit" in capsys.readouterr().err


@pytest.mark.parametrize("wrap", ["bare", "model_key", "ddp_prefix"])
def test_load_weights_accepts_bare_wrapped_and_ddp_state_dicts(toy, tmp_path, wrap):
    source = methods.build(TOY, 6, 3)
    state = source.state_dict()
    obj = {"bare": state, "model_key": {"model": state, "epoch": 3},
           "ddp_prefix": {f"module.{k}": v for k, v in state.items()}}[wrap]
    torch.save(obj, tmp_path / "w.pth")
    target = methods.build(TOY, 6, 3)
    load_weights(methods.get(TOY), target, tmp_path / "w.pth")
    assert all(torch.equal(v, target.state_dict()[k]) for k, v in state.items())


def test_load_weights_refuses_files_that_need_unpickling(toy, tmp_path):
    torch.save({"model": methods.build(TOY, 6, 3)}, tmp_path / "module.pth")  # a whole nn.Module
    with pytest.raises(ValueError, match="weights_only=True"):
        load_weights(methods.get(TOY), methods.build(TOY, 6, 3), tmp_path / "module.pth")


def test_load_weights_maps_the_authors_hssdct_key_names(tmp_path):
    from hssdct.model import HSSDCT, HSSDCTConfig
    from hssdct.official import to_official

    cfg = HSSDCTConfig(bands=8, msi_bands=3, nf=32, gc=16)
    source = HSSDCT(cfg)
    official = to_official(source)
    assert all(k.startswith("decoder.") for k in official)
    torch.save({"model": official}, tmp_path / "official.pth")
    target = HSSDCT(cfg)
    load_weights(methods.get("hssdct"), target, tmp_path / "official.pth")
    assert all(torch.equal(v, target.state_dict()[k]) for k, v in source.state_dict().items())


def test_authors_fusionmamba_checkpoint_loads_and_says_how_to_build_its_model(tmp_path):
    from methods.fusionmamba import to_official

    source = methods.build("fusionmamba", 8, 3, dim=16)
    torch.save({"model": {f"module.{k}": v for k, v in to_official(source).items()}},
               tmp_path / "u2net.pth")
    obj = read_checkpoint(tmp_path / "u2net.pth")
    spec = methods.get("fusionmamba")
    args = build_args(spec, obj, "u2net.pth")
    assert args == {"bands": 8, "msi_bands": 3, "dim": 16, "ratio": 4, "d_state": 8, "d_conv": 4}
    target = methods.build("fusionmamba", **args)
    load_weights(spec, target, tmp_path / "u2net.pth")
    assert all(torch.equal(v, target.state_dict()[k]) for k, v in source.state_dict().items())
    with pytest.raises(ValueError, match="u2net.pth.*wrong shape"):
        load_weights(spec, methods.build("fusionmamba", 8, 3, dim=24), tmp_path / "u2net.pth")
