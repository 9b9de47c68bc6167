"""HSSDCT at the paper's input (``benchmarks.shapes.PAPER_INPUT``) on the CPU, ``eval()`` and
``inference_mode``: speed relative to the yardstick conv, bf16 autocast, peak memory.

- fp32 forward (``benchmarks.hssdct_speed.forward_at``), timed by pytest-benchmark (1 warm-up,
  5 rounds) at 1 and 2 threads. Right before and right after each round (untimed by the
  benchmark) the yardstick (``benchmarks.cost.yardstick.reference_conv``) is timed in the same
  process. ``extra_info`` holds ``ConvRatio.summary()`` (``ratio_median_round``: each round's
  model time over the mean of its two convs, median over rounds; ``ratio_of_medians``;
  ``ratio_of_mins``), ``TARGET_RATIO``, the load average and the thread count. At 2 threads on a
  shared box the OpenMP barriers of a forward of thousands of ops wait on other processes, so the
  1-thread ratio is the load-robust figure.
- bf16 autocast forward, same yardstick, with its deviation from fp32 (max abs, RMSE, PSNR).
- fp32 at 2 threads in a fresh child process started with ``OMP_WAIT_POLICY=PASSIVE``: with
  GNU OpenMP's default spin-waiting, a busy neighbour inflates the in-process 2-thread ratio far
  more than the conv's (one op against thousands). The child's summary goes to ``extra_info``;
  the benchmark's own time is the child's wall time (imports included).
- Peak memory (``benchmarks.cost.memory.peak_memory_gib``, VmHWM) of a fresh child process that
  builds the model and runs one forward.
- One training step (``benchmarks.hssdct_train_speed``: HR 128 crop, batch 1, fp32, joint loss,
  2 threads) against the yardstick; and, when ``$HSSDCT_RELEASED_CODE`` names a checkout of the
  authors' repository, the released model's step time over ours, interleaved in this process
  (``extra_info``: both series and ``speedup_of_mins``; target ``TRAINING_TARGET`` = 2).

    .venv/bin/python -m pytest benchmarks/perf/test_perf_hssdct.py --benchmark-only
    .venv/bin/python -m benchmarks.hssdct_speed      # the same figures, printed
"""

from __future__ import annotations

import os

import pytest
import torch

from benchmarks.cost.yardstick import ConvRatio, reference_conv, seconds
from benchmarks.hssdct_speed import (
    TARGET_RATIO,
    bf16_deviation,
    forward_at,
    paper_inputs,
    paper_model,
    peak_rss_child,
    time_in_child,
)
from benchmarks.hssdct_train_speed import (
    RELEASED_ENV,
    TRAIN_CROP,
    crop_batch,
    measure_steps,
    training_step,
)
from benchmarks.shapes import PAPER_INPUT
from hssdct.model import HSSDCT

ROUNDS = 5
SHAPES = f"LR {PAPER_INPUT.lr_text()} + HR {PAPER_INPUT.hr_text()}"


@pytest.fixture(scope="module")
def model():
    return paper_model()


@pytest.fixture(scope="module")
def inputs():
    return paper_inputs()


@pytest.fixture
def threads(request):
    saved = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(saved)


def _run_against_conv(benchmark, forward, threads: int, rounds: int) -> None:
    """Benchmark ``forward`` with the yardstick conv timed right before and after each round, as
    ``time_against_conv`` interleaves them, and record the ratios in ``extra_info``."""
    conv = reference_conv()
    before: list[float] = []
    after: list[float] = []
    conv()  # warm-up of the conv; the model's warm-up is pytest-benchmark's
    benchmark.pedantic(forward, setup=lambda: before.append(seconds(conv)),
                       teardown=lambda: after.append(seconds(conv)),
                       rounds=rounds, warmup_rounds=1, iterations=1)
    model_s = tuple(benchmark.stats.stats.data)
    before, after = before[-rounds:], after[-rounds:]  # the convs around the timed rounds
    ratio = ConvRatio(threads, model_s, tuple(before + after),
                      tuple(m / ((b + a) / 2) for m, b, a in zip(model_s, before, after, strict=True)),
                      os.getloadavg()[0])
    benchmark.extra_info.update({
        "shape": SHAPES, **ratio.summary(),
        "round_ratios": [round(r, 2) for r in ratio.round_ratios],
        "target_ratio": TARGET_RATIO,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
    })


@pytest.mark.parametrize("threads", [1, 2], indirect=True)
def test_hssdct_fp32_forward_vs_conv(benchmark, model, inputs, threads):
    benchmark.group = f"hssdct paper-size forward ({SHAPES})"
    lrhsi, hrmsi = inputs
    _run_against_conv(benchmark, lambda: forward_at(model, lrhsi, hrmsi), threads, ROUNDS)
    assert torch.isfinite(forward_at(model, lrhsi, hrmsi)).all()


@pytest.mark.parametrize("threads", [1, 2], indirect=True)
def test_hssdct_bf16_forward_vs_conv(benchmark, model, inputs, threads):
    benchmark.group = f"hssdct paper-size forward ({SHAPES})"
    lrhsi, hrmsi = inputs
    _run_against_conv(benchmark, lambda: forward_at(model, lrhsi, hrmsi, "bf16"), threads, 3)
    dev = bf16_deviation(model, lrhsi, hrmsi)
    benchmark.extra_info.update({"precision": "bf16 autocast", "bf16_max_abs": dev.max_abs,
                                 "bf16_rmse": dev.rmse, "bf16_psnr_db": round(dev.psnr_db, 2),
                                 "fp32_output_range": dev.fp32_range})
    assert dev.psnr_db > 40


def test_hssdct_fp32_forward_vs_conv_omp_passive_child(benchmark):
    benchmark.group = "hssdct paper-size forward, child process"
    summary = benchmark.pedantic(time_in_child, kwargs={"threads": 2, "rounds": 3}, rounds=1,
                                 iterations=1)
    benchmark.extra_info.update({"shape": SHAPES, **summary, "target_ratio": TARGET_RATIO})
    # Measured in the child: a forward of thousands of ops takes longer than the one conv.
    assert summary["conv_median_s"] > 0 and summary["ratio_median_round"] > 1


def test_hssdct_peak_memory_one_forward(benchmark):
    benchmark.group = "hssdct peak memory"
    result = benchmark.pedantic(peak_rss_child, kwargs={"threads": 2}, rounds=1, iterations=1)
    benchmark.extra_info.update({"shape": SHAPES, **{k: round(v, 3) for k, v in result.items()},
                                 "what": "VmHWM of a fresh process: imports + model + inputs + "
                                         "one inference_mode forward (fp32, 2 threads)"})
    assert result["peak_memory_gib"] < 4


@pytest.mark.parametrize("threads", [2], indirect=True)
def test_hssdct_training_step_vs_conv(benchmark, threads):
    """One training step (HR 128 crop, batch 1, fp32, joint loss) against the yardstick conv."""
    benchmark.group = f"hssdct training step (HR {TRAIN_CROP} crop, batch 1)"
    torch.manual_seed(0)
    model = HSSDCT().train()
    lr, hr, gt = crop_batch()
    _run_against_conv(benchmark, lambda: training_step(model, lr, hr, gt), threads, 3)


@pytest.mark.skipif(not os.environ.get(RELEASED_ENV),
                    reason=f"${RELEASED_ENV} does not name a checkout of the authors' code")
def test_hssdct_training_step_vs_released_code(benchmark):
    """The released model's training step over ours, timed interleaved in this process."""
    benchmark.group = f"hssdct training step (HR {TRAIN_CROP} crop, batch 1)"
    report = benchmark.pedantic(measure_steps, args=(os.environ[RELEASED_ENV],),
                                kwargs={"rounds": 5, "threads": 2}, rounds=1, iterations=1)
    benchmark.extra_info.update(report)
    assert report["speedup_of_mins"] > 1
