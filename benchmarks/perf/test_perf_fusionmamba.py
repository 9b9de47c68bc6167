"""FusionMamba speed on the CPU: paper-size forward next to HSSDCT, and a training step.

- Forward at the paper's input (``benchmarks.shapes.PAPER_INPUT``), ``eval()`` and
  ``inference_mode``, 1 warm-up and 5 timed runs. In the same process, interleaved by
  ``benchmarks.cost.yardstick.time_against_conv``: HSSDCT's forward (target: FusionMamba within
  2.5x of it) and the yardstick conv (HSSDCT's own target is
  ``benchmarks.hssdct_speed.TARGET_RATIO`` x that conv). Ratios and medians go to ``extra_info``.
- Forward + backward at a training crop (LR 16x16, HR 64x64, batch 1, L1 loss), with the peak
  memory (``benchmarks.cost.memory.peak_memory_gib``) of a fresh child process that runs the
  same step.

Runs at one thread, recorded in ``extra_info``: on the shared 2-core box, OpenMP barriers turn
multi-threaded timings into waits on other processes (the ratios, not the absolute times, are
what the targets are about).

    .venv/bin/python -m pytest benchmarks/perf/test_perf_fusionmamba.py --benchmark-only
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import methods
from benchmarks.cost.yardstick import time_against_conv
from benchmarks.hssdct_speed import forward_at
from benchmarks.shapes import PAPER_INPUT, InputShape

THREADS = 1
CROP = PAPER_INPUT.with_lr(16)
ROOT = Path(__file__).resolve().parents[2]

# Child process for the peak-memory measurement: one warm-up step then one measured step.
TRAIN_STEP_CHILD = """
import json, torch
import methods
from benchmarks.cost.memory import peak_memory_gib
from benchmarks.cost.yardstick import seconds
from benchmarks.shapes import InputShape
torch.set_num_threads({threads})
torch.manual_seed(0)
model = methods.build("fusionmamba", {bands}, {msi_bands}).train()
lrhsi, hrmsi = (x * 2 - 1 for x in InputShape({bands}, {msi_bands}, {lr}).random_inputs())
target = torch.rand(1, {bands}, {hr}, {hr}) * 2 - 1
step = lambda: torch.nn.functional.l1_loss(model(lrhsi, hrmsi), target).backward()
step()
print(json.dumps({{"step_s": seconds(step), "peak_memory_gib": peak_memory_gib()[0]}}))
"""


@pytest.fixture(autouse=True)
def threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield THREADS
    torch.set_num_threads(saved)


def inputs(shape: InputShape, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random LR-HSI and HR-MSI in the authors' [-1, 1] domain."""
    lrhsi, hrmsi = shape.random_inputs(seed)
    return lrhsi * 2 - 1, hrmsi * 2 - 1


def test_forward_paper_size_next_to_hssdct(benchmark):
    torch.manual_seed(0)
    model = methods.build("fusionmamba", PAPER_INPUT.bands, PAPER_INPUT.msi_bands).eval()
    hssdct = methods.build("hssdct", PAPER_INPUT.bands, PAPER_INPUT.msi_bands).eval()
    lrhsi, hrmsi = inputs(PAPER_INPUT)
    hssdct_vs_conv = time_against_conv(lambda: forward_at(hssdct, lrhsi, hrmsi), rounds=3)
    benchmark.group = f"fusionmamba forward, LR {PAPER_INPUT.lr_text()} + HR {PAPER_INPUT.hr_text()}"
    out = benchmark.pedantic(lambda: forward_at(model, lrhsi, hrmsi), rounds=5, iterations=1,
                             warmup_rounds=1)
    fm_s = benchmark.stats.stats.median
    conv_s = statistics.median(hssdct_vs_conv.conv_s)
    hssdct_s = statistics.median(hssdct_vs_conv.model_s)
    benchmark.extra_info.update({
        "threads": torch.get_num_threads(),
        "conv_median_s": conv_s,
        "fusionmamba_over_conv": fm_s / conv_s,
        "hssdct_median_s": hssdct_s,
        "hssdct_over_conv": hssdct_vs_conv.median_round_ratio,
        "fusionmamba_over_hssdct": fm_s / hssdct_s,
        "load_avg_1min": hssdct_vs_conv.load_avg_1min,
    })
    assert out.shape == (1, PAPER_INPUT.bands, PAPER_INPUT.hr, PAPER_INPUT.hr)
    assert torch.isfinite(out).all()
    # Coarse guard only (the 2.5x-of-HSSDCT target is reported, not asserted: the ratio moves
    # with the load of the box); a scan that steps through the sequence in Python fails it.
    assert fm_s < 150 * conv_s


def test_train_step_at_64px_crop(benchmark):
    torch.manual_seed(0)
    model = methods.build("fusionmamba", CROP.bands, CROP.msi_bands).train()
    lrhsi, hrmsi = inputs(CROP)
    target = torch.rand(1, CROP.bands, CROP.hr, CROP.hr) * 2 - 1

    def step():
        model.zero_grad(set_to_none=True)
        loss = torch.nn.functional.l1_loss(model(lrhsi, hrmsi), target)
        loss.backward()
        return loss

    benchmark.group = f"fusionmamba train step (fwd+bwd), LR {CROP.lr_text()} + HR {CROP.hr_text()}"
    loss = benchmark.pedantic(step, rounds=3, iterations=1, warmup_rounds=1)
    code = TRAIN_STEP_CHILD.format(threads=THREADS, bands=CROP.bands, msi_bands=CROP.msi_bands,
                                   lr=CROP.lr, hr=CROP.hr)
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                           timeout=900, check=True)
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    benchmark.extra_info.update({"threads": torch.get_num_threads(), **measured})
    assert torch.isfinite(loss)
    assert measured["peak_memory_gib"] < 4.0
