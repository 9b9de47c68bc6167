"""``make gpu-check`` (benchmarks/gpu_check.py): one line and exit 0 without CUDA; every check's
code path at small shapes on the CPU, and on CUDA when there is one."""

import json
import os

import pandas as pd
import pytest
import torch

from benchmarks import gpu_check
from benchmarks.shapes import InputShape

SMALL = InputShape(bands=8, msi_bands=4, lr=12, ratio=4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_without_cuda_it_says_so_in_one_line_and_runs_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert gpu_check.main([]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("gpu-check: no CUDA device here")
    assert os.listdir(tmp_path) == []


def run_small(tmp_path, device: str, **options) -> dict:
    return gpu_check.run_checks(tmp_path, device, shape=SMALL, budget_s=0.01, min_iters=1,
                                with_tests=False, **options)


def test_every_check_runs_at_small_shapes_on_the_cpu(tmp_path):
    """float16 autocast is left out on the CPU, where some of its kernels (QRCODE's) take minutes;
    the next test runs it for one method."""
    verdicts = run_small(tmp_path, "cpu", precisions=("fp32", "bf16"))
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert set(zip(rows.method, rows.precision, strict=True)) == {
        (m, p) for m in gpu_check.METHODS for p in ("fp32", "bf16")}
    assert (rows.status == "ok").all() and (rows.median_ms > 0).all(), rows.get("error")
    steps = pd.read_csv(tmp_path / "train_steps.csv")
    assert steps.finite.all() and (steps.amp_dtype == "bfloat16").all()  # the CPU's autocast
    scan = json.loads((tmp_path / "scan.json").read_text())
    assert scan["status"] in ("skipped", "ok")
    assert verdicts["latency"] == verdicts["amp_steps"] == "ok"
    table = (tmp_path / "latency.md").read_text()
    assert "hssdct" in table and "peak GiB bf16" in table


def test_float16_autocast_runs(tmp_path):
    run_small(tmp_path, "cpu", names=("fusionmamba",), precisions=("fp16",))
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert list(rows.status) == ["ok"] and list(rows.precision) == ["fp16"]


def test_a_failing_method_becomes_an_error_row(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(gpu_check, "speed_in_child", boom)
    verdicts = gpu_check.run_checks(tmp_path, "cpu", shape=SMALL, names=("hssdct",),
                                    budget_s=0.01, with_tests=False)
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert (rows.status == "error").all() and "out of memory" in rows.error[0]
    assert verdicts["latency"] == "error"


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_every_check_runs_on_cuda(tmp_path):
    verdicts = run_small(tmp_path, "cuda")
    steps = pd.read_csv(tmp_path / "train_steps.csv")
    assert steps.finite.all() and (steps.amp_dtype == "float16").all() and steps.scaler.all()
    assert verdicts["latency"] == verdicts["amp_steps"] == "ok"
    assert verdicts["scan"] in ("ok", "skipped")


def test_scan_agreement_compares_the_same_weights(tmp_path, monkeypatch):
    """The comparison's own logic on the CPU: with both backends standing for the torch scan, the
    second model gets the first one's weights, so the outputs agree exactly."""
    build = gpu_check.build_for
    monkeypatch.setattr(gpu_check.scan, "mamba_ssm_available", lambda: True)
    monkeypatch.setattr(gpu_check, "build_for",
                        lambda name, cfg, shape: build(name, {**cfg, "scan_backend": "torch"}, shape))
    found = gpu_check.scan_agreement(SMALL, "cpu")
    assert found == {"status": "ok", "max_abs_diff": 0.0, "tolerance": gpu_check.SCAN_TOLERANCE}
