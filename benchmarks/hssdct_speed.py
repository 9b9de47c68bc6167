"""HSSDCT's CPU speed relative to the yardstick conv, its bf16 deviation and its peak memory.

    hssdct-speed [--threads 1 2] [--rounds 5] [--no-memory]      (python -m benchmarks.hssdct_speed)

Everything at the paper's input (``benchmarks.shapes.PAPER_INPUT``), ``eval()`` and
``inference_mode``, fp32 unless said otherwise. The yardstick (``benchmarks.cost.yardstick``) is
timed in the same process and interleaved with the model (conv, model, conv per round). Our target
is at most ``TARGET_RATIO`` x that conv.

At 2 threads on a machine with other busy processes, GNU OpenMP's spin-waiting makes a forward of
thousands of operations wait at every barrier, far more than the single-op conv: the 1-thread
ratio and a 2-thread ratio in a child started with ``OMP_WAIT_POLICY=PASSIVE`` (``--omp-passive``)
are the load-robust figures (docs/measurement.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import torch

from benchmarks.cost.yardstick import time_against_conv
from benchmarks.shapes import PAPER_INPUT
from hssdct.model import HSSDCT

TARGET_RATIO = 27.0
Precision = Literal["fp32", "bf16"]


def forward_at(model: torch.nn.Module | Callable[..., torch.Tensor], lrhsi: torch.Tensor,
               hrmsi: torch.Tensor, precision: Precision = "fp32") -> torch.Tensor:
    """``model(lrhsi, hrmsi)`` under ``inference_mode``, float32 output (B, C, H, W).

    ``bf16``: under ``torch.autocast(device, dtype=torch.bfloat16)`` (matmuls and convolutions
    in bf16, normalisation and reductions in fp32). Put the model in eval mode first.
    """
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
    with torch.inference_mode(), torch.autocast(lrhsi.device.type, dtype=torch.bfloat16,
                                                enabled=precision == "bf16"):
        out = model(lrhsi, hrmsi)
    return out.float()


def paper_inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform [-1, 1] LR-HSI and HR-MSI at the paper's input (HSSDCT's pm1 domain)."""
    lr, hr = PAPER_INPUT.random_inputs(seed)
    return lr * 2 - 1, hr * 2 - 1


def paper_model(seed: int = 0) -> HSSDCT:
    """The default (released) configuration with PyTorch's default init, in eval mode."""
    torch.manual_seed(seed)
    return HSSDCT().eval()


@dataclass(frozen=True)
class Bf16Deviation:
    """bf16-autocast output against the fp32 output of the same model and inputs."""

    max_abs: float
    rmse: float
    psnr_db: float  # peak = the fp32 output's max - min
    fp32_range: float


def bf16_deviation(model: torch.nn.Module, lrhsi: torch.Tensor, hrmsi: torch.Tensor
                   ) -> Bf16Deviation:
    ref = forward_at(model, lrhsi, hrmsi, "fp32")
    low = forward_at(model, lrhsi, hrmsi, "bf16")
    err = (low - ref).double()
    rmse = err.square().mean().sqrt().item()
    peak = (ref.max() - ref.min()).item()
    return Bf16Deviation(max_abs=err.abs().max().item(), rmse=rmse,
                         psnr_db=20 * torch.log10(torch.tensor(peak / rmse)).item(),
                         fp32_range=peak)


_MEMORY_CHILD = """
import json, torch
from benchmarks.cost.memory import peak_memory_gib
from benchmarks.hssdct_speed import paper_inputs, paper_model
torch.set_num_threads({threads})
model = paper_model()
lrhsi, hrmsi = paper_inputs()
before = peak_memory_gib()[0]
with torch.{mode}():
    model(lrhsi, hrmsi)
print(json.dumps({{"peak_memory_gib": peak_memory_gib()[0], "before_forward_gib": before}}))
"""


def peak_rss_child(threads: int = 1, mode: str = "inference_mode", timeout_s: float = 600.0
                   ) -> dict[str, float]:
    """Peak RSS (GiB) of a fresh process running one paper-size forward.

    ``before_forward_gib`` is the peak after imports, model and inputs, before the forward.
    """
    if mode not in ("inference_mode", "no_grad"):
        raise ValueError(f"mode must be 'inference_mode' or 'no_grad', got {mode!r}")
    code = _MEMORY_CHILD.format(threads=int(threads), mode=mode)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


_TIMING_CHILD = """
import json
from benchmarks.cost.yardstick import time_against_conv
from benchmarks.hssdct_speed import paper_inputs, paper_model
model = paper_model()
lrhsi, hrmsi = paper_inputs()
ratio = time_against_conv(lambda: model(lrhsi, hrmsi), {rounds}, {threads})
print(json.dumps(ratio.summary()))
"""


def time_in_child(threads: int = 2, rounds: int = 3, omp_wait_policy: str | None = "PASSIVE",
                  timeout_s: float = 1800.0) -> dict[str, float | int | str]:
    """:func:`time_against_conv` of the fp32 paper-size forward in a fresh process, started with
    ``OMP_WAIT_POLICY=omp_wait_policy`` (None: inherited). Returns :meth:`ConvRatio.summary`."""
    env = dict(os.environ)
    if omp_wait_policy is not None:
        env["OMP_WAIT_POLICY"] = omp_wait_policy
    code = _TIMING_CHILD.format(threads=int(threads), rounds=int(rounds))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=timeout_s, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"timing child failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    summary["omp_wait_policy"] = env.get("OMP_WAIT_POLICY", "(unset)")
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="hssdct-speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                   help="thread counts to time (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (default: %(default)s)")
    p.add_argument("--no-bf16", action="store_true", help="skip the bf16 timing and deviation")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-RSS child")
    p.add_argument("--omp-passive", action="store_true",
                   help="also time fp32 at 2 threads in a child with OMP_WAIT_POLICY=PASSIVE")
    args = p.parse_args(argv)
    model = paper_model()
    lrhsi, hrmsi = paper_inputs()
    report: dict[str, object] = {"target_ratio": TARGET_RATIO}
    for threads in args.threads:
        fp32 = time_against_conv(lambda: model(lrhsi, hrmsi), args.rounds, threads)
        report[f"fp32_{threads}t"] = {**fp32.summary(),
                                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)")}
        print(f"fp32, {threads} thread(s): {fp32.median_round_ratio:.1f}x the conv "
              f"(ratio of medians {fp32.ratio_of_medians:.1f}, of mins {fp32.ratio_of_mins:.1f}; "
              f"model {statistics.median(fp32.model_s):.2f} s, load {fp32.load_avg_1min:.1f})",
              flush=True)
    if args.omp_passive:
        passive = time_in_child(2, args.rounds)
        report["fp32_2t_omp_passive_child"] = passive
        print(f"fp32, 2 threads, OMP_WAIT_POLICY=PASSIVE child: "
              f"{passive['ratio_median_round']:.1f}x the conv", flush=True)
    if not args.no_bf16:
        dev = bf16_deviation(model, lrhsi, hrmsi)
        report["bf16_deviation"] = asdict(dev)
        print(f"bf16 vs fp32: max abs {dev.max_abs:.2e}, rmse {dev.rmse:.2e}, "
              f"PSNR {dev.psnr_db:.1f} dB (peak {dev.fp32_range:.3f})", flush=True)
        for threads in args.threads:
            bf16 = time_against_conv(lambda: forward_at(model, lrhsi, hrmsi, "bf16"), args.rounds,
                                     threads)
            report[f"bf16_{threads}t"] = bf16.summary()
            print(f"bf16, {threads} thread(s): {bf16.median_round_ratio:.1f}x the fp32 conv",
                  flush=True)
    if not args.no_memory:
        report["memory"] = peak_rss_child()
        print(f"peak RSS of a child running one forward: {report['memory']['peak_memory_gib']:.2f} "
              f"GiB ({report['memory']['before_forward_gib']:.2f} GiB before the forward)")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
