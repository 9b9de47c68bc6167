"""The training CLI in 2 CPU processes (``--nproc-per-node 2``: torch's elastic agent, gloo,
DistributedDataParallel), and a worker's error as one line.

Run as a script, this file registers the toy entry and hands its arguments to
``benchmarks.train.main``, so the agent starts exactly the CLI users run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch

from tests.toys import TOY, register_toy, write_paper_layout

REPO = Path(__file__).resolve().parents[1]


def train_in_two_processes(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(Path(__file__)), "--nproc-per-node", "2", "--method", TOY,
           "--device", "cpu", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_two_cpu_processes_train_and_write_one_checkpoint(tmp_path):
    root = tmp_path / "data"
    lists = write_paper_layout(root, {"train": 4, "val": 2})
    out = tmp_path / "run"
    done = train_in_two_processes("--root", str(root), "--train-list", str(lists["train"]),
                                  "--val-list", str(lists["val"]), "--epochs", "2", "--repeat", "2",
                                  "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2] and history["val_sam_paper"].notna().all()
    state = torch.load(out / "last.pth", weights_only=True)
    assert state["epoch"] == 2 and not any(k.startswith("module.") for k in state["model"])
    assert sorted(p.name for p in out.iterdir()) == ["best.pth", "config.json", "curve.csv",
                                                     "history.csv", "last.pth", "manifest.json"]
    assert "x2:" in done.stderr + done.stdout  # the log line names the world size


def test_an_error_in_the_workers_reaches_the_user_as_one_line(tmp_path):
    root = tmp_path / "data"
    lists = write_paper_layout(root, {"train": 2})
    lists["train"].write_text("no_such_entry\n")
    done = train_in_two_processes("--root", str(root), "--train-list", str(lists["train"]),
                                  "--epochs", "1", "--out", str(tmp_path / "run"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "no_such_entry" in lines[0], \
        done.stderr


if __name__ == "__main__":
    from benchmarks.train import main

    register_toy()
    sys.exit(main())
