"""The training CLI under torchrun: 2 CPU processes, gloo, DistributedDataParallel.

Run as a script, this file registers the toy entry and hands its arguments to
``benchmarks.train.main``, so torchrun starts exactly the CLI users run.
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


def test_torchrun_with_two_cpu_processes_trains_and_writes_one_checkpoint(tmp_path):
    root = tmp_path / "data"
    lists = write_paper_layout(root, {"train": 4, "val": 2})
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(Path(__file__)), "--method", TOY, "--root", str(root), "--train-list",
           str(lists["train"]), "--val-list", str(lists["val"]), "--epochs", "2", "--device",
           "cpu", "--repeat", "2", "--out", str(out)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1, 2] and history["val_sam_paper"].notna().all()
    state = torch.load(out / "last.pth", weights_only=True)
    assert state["epoch"] == 2 and not any(k.startswith("module.") for k in state["model"])
    assert sorted(p.name for p in out.iterdir()) == ["best.pth", "config.json", "curve.csv",
                                                     "history.csv", "last.pth", "manifest.json"]
    assert "x2:" in done.stderr + done.stdout  # the log line names the world size


if __name__ == "__main__":
    from benchmarks.train import main

    register_toy()
    sys.exit(main())
