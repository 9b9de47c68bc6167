"""kill -9 of ``benchmarks.run`` and ``benchmarks.train`` at chosen points, then ``--resume``: the
final rows (and weights) equal an uninterrupted run's, and no temporary file is left."""

from __future__ import annotations

import signal

import pandas as pd
import pytest
import torch

from tests.faults.conftest import python
from tests.toys import TOY

QUALITY = ["method", "scene", "convention", "status", "psnr", "sam", "ergas", "rmse", "ssim"]

# A child that SIGKILLs itself at the NTH call of a patched function, then runs a command.
KILLER = """
import os, signal, sys
sys.path.insert(0, os.getcwd())
import fileio.atomic, benchmarks.quality
calls = {{"n": 0}}

def kill_at(real, wanted):
    def patched(*args, **kwargs):
        if wanted(*args):
            calls["n"] += 1
            if calls["n"] == {nth}:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    return patched

{patch}
{command}
"""
RUN = "from benchmarks.run import main\nsys.exit(main(sys.argv[1:]))"
TRAIN = ("from tests.toys import register_toy\nregister_toy()\n"
         "from benchmarks.train import main\nsys.exit(main(sys.argv[1:]))")
ON_WRITE = "fileio.atomic.os.replace = kill_at(os.replace, lambda src, dst: str(dst).endswith({name!r}))"
ON_SCORE = "benchmarks.quality.score = kill_at(benchmarks.quality.score, lambda *a: True)"


def run_args(layout, out, *extra):
    return ["--methods", "bicubic,sfim", "--dataset", "paper", "--root", str(layout), "--list",
            str(layout / "test.txt"), "--no-cost", "--no-report", "--out", str(out), *extra]


def quality(out) -> pd.DataFrame:
    rows = pd.read_csv(out / "rows.csv")[QUALITY]
    return rows.sort_values(QUALITY[:3]).reset_index(drop=True)


def unkilled(command: str, *args: str):
    """The same child as a killed one, without the kill (same threads, same environment)."""
    done = python(KILLER.format(nth=0, patch="", command=command), *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture
def uninterrupted(layout, tmp_path):
    unkilled(RUN, *run_args(layout, tmp_path / "straight"))
    return quality(tmp_path / "straight")


@pytest.mark.parametrize("patch, nth", [
    (ON_SCORE, 6),  # sfim's second scene
    (ON_WRITE.format(name="rows.csv"), 2),  # rows.csv after sfim, before the rename
    (ON_WRITE.format(name="per_band.csv"), 2),
    (ON_WRITE.format(name="run.json"), 3),
    (ON_WRITE.format(name="__sfim.npz"), 1),  # the figure cube of sfim
], ids=["during scoring", "writing rows.csv", "writing per_band.csv", "writing run.json",
        "writing a fused cube"])
def test_run_killed_then_resumed_equals_an_uninterrupted_run(layout, tmp_path, uninterrupted,
                                                             patch, nth):
    out = tmp_path / "run"
    killed = python(KILLER.format(nth=nth, patch=patch, command=RUN), *run_args(layout, out))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    unkilled(RUN, *run_args(layout, out, "--resume"))
    pd.testing.assert_frame_equal(quality(out), uninterrupted)
    assert not list(out.rglob(".tmp-*")) and not (out / ".lock").exists()


def train_args(layout, out, *extra):
    return ["--method", TOY, "--root", str(layout), "--train-list", "train.txt", "--val-list",
            "test.txt", "--epochs", "3", "--device", "cpu", "--out", str(out), *extra]


def final_weights(out) -> dict[str, torch.Tensor]:
    return torch.load(out / "last.pth", weights_only=True)["model"]


@pytest.fixture
def trained_straight(layout, tmp_path):
    unkilled(TRAIN, *train_args(layout, tmp_path / "straight"))
    return final_weights(tmp_path / "straight")


BETWEEN_SAVES = ("import benchmarks.training.trainer as trainer\n"
                 "trainer.save_checkpoint = kill_at(trainer.save_checkpoint, "
                 "lambda path, state: path.name == 'last.pth' and state['epoch'] == 2)")


@pytest.mark.parametrize("patch, nth", [
    (BETWEEN_SAVES, 1),  # epoch 2: best.pth written, last.pth not yet
    (ON_WRITE.format(name="last.pth"), 2),  # inside the atomic write of epoch 2's last.pth
    (ON_WRITE.format(name="history.csv"), 2),
], ids=["between best.pth and last.pth", "writing last.pth", "writing history.csv"])
def test_train_killed_then_resumed_equals_straight_training(layout, tmp_path, trained_straight,
                                                            patch, nth):
    out = tmp_path / "run"
    killed = python(KILLER.format(nth=nth, patch=patch, command=TRAIN), *train_args(layout, out))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    unkilled(TRAIN, *train_args(layout, out, "--resume", str(out / "last.pth")))
    for key, value in final_weights(out).items():
        torch.testing.assert_close(value, trained_straight[key], rtol=0, atol=0)
    history = pd.read_csv(out / "history.csv")
    assert list(history.epoch) == [1, 2, 3]
    assert (out / "best.pth").exists()
    best_epoch = torch.load(out / "last.pth", weights_only=True)["best_epoch"]
    assert torch.load(out / "best.pth", weights_only=True)["epoch"] == best_epoch
    assert not list(out.glob(".tmp-*"))
