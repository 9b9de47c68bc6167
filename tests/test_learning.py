"""The learning study: each method trains in a child for a time budget; curves, table, figure; a
batch that runs out of memory is halved, and a method that never fits is a row with its note."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import datasets
from benchmarks import learning
from tests.toys import tiny_simulated


@pytest.fixture(autouse=True)
def tiny_dataset():
    with datasets.registered_dataset("zz_learn", tiny_simulated, description="tiny",
                                     splits=("train", "test")):
        yield


def study(tmp_path, *extra):
    return learning.main(["--methods", "ssrnet", "--dataset", "zz_learn", "--minutes", "0.01",
                          "--per-decade", "2", "--out", str(tmp_path / "out"),
                          "--runs", str(tmp_path / "runs"), *extra])


def test_study_writes_curves_table_figure_and_reusable_weights(tmp_path):
    assert study(tmp_path) == 0
    out = tmp_path / "out"
    table = pd.read_csv(out / "table.csv")
    assert table.method.tolist() == ["SSR-Net"] and table.steps.iloc[0] >= 1
    curve = pd.read_csv(out / "curves" / "ssrnet.csv")
    assert curve.step.iloc[0] == 1 and curve.psnr_standard.notna().all()
    assert (out / "learning_curves.png").stat().st_size > 0
    assert "Bicubic on the same scenes" in (out / "table.md").read_text()
    assert json.loads((tmp_path / "runs" / "ssrnet" / "manifest.json").read_text())["method"] == "ssrnet"


def test_a_method_that_never_fits_in_memory_is_a_row_with_its_note(tmp_path):
    assert study(tmp_path, "--max-rss-gb", "0.05") == 0
    table = pd.read_csv(tmp_path / "out" / "table.csv")
    assert "batch 1: oom" in table.note.iloc[0]
    assert not (tmp_path / "out" / "curves" / "ssrnet.csv").exists()
