"""The command lines' small manners: no abbreviations, helpful errors, help without noise."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest
import torch

import benchmarks.run as runner
import datasets
from benchmarks.evaluate import default_out
from benchmarks.provenance import resolve_device
from benchmarks.report.summary import scenes_of
from benchmarks.schema import ALL_SCENES


def test_an_option_a_dataset_does_not_take_is_one_error_naming_the_way(tmp_path, capsys):
    code = runner.main(["--methods", "bicubic", "--dataset", "indian_pines", "--root", "DATA",
                        "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert "takes no option 'root'" in err and "--dataset paper --root R" in err
    assert "Traceback" not in err
    with pytest.raises(ValueError, match="its options: .*ratio"):
        datasets.get("indian_pines", colour="red")


def test_abbreviated_options_are_refused_and_method_is_an_alias_of_methods():
    with pytest.raises(SystemExit):
        runner.parse_args(["--meth", "bicubic"])
    assert runner.parse_args(["--method", "hssdct"]).methods == "hssdct"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_suggests_auto():
    with pytest.raises(ValueError, match="--device auto"):
        resolve_device("cuda")


def test_help_shows_each_default_once(capsys):
    with pytest.raises(SystemExit):
        runner.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "(default: [])" not in text
    assert "(default: indian_pines)" in text


def test_evaluate_writes_next_to_the_checkpoint_by_default():
    args = argparse.Namespace(checkpoint=Path("runs/x/best.pth"), list=None, split="test")
    assert default_out(args) == Path("runs/x/metrics-test.csv")
    args.list = "DATA/val.txt"
    assert default_out(args) == Path("runs/x/metrics-val.csv")


def test_a_method_that_failed_before_scoring_adds_no_scene():
    rows = pd.DataFrame({"dataset": ["d"] * 3, "scene": ["a", "b", ALL_SCENES]})
    assert scenes_of(rows, "d") == ["a", "b"]
