"""Misuse of the runner, the trainer and their files: one line each, nothing lost, nothing mixed."""

from __future__ import annotations

import json
import os
import socket

import pandas as pd
import pytest
import torch

import methods
from benchmarks.train import main as train
from tests.faults.conftest import entries_of
from tests.toys import TOY, build_toy, toy_options


@pytest.fixture
def toy_method():
    with methods.registered(TOY, build_toy, **toy_options()):
        yield TOY


# ---- arguments and checkpoints of benchmarks.run -----------------------------------------------

def test_a_misspelled_checkpoint_name_is_refused(layout, run_bench, tmp_path):
    (tmp_path / "w.pth").write_bytes(b"x")
    outcome = run_bench(layout, "--checkpoint", f"hsdct={tmp_path / 'w.pth'}")
    assert outcome.code == 2
    assert "'hsdct' is not among --methods" in outcome.one_line_error()


def test_a_missing_checkpoint_file_is_refused(layout, run_bench, tmp_path):
    outcome = run_bench(layout, "--checkpoint", f"bicubic={tmp_path / 'nope.pth'}")
    assert outcome.code == 2 and "no such file" in outcome.one_line_error()


@pytest.mark.parametrize("content, says", [
    (b"", "the file is empty"),
    (b"just some text\n", "not a PyTorch checkpoint"),
])
def test_a_checkpoint_that_is_no_checkpoint_is_the_methods_error_rows(
        layout, run_bench, tmp_path, toy_method, content, says):
    (tmp_path / "w.pth").write_bytes(content)
    outcome = run_bench(layout, "--checkpoint", f"{TOY}={tmp_path / 'w.pth'}",
                        methods=f"bicubic,{TOY}")
    assert outcome.code == 1 and "Traceback" not in outcome.err
    assert outcome.errors(TOY).error.str.contains(says).all()
    assert outcome.scored("bicubic") == set(entries_of(layout))


def test_a_training_checkpoint_of_another_method_is_refused(layout, run_bench, tmp_path,
                                                            toy_method):
    from benchmarks.training.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "w.pth", {"method": "hssdct", "model": {},
                                         "config": {"method": "hssdct"}})
    outcome = run_bench(layout, "--checkpoint", f"{TOY}={tmp_path / 'w.pth'}", methods=TOY)
    assert outcome.errors(TOY).error.str.contains("is for method 'hssdct'").all()


def test_out_that_is_a_file_is_one_line(layout, run_bench, tmp_path):
    (tmp_path / "file").write_text("")
    outcome = run_bench(layout, out=tmp_path / "file")
    assert outcome.code == 2 and "is a file" in outcome.one_line_error()


def test_out_that_cannot_be_written_is_one_line(layout, run_bench):
    outcome = run_bench(layout, out=__import__("pathlib").Path("/dev/null/run"))
    assert outcome.code == 2 and "cannot be written" in outcome.one_line_error()


def test_an_unknown_method_is_one_line(layout, run_bench):
    outcome = run_bench(layout, methods="bicubic,nope")
    assert outcome.code == 2 and "unknown method" in outcome.one_line_error()


def test_root_without_its_layout_is_one_line(run_bench, tmp_path):
    outcome = run_bench(tmp_path / "nowhere")
    assert outcome.code == 2 and "nowhere" in outcome.one_line_error()


# ---- one run directory, one owner, one configuration -------------------------------------------

def _lock(out, pid: int, host: str | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / ".lock").write_text(json.dumps({"pid": pid, "host": host or socket.gethostname()}))


def test_a_run_directory_in_use_is_refused(layout, run_bench, tmp_path):
    _lock(tmp_path / "run", os.getppid())  # a live process on this host
    outcome = run_bench(layout)
    assert outcome.code == 2 and f"in use by pid {os.getppid()}" in outcome.one_line_error()


def test_a_stale_lock_is_taken_over_with_a_message(layout, run_bench, tmp_path):
    dead = 2**22 + 12345  # above the default pid_max: never a running process
    _lock(tmp_path / "run", dead)
    outcome = run_bench(layout)
    assert outcome.code == 0
    assert f"taking over the stale lock of pid {dead}" in outcome.err
    assert not (tmp_path / "run" / ".lock").exists()


@pytest.mark.parametrize("change, says", [
    (["--split", "train", "--list", "TRAIN"], "split"),
    (["--profile", "paper"], "profile"),
])
def test_resume_refuses_a_run_of_another_setup(layout, run_bench, change, says):
    assert run_bench(layout).code == 0
    extra = [str(layout / "train.txt") if c == "TRAIN" else c for c in change]
    outcome = run_bench(layout, "--resume", *extra)
    assert outcome.code == 2
    assert "--resume" in (line := outcome.one_line_error()) and says in line


def test_resume_refuses_another_method_configuration(layout, run_bench, tmp_path):
    assert run_bench(layout).code == 0
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    rows.loc[rows.method == "sfim", "method_params"] = json.dumps({"pan": "select"})
    rows.to_csv(tmp_path / "run" / "rows.csv", index=False)
    outcome = run_bench(layout, "--resume")
    assert outcome.code == 2 and "sfim configuration" in outcome.one_line_error()


def test_resume_refuses_another_degradation(tmp_path, capsys):
    import datasets
    from benchmarks.run import main
    from tests.toys import tiny_simulated as tiny

    def noisy(split="test"):
        scenes = tiny(split)
        for scene in scenes:
            scene.meta.degradation["snr_db"] = 30
        return scenes

    args = ["--methods", "bicubic", "--dataset", "zz_degraded", "--no-cost", "--no-report",
            "--out", str(tmp_path / "run")]
    with datasets.registered_dataset("zz_degraded", tiny, description="clean"):
        assert main(args) == 0
    with datasets.registered_dataset("zz_degraded", noisy, description="noisy"):
        assert main([*args, "--resume"]) == 2
    line = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert len(line) == 1 and "degradation" in line[0] and "snr_db" in line[0]


def test_stale_temp_files_are_removed_on_the_next_run(layout, run_bench, tmp_path):
    out = tmp_path / "run"
    assert run_bench(layout).code == 0
    (out / ".tmp-rows.csv.x1.csv").write_text("half")
    (out / "fused").mkdir(exist_ok=True)
    (out / "fused" / ".tmp-a.npz.x2.npz").write_bytes(b"half")
    outcome = run_bench(layout, "--resume")
    assert outcome.code == 0 and "left by a killed writer" in outcome.err
    assert not list(out.rglob(".tmp-*"))


# ---- the trainer -----------------------------------------------------------------------------

def _train(layout, out, *extra):
    return train(["--method", TOY, "--root", str(layout), "--train-list", "train.txt",
                  "--val-list", "test.txt", "--epochs", "2", "--device", "cpu", "--out",
                  str(out), *extra])


def test_train_resume_from_a_checkpoint_of_another_shape_is_one_line(layout, tmp_path, capsys,
                                                                     toy_method):
    assert _train(layout, tmp_path / "a", "--stop-after", "1") == 0
    state = torch.load(tmp_path / "a" / "last.pth", weights_only=True)
    state["model"] = build_toy(6, 4, 4, width=5).state_dict()
    torch.save(state, tmp_path / "a" / "last.pth")
    capsys.readouterr()
    assert _train(layout, tmp_path / "a", "--resume", str(tmp_path / "a" / "last.pth")) == 2
    err = capsys.readouterr().err
    assert "does not fit this" in err and "Traceback" not in err


@pytest.mark.parametrize("content, says", [(b"", "empty"), (b"text", "not a PyTorch checkpoint")])
def test_train_resume_from_no_checkpoint_is_one_line(layout, tmp_path, capsys, toy_method,
                                                     content, says):
    (tmp_path / "bad.pth").write_bytes(content)
    assert _train(layout, tmp_path / "a", "--resume", str(tmp_path / "bad.pth")) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_peak_memory_is_the_methods_own_not_its_parents():
    """Defect 5: a spawned child's ru_maxrss starts at the parent's RSS; VmHWM does not."""
    from benchmarks.cost.isolate import run_isolated
    from benchmarks.cost.memory import peak_memory_gib
    from benchmarks.measure import speed_in_child
    from benchmarks.shapes import PAPER_INPUT

    ballast = torch.ones(2**30, dtype=torch.uint8)  # 1 GiB touched in this process
    assert peak_memory_gib()[0] > 1.0
    child = run_isolated(speed_in_child, {"name": "bicubic", "cfg": {}, "device": "cpu",
                                          "shape": PAPER_INPUT.with_lr(8), "budget_s": 0.1,
                                          "min_iters": 1}, timeout_s=300)
    assert child["mem_kind"] == "cpu_peak_rss"
    assert 0.05 < child["peak_mem_gb"] < 0.9, child["peak_mem_gb"]
    del ballast
