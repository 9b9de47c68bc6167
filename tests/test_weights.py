"""Weights as artefacts: the train profile writes weights with a manifest, a later run reuses them
without training, and weights that do not fit the scenes are refused with the difference named."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import benchmarks.run as runner
import benchmarks.training
import datasets
import methods
from benchmarks import weights as weights_cli
from benchmarks.training.manifest import sha256_of
from tests.toys import TOY, build_toy, tiny_simulated, toy_options


@pytest.fixture(autouse=True)
def world():
    """The dataset zz_tiny and the toy deep entry with a 3-step train budget."""
    with (datasets.registered_dataset("zz_tiny", tiny_simulated, description="tiny",
                                      splits=("train", "test")),
          methods.registered(TOY, build_toy, **toy_options(budget_steps=3))):
        yield


def run(out, *extra):
    return runner.main(["--methods", f"bicubic,{TOY}", "--dataset", "zz_tiny", "--no-cost",
                        "--no-report", "--out", str(out), *extra])


def rows_of(out, method=TOY):
    rows = pd.read_csv(out / "rows.csv")
    return rows[rows.method == method]


@pytest.fixture
def trained(tmp_path):
    """A --profile train run that wrote its weights under tmp_path/weights."""
    assert run(tmp_path / "first", "--profile", "train", "--weights", str(tmp_path / "weights")) == 0
    return tmp_path / "weights"


def only_manifest(root):
    found = sorted(root.rglob("manifest.json"))
    assert len(found) == 1
    return found[0]


def test_train_profile_writes_weights_with_a_manifest_and_a_curve(tmp_path, trained):
    mine = rows_of(tmp_path / "first")
    assert (mine.status == "ok").all() and (mine.weights == "trained").all()
    assert mine.train_budget.iloc[0].startswith("train profile: 3 steps (3 epochs)")
    manifest_path = only_manifest(trained)
    manifest = json.loads(manifest_path.read_text())
    weights = manifest_path.parent / manifest["weights"]
    assert manifest["method"] == TOY and manifest["weights"] == "last.pth"
    assert manifest["sha256"] == sha256_of(weights)
    assert manifest["build"] == {"bands": 6, "msi_bands": 4, "ratio": 4, "model_cfg": {}}
    assert manifest["budget"]["steps"] == 3 and manifest["budget"]["device"] == "cpu"
    assert manifest["data"]["dataset"] == "zz_tiny" and manifest["data"]["scenes"] == 2
    assert "psf" in manifest["data"]["degradation"]
    assert "tile_seed" not in manifest["data"]["degradation"]
    assert np.isfinite(manifest["validation"]["last"]["psnr_standard"])
    assert mine.checkpoint.iloc[0] == str(weights)
    curve = pd.read_csv(tmp_path / "first" / "curves" / f"{TOY}.csv")
    assert curve.step.tolist() == [1, 2, 3]  # 10 points per decade: 1, 2, 3 (the last)
    assert curve[["psnr_paper", "sam_paper", "psnr_standard", "sam_standard"]].notna().all().all()
    from benchmarks.report import load_run, write_figures

    figures = write_figures(load_run(tmp_path / "first"))
    assert tmp_path / "first" / "figures" / "learning_curves.png" in figures.written


def test_a_later_run_reuses_matching_weights_without_training(tmp_path, trained, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(benchmarks.training, "train_for_budget", no_training)
    assert run(tmp_path / "again", "--profile", "train", "--weights", str(trained)) == 0
    first, again = rows_of(tmp_path / "first"), rows_of(tmp_path / "again")
    assert (again.status == "ok").all() and (again.weights == "trained").all()
    assert again.checkpoint.iloc[0] == first.checkpoint.iloc[0]
    assert "manifest" in again.train_budget.iloc[0]
    assert np.allclose(again.psnr.to_numpy(), first.psnr.to_numpy())
    assert run(tmp_path / "smoke", "--weights", str(trained)) == 0  # the smoke profile too
    assert (rows_of(tmp_path / "smoke").weights == "trained").all()


def test_weights_that_do_not_fit_the_scenes_are_refused_naming_the_difference(tmp_path, trained):
    path = only_manifest(trained)
    manifest = json.loads(path.read_text())
    manifest["build"]["bands"] = 7
    manifest["data"]["degradation"]["snr_db"] = 35.0
    path.write_text(json.dumps(manifest))
    assert run(tmp_path / "again", "--weights", str(trained)) == 1
    mine = rows_of(tmp_path / "again")
    assert (mine.status == "error").all()
    error = mine.error.iloc[0]
    assert f"no {TOY} weights fit these scenes" in error
    assert "bands: weights 7, scenes 6" in error and "degradation snr_db: weights 35.0" in error
    assert (rows_of(tmp_path / "again", "bicubic").status == "ok").all()


def test_weights_changed_after_training_are_refused(tmp_path, trained):
    path = only_manifest(trained)
    weights = path.parent / json.loads(path.read_text())["weights"]
    weights.write_bytes(weights.read_bytes() + b"\0")
    assert run(tmp_path / "again", "--weights", str(trained)) == 1
    assert "the file changed after training" in rows_of(tmp_path / "again").error.iloc[0]


def test_missing_weights_directory_is_one_clear_error(tmp_path, capsys):
    assert run(tmp_path / "x", "--weights", str(tmp_path / "nowhere")) == 2
    assert "--weights" in capsys.readouterr().err


def test_weights_list_shows_what_a_directory_holds(trained, capsys):
    assert weights_cli.main(["list", str(trained)]) == 0
    out = capsys.readouterr().out
    assert TOY in out and "zz_tiny/train" in out and "6/4/4" in out


def test_smoke_profile_trains_quick_steps_as_real_training(tmp_path):
    with methods.registered("zz_quick", build_toy, **toy_options(quick_steps=2)):
        assert runner.main(["--methods", "zz_quick", "--dataset", "zz_tiny", "--no-cost",
                            "--no-report", "--out", str(tmp_path / "run")]) == 0
    mine = rows_of(tmp_path / "run", "zz_quick")
    assert (mine.weights == "trained").all()
    assert mine.train_budget.iloc[0].startswith("quick: 2 steps")


def test_an_unreadable_manifest_is_named_when_nothing_fits(tmp_path):
    (tmp_path / "weights" / "x").mkdir(parents=True)
    (tmp_path / "weights" / "x" / "manifest.json").write_text("{not json")
    assert run(tmp_path / "run", "--weights", str(tmp_path / "weights")) == 1
    error = rows_of(tmp_path / "run").error.iloc[0]
    assert "manifest.json: not JSON" in error
