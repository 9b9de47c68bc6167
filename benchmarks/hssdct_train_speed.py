"""One HSSDCT training step on the CPU, and its speed against the authors' released model.

    python -m benchmarks.hssdct_train_speed [--released DIR] [--rounds 5] [--threads 2]
                                            [--primitives]

A step is the released recipe's at batch 1: zero the gradients, forward an HR ``TRAIN_CROP``
crop (LR ``TRAIN_CROP / 4``) of the default 172-band model in train mode, the joint loss
(``hssdct.losses.hssdct_loss``), backward; fp32. With ``--released DIR`` (or the environment
variable ``HSSDCT_RELEASED_CODE``) naming a checkout of the authors' repository
(github.com/jemmyleee/HSSDCT; its ``models/hssdct.py`` imports ``timm`` and ``ptflops``, which
must be importable), their ``HyDCFN`` gets our model's weights and both are timed interleaved in
this process, round by round; the figure is the ratio of their fastest step to ours
(``TRAINING_TARGET``: at least 2). The suite ships none of their code. ``--primitives`` then
runs one more step of each with oneDNN's timer on and prints where it went, primitive by
primitive (``benchmarks.onednn_profile``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import types
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from benchmarks.onednn_profile import format_table, profile_primitives
from benchmarks.threads import torch_threads
from hssdct.losses import hssdct_loss
from hssdct.model import HSSDCT
from hssdct.official import to_official

TRAIN_CROP = 128  # HR crop side of the released recipe
TRAINING_TARGET = 2.0  # the released model's step time over ours, at least
RELEASED_ENV = "HSSDCT_RELEASED_CODE"


def crop_batch(seed: int = 0, bands: int = 172, msi_bands: int = 4, crop: int = TRAIN_CROP
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Uniform [-1, 1] LR-HSI (1, C, crop/4, crop/4), HR-MSI (1, c, crop, crop) and GT (1, C, crop, crop)."""
    g = torch.Generator().manual_seed(seed)
    lr = torch.rand(1, bands, crop // 4, crop // 4, generator=g) * 2 - 1
    hr = torch.rand(1, msi_bands, crop, crop, generator=g) * 2 - 1
    gt = torch.rand(1, bands, crop, crop, generator=g) * 2 - 1
    return lr, hr, gt


def training_step(model: torch.nn.Module, lrhsi: torch.Tensor, hrmsi: torch.Tensor,
                  gt: torch.Tensor) -> float:
    """Zero grads, forward, joint loss, backward; returns the loss."""
    model.zero_grad(set_to_none=True)
    loss = hssdct_loss(model(lrhsi, hrmsi), gt)
    loss.backward()
    return loss.item()


def load_released(code_dir: str | os.PathLike, like: HSSDCT) -> torch.nn.Module:
    """The authors' ``HyDCFN`` from a checkout at ``code_dir``, with ``like``'s weights, train mode.

    Built with the released defaults and ``snr`` 0 (its forward adds no noise), ``network_mode`` 1.
    """
    models_file = Path(code_dir) / "models" / "hssdct.py"
    if not models_file.is_file():
        raise FileNotFoundError(f"{models_file} not found: --released / ${RELEASED_ENV} must name "
                                "a checkout of the authors' HSSDCT repository")
    sys.path.insert(0, str(Path(code_dir).resolve()))
    try:
        released = importlib.import_module("models.hssdct")
    finally:
        sys.path.pop(0)
    cfg = like.config
    model = released.HyDCFN(types.SimpleNamespace(
        snr=0, network_mode=1, bands=cfg.bands, nf=cfg.nf, gc=cfg.gc, msi_bands=cfg.msi_bands,
        DEBUG=False))
    model.load_state_dict(to_official(like))
    return model.train()


def time_interleaved(steps: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each step, one call of each per round in turn, after one warm-up each."""
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def released_and_ours(code_dir: str | os.PathLike | None, seed: int = 0
                      ) -> dict[str, Callable[[], float]]:
    """One training step each of the released model (when ``code_dir`` is given) and ours, on
    the same crop and weights, as zero-argument callables."""
    torch.manual_seed(seed)
    ours = HSSDCT().train()
    lr, hr, gt = crop_batch(seed)
    steps = {}
    if code_dir:
        theirs = load_released(code_dir, ours)
        steps["released"] = lambda: training_step(theirs, lr, hr, gt)
    steps["ours"] = lambda: training_step(ours, lr, hr, gt)
    return steps


def speedup_report(times: dict[str, list[float]], threads: int) -> dict[str, object]:
    """The step times, and when both are present the released/ours ratios of fastest and medians."""
    report: dict[str, object] = {"threads": threads, "crop": TRAIN_CROP,
                                 "rounds": len(times["ours"])}
    report.update({f"{name}_s": t for name, t in times.items()})
    if "released" in times:
        mid = len(times["ours"]) // 2
        report.update({
            "speedup_of_mins": min(times["released"]) / min(times["ours"]),
            "speedup_of_medians": sorted(times["released"])[mid] / sorted(times["ours"])[mid],
            "target": TRAINING_TARGET})
    return report


def measure_steps(code_dir: str | os.PathLike | None, rounds: int = 5, threads: int = 2,
                  seed: int = 0, primitives: bool = False) -> dict[str, object]:
    """Training-step times of ours and, with ``code_dir``, the released model (interleaved) and
    the speed-up (:func:`speedup_report`). ``primitives``: then one more step of each under
    oneDNN's timer, as ``report["primitives"][name] = {"step_s", "rows"}``."""
    steps = released_and_ours(code_dir, seed)
    with torch_threads(threads):
        report = speedup_report(time_interleaved(steps, rounds), threads)
        if primitives:
            report["primitives"] = {}
            for name, step in steps.items():
                start = time.perf_counter()
                rows = profile_primitives(step)
                report["primitives"][name] = {"step_s": time.perf_counter() - start, "rows": rows}
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.hssdct_train_speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--released", default=os.environ.get(RELEASED_ENV),
                   help=f"checkout of the authors' repository (default: ${RELEASED_ENV})")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default: %(default)s)")
    p.add_argument("--primitives", action="store_true",
                   help="also time one step of each with oneDNN's verbose timer and print the "
                        "time per oneDNN primitive (convolutions forward, backward-data, "
                        "backward-weights, ...)")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error(f"--rounds must be at least 1, got {args.rounds}")
    report = measure_steps(args.released, args.rounds, args.threads, primitives=args.primitives)
    head = f"training step, HR {TRAIN_CROP} crop, batch 1, fp32, {args.threads} threads"
    for name, profile in report.get("primitives", {}).items():
        print(f"{name}: one step of {profile['step_s']:.2f} s with oneDNN's timer on")
        print(format_table(profile["rows"], profile["step_s"]) + "\n")
    if args.released:
        print(f"{head}: released {min(report['released_s']):.2f} s, ours "
              f"{min(report['ours_s']):.2f} s (fastest of {args.rounds}): "
              f"{report['speedup_of_mins']:.2f}x (target {TRAINING_TARGET}x)")
    else:
        print(f"{head}: {min(report['ours_s']):.2f} s (fastest of {args.rounds}); give "
              "--released DIR for the ratio")
    print(json.dumps(report, indent=1, default=asdict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
