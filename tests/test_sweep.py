"""``python -m benchmarks.sweep``: jobs on submitit's local executor train and measure, their rows
merge into one run; a job killed mid-training resumes from its last checkpoint under --resume;
SLURM submissions carry their options (a stand-in sbatch); errors are one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from benchmarks.report.cli import main as report_main
from benchmarks.sweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
# a few optimizer steps on 16-px crops, no validation, quality only: seconds per job
TINY = ["--crop-size", "16", "--val-every", "100", "--no-cost", "--device", "cpu",
        "--poll-s", "0.2", "--no-report"]


@pytest.fixture
def one_thread_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs (child processes) run torch on one thread: quicker on a busy 2-core machine, where
    OpenMP's barriers wait on other processes; values do not depend on it."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def sweep_json(out: Path) -> dict:
    return json.loads((out / "sweep.json").read_text())


def test_help_names_the_engines_and_resume(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--executor {local,slurm}", "--resume", "--partition", "--gpus-per-node",
                  "--max-steps", "--measure-profile", "sweep.json", "jobs/<key>/"):
        assert words in text


@pytest.mark.parametrize("argv, message", [
    (["--methods", "bicubic"], "no training recipe"),
    (["--methods", "nosuch"], "unknown method"),
    (["--methods", "ssrnet", "--datasets", "nosuch"], "unknown dataset"),
    (["--methods", "ssrnet", "--no-wait"], "--no-wait: only with --executor slurm"),
    (["--methods", "ssrnet", "--partition", "gpu"], "--partition: only with --executor slurm"),
    (["--resume"], "sweep.json: no such file"),
])
def test_errors_are_one_line_naming_the_argument_or_file(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "s" / "sweep.json").exists()


def test_slurm_jobs_are_submitted_with_their_options(tmp_path, monkeypatch, capsys):
    """A stand-in sbatch keeps each batch script and answers with a job id."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/script-$$.sh\n'
                                    'echo "Submitted batch job $$"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "s"
    assert main(["--methods", "hssdct,qrcode", "--executor", "slurm", "--partition", "gpu",
                 "--gpus-per-node", "2", "--cpus-per-task", "8", "--time", "2880",
                 "--setup", "module load cuda", "--slurm-arg", "mail-user=me@lab",
                 "--device", "cuda", "--measure-profile", "paper", "--no-wait",
                 "--out", str(out)]) == 0
    state = sweep_json(out)
    assert [j["status"] for j in state["jobs"]] == ["submitted", "submitted"]
    assert all(len(j["job_ids"]) == 1 for j in state["jobs"])
    assert state["train"]["nproc_per_node"] == 2  # one training process per GPU
    scripts = sorted(tmp_path.glob("script-*.sh"))
    assert len(scripts) == 2
    text = scripts[0].read_text()
    for line in ("#SBATCH --partition=gpu", "#SBATCH --gpus-per-node=2",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --time=2880",
                 "#SBATCH --mail-user=me@lab", "module load cuda"):
        assert line in text
    assert "--resume waits for the jobs" in capsys.readouterr().out
    # the plan is fixed: --resume with other content names the difference
    assert main(["--out", str(out), "--resume", "--max-steps", "9"]) == 2
    assert "differs from it in max_steps: None there, 9 here" in capsys.readouterr().err


def test_a_failing_job_becomes_error_rows_that_name_it(one_thread_jobs, tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["--methods", "ssrnet", "--max-steps", "1", *TINY, "--crop-size", "18",
            "--out", str(out)]
    assert main(argv) == 1
    rows = pd.read_csv(out / "rows.csv")
    assert set(rows["status"]) == {"error"} and set(rows["scene"]) == {"*"}
    error = rows["error"].iloc[0]
    assert "sweep job ssrnet--indian_pines--s0" in error and "multiple of the ratio" in error
    assert "_log.err" in error
    assert sweep_json(out)["jobs"][0]["status"] == "error"
    assert "status=error rows from 1 job(s)" in capsys.readouterr().err


def test_two_methods_train_measure_and_merge_into_one_run(one_thread_jobs, tmp_path):
    out = tmp_path / "s"
    assert main(["--methods", "ssrnet,fusformer", "--seeds", "3", "--max-steps", "2",
                 "--batch-size", "2", *TINY, "--out", str(out)]) == 0
    state = sweep_json(out)
    keys = ["ssrnet--indian_pines--s3", "fusformer--indian_pines--s3"]
    assert [j["key"] for j in state["jobs"]] == keys
    assert all(j["status"] == "done" and j["steps"] == 2 for j in state["jobs"])
    assert state["executor"] == "local" and state["train"]["max_steps"] == 2
    rows = pd.read_csv(out / "rows.csv")
    assert set(rows["method"]) == {"ssrnet", "fusformer"} and set(rows["status"]) == {"ok"}
    assert set(rows["run_id"]) == set(keys) and set(rows["seed"]) == {3}
    assert set(rows["weights"]) == {"trained"}
    assert set(pd.read_csv(out / "per_band.csv")["method"]) == {"ssrnet", "fusformer"}
    for table in ("table1.md", "metrics.md"):
        text = (out / table).read_text()
        assert "SSR-Net" in text and "Fusformer" in text
    for key in keys:
        job = out / "jobs" / key
        assert torch.load(job / "weights" / "last.pth", weights_only=True)["config"]["seed"] == 3
        assert json.loads((job / "weights" / "manifest.json").read_text())["weights"] == "last.pth"
        assert list((job / "logs").glob("*_log.out"))
    assert report_main([str(out), "--no-figures"]) == 0  # the merged run is a run directory


def test_a_killed_job_resumes_from_its_last_checkpoint(one_thread_jobs, tmp_path):
    """Kill -9 of the job's process once an epoch's last.pth exists (60 steps, 6 an epoch: the
    kill lands well before the end): the sweep records the job as failed (error rows); --resume
    resubmits it and training continues from that step."""
    out = tmp_path / "s"
    job = out / "jobs" / "ssrnet--indian_pines--s0"
    argv = ["--methods", "ssrnet", "--max-steps", "60", "--batch-size", "1", *TINY,
            "--out", str(out)]
    sweep = subprocess.Popen([sys.executable, "-m", "benchmarks.sweep", *argv], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (job / "weights" / "last.pth").exists():
        assert sweep.poll() is None and time.monotonic() < deadline, sweep.stderr.read()
        time.sleep(0.02)
    os.kill(json.loads((job / "job.json").read_text())["pid"], signal.SIGKILL)
    assert sweep.wait(timeout=60) == 1
    assert "status=error rows from 1 job(s)" in sweep.stderr.read()
    killed = torch.load(job / "weights" / "last.pth", weights_only=True)
    at, epoch = len(killed["step_losses"]), killed["epoch"]
    assert 0 < at < 60 and at == 6 * epoch
    rows = pd.read_csv(out / "rows.csv")
    assert set(rows["status"]) == {"error"}
    assert "ended while training" in rows["error"].iloc[0]

    assert main(["--out", str(out), "--resume", "--poll-s", "0.2", "--no-report"]) == 0
    record = sweep_json(out)["jobs"][0]
    assert record["status"] == "done" and len(record["job_ids"]) == 2
    assert record["resumed_at_step"] == at and record["steps"] == 60
    final = torch.load(job / "weights" / "last.pth", weights_only=True)
    assert len(final["step_losses"]) == 60 and final["epoch"] == 10
    assert final["step_losses"][:at] == killed["step_losses"]  # continued, not restarted
    assert pd.read_csv(job / "weights" / "history.csv")["epoch"].tolist() == list(range(1, 11))
    log = (job / "logs" / f"{record['job_ids'][1]}_0_log.out").read_text()
    assert f"resuming from {job / 'weights' / 'last.pth'} (step {at}, epoch {epoch})" in log
    rows = pd.read_csv(out / "rows.csv")
    assert set(rows["status"]) == {"ok"} and set(rows["method"]) == {"ssrnet"}
