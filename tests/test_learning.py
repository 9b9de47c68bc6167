"""The learning study: each method trains in a child for a time budget; curves, table, figure; a
batch that runs out of memory is halved, and a method that never fits is a row with its note."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

import datasets
from benchmarks import learning
from datasets.simulate import simulate_scene


def tiny(split="test"):
    g = torch.Generator().manual_seed(1 if split == "test" else 2)
    scenes = []
    for i in range(2):
        gt = torch.nn.functional.avg_pool2d(torch.rand(1, 6, 36, 36, generator=g), 5, 1)[0]
        scenes.append(simulate_scene(gt.numpy(), np.linspace(450, 2200, 6), np.full(6, 30.0),
                                     ratio=4, msi_bands=4, seed=i, name=f"tiny/{split}{i}"))
    return scenes


@pytest.fixture(autouse=True)
def tiny_dataset():
    with datasets.registered_dataset("zz_learn", tiny, description="tiny", splits=("train", "test")):
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
