"""One HSSDCT training step on the CPU, and its speed against the authors' released model.

    python -m benchmarks.hssdct_train_speed [--released DIR] [--rounds 5] [--threads 2]

A step is the released recipe's at batch 1: zero the gradients, forward an HR ``TRAIN_CROP``
crop (LR ``TRAIN_CROP / 4``) of the default 172-band model in train mode, the joint loss
(``hssdct.losses.hssdct_loss``), backward; fp32. With ``--released DIR`` (or the environment
variable ``HSSDCT_RELEASED_CODE``) naming a checkout of the authors' repository
(github.com/jemmyleee/HSSDCT; its ``models/hssdct.py`` imports ``timm`` and ``ptflops``, which
must be importable), their ``HyDCFN`` gets our model's weights and both are timed interleaved in
this process, round by round; the figure is the ratio of their fastest step to ours
(``TRAINING_TARGET``: at least 2). The suite ships none of their code.
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
from pathlib import Path

import torch

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


def compare_with_released(code_dir: str | os.PathLike, rounds: int = 5, threads: int = 2,
                          seed: int = 0) -> dict[str, object]:
    """Training-step times of ours and the released model (interleaved) and the speed-up."""
    torch.manual_seed(seed)
    ours = HSSDCT().train()
    theirs = load_released(code_dir, ours)
    lr, hr, gt = crop_batch(seed)
    with torch_threads(threads):
        times = time_interleaved({"released": lambda: training_step(theirs, lr, hr, gt),
                                  "ours": lambda: training_step(ours, lr, hr, gt)}, rounds)
    return {"threads": threads, "crop": TRAIN_CROP, "rounds": rounds,
            "released_s": times["released"], "ours_s": times["ours"],
            "speedup_of_mins": min(times["released"]) / min(times["ours"]),
            "speedup_of_medians": sorted(times["released"])[rounds // 2]
            / sorted(times["ours"])[rounds // 2],
            "target": TRAINING_TARGET}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.hssdct_train_speed", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--released", default=os.environ.get(RELEASED_ENV),
                   help=f"checkout of the authors' repository (default: ${RELEASED_ENV})")
    p.add_argument("--rounds", type=int, default=5, help="timed rounds (default: %(default)s)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default: %(default)s)")
    args = p.parse_args(argv)
    if args.released:
        report = compare_with_released(args.released, args.rounds, args.threads)
        print(f"training step, HR {TRAIN_CROP} crop, batch 1, fp32, {args.threads} threads: "
              f"released {min(report['released_s']):.2f} s, ours {min(report['ours_s']):.2f} s "
              f"(fastest of {args.rounds}): {report['speedup_of_mins']:.2f}x "
              f"(target {TRAINING_TARGET}x)")
    else:
        torch.manual_seed(0)
        model = HSSDCT().train()
        lr, hr, gt = crop_batch()
        with torch_threads(args.threads):
            times = time_interleaved({"ours": lambda: training_step(model, lr, hr, gt)},
                                     args.rounds)["ours"]
        report = {"threads": args.threads, "crop": TRAIN_CROP, "ours_s": times}
        print(f"training step, HR {TRAIN_CROP} crop, batch 1, fp32, {args.threads} threads: "
              f"{min(times):.2f} s (fastest of {args.rounds}); give --released DIR for the ratio")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
