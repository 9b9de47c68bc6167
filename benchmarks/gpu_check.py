"""``make gpu-check``: one command that proves the CUDA path, for the day a GPU is at hand.

Without CUDA it prints one line and exits 0, running nothing. With CUDA it writes a run directory
(default ``results/gpu-check-<id>``; commit it under ``results/reference/gpu/``):

- ``tests.txt``: the CUDA-only tests (``pytest -m cuda``), which skip on a CPU machine;
- ``rows.csv`` and ``latency.md``: CUDA-event latency (10 warm-up calls, synchronised, at least 30
  timed; median, p90, IQR in ms) and peak GPU memory of HSSDCT, FusionMamba and the QRCODE-style
  network at the paper's input (LR-HSI 1x172x64x64, HR-MSI 1x4x256x256) in float32 and under
  autocast to bfloat16 and float16 (``measure.speed_in_child``, the suite's one latency path);
- ``train_steps.csv``: one AMP training step of each (the trainer's ``Stepper``: float16 autocast
  and a gradient scaler on CUDA) and whether its loss is finite;
- ``scan.json``: FusionMamba with the ``mamba_ssm`` kernels against the pure-PyTorch scan (same
  weights, same input; outputs must agree within 1e-3), or why it was not run;
- ``run.json``: device, versions, git commit, and each check's verdict.

Exit status: 0 when every check passed (or there is no CUDA), 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import torch

import fileio
import methods
from benchmarks import provenance
from benchmarks.cli import error_line
from benchmarks.measure import build_for, speed_in_child, synthetic_inputs
from benchmarks.shapes import PAPER_INPUT, InputShape
from benchmarks.training.optim import Stepper, resolve_loss
from methods.fusionmamba import scan

METHODS = ("hssdct", "fusionmamba", "qrcode")
PRECISIONS = ("fp32", "bf16", "fp16")
SCAN_TOLERANCE = 1e-3


def no_cuda_line() -> str | None:
    """The one line to print when this machine has no CUDA device, else None."""
    if torch.cuda.is_available():
        return None
    return (f"gpu-check: no CUDA device here (torch {torch.__version__}, built with CUDA "
            f"{torch.version.cuda or 'none'}); nothing run")


def latency_row(name: str, shape: InputShape, precision: str, device: str, budget_s: float,
                min_iters: int | None = None) -> dict[str, Any]:
    """One method's forward latency (ms) and peak memory (GiB) at ``shape`` in ``precision``."""
    found = speed_in_child(name, {}, shape, device, budget_s, min_iters, dtype=precision)
    return {"method": name, "precision": precision, "input": f"{shape.lr_text()} + {shape.hr_text()}",
            "n": found["n"], "median_ms": 1e3 * found["median_s"], "p90_ms": 1e3 * found["p90_s"],
            "iqr_ms": 1e3 * found["iqr_s"], "peak_mem_gb": found["peak_mem_gb"],
            "params_total": found["params_total"], "status": "ok"}


def amp_train_step(name: str, shape: InputShape, device: str) -> dict[str, Any]:
    """One training step of ``name`` with AMP through the trainer's ``Stepper`` on random inputs
    and a random target; whether its loss is finite."""
    dev = torch.device(device)
    spec = methods.get(name)
    torch.manual_seed(0)
    model = spec.build_model(shape.bands, shape.msi_bands, shape.ratio).to(dev).train()
    (lr, hr), side = synthetic_inputs(spec, shape, dev)
    target = spec.to_domain(torch.rand(1, shape.bands, shape.hr, shape.hr,
                                       generator=torch.Generator().manual_seed(1))).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    stepper = Stepper(model, resolve_loss(spec), optimizer, dev, amp=True, log=lambda _m: None)
    loss = stepper.step(lr, hr, target, side)
    finite = loss is not None and math.isfinite(loss)
    return {"method": name, "amp_dtype": str(stepper.amp_dtype).removeprefix("torch."),
            "scaler": stepper.scaler is not None, "loss": loss, "finite": finite,
            "status": "ok" if finite else "error"}


def scan_agreement(shape: InputShape, device: str) -> dict[str, Any]:
    """FusionMamba's output with the ``mamba_ssm`` scan against the pure-PyTorch scan (same
    weights, same input): the largest absolute difference, or why it was not compared."""
    if not scan.mamba_ssm_available():
        return {"status": "skipped", "reason": "mamba_ssm is not installed (pip install "
                "mamba-ssm on a CUDA machine)"}
    dev = torch.device(device)
    torch.manual_seed(0)
    outputs: list[torch.Tensor] = []
    state: dict[str, torch.Tensor] = {}
    for backend in ("torch", "mamba_ssm"):
        model = build_for("fusionmamba", {"scan_backend": backend}, shape).to(dev)
        if state:
            model.load_state_dict(state)
        state = model.state_dict()
        (lr, hr), side = synthetic_inputs(methods.get("fusionmamba"), shape, dev)
        with torch.inference_mode():
            outputs.append(model(lr, hr, **side).float())
    diff = float((outputs[0] - outputs[1]).abs().max())
    return {"status": "ok" if diff <= SCAN_TOLERANCE else "error", "max_abs_diff": diff,
            "tolerance": SCAN_TOLERANCE}


def cuda_tests(out: Path) -> dict[str, Any]:
    """Run ``pytest -m cuda`` on the suite's tests; its summary line and exit status."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "cuda", "tests"],
                            capture_output=True, text=True, check=False)
    fileio.write_text(out / "tests.txt", result.stdout + result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return {"status": "ok" if result.returncode == 0 else "error",
            "exit_code": result.returncode, "summary": lines[-1] if lines else ""}


def latency_markdown(rows: pd.DataFrame) -> str:
    """Median (p90, IQR) ms and peak GiB per method and precision."""
    table = rows.assign(latency=lambda d: [
        f"{m:.2f} (p90 {p:.2f}, IQR {q:.2f})" if s == "ok" else s
        for m, p, q, s in zip(d.median_ms, d.p90_ms, d.iqr_ms, d.status, strict=True)])
    wide = table.pivot(index="method", columns="precision", values="latency")
    memory = table.pivot(index="method", columns="precision", values="peak_mem_gb")
    wide = wide.join(memory.add_prefix("peak GiB "))
    return wide.reset_index().to_markdown(index=False, floatfmt=".2f") + "\n"


def run_checks(out: Path, device: str = "cuda", shape: InputShape = PAPER_INPUT,
               names: Sequence[str] = METHODS, precisions: Sequence[str] = PRECISIONS,
               budget_s: float = 10.0, min_iters: int | None = None,
               with_tests: bool = True) -> dict[str, Any]:
    """Every check into ``out``; the verdicts (see the module docstring). ``min_iters``: timed
    calls per latency cell (default: the latency module's, 30 on CUDA)."""
    out.mkdir(parents=True, exist_ok=True)
    verdicts: dict[str, Any] = {}
    if with_tests:
        verdicts["cuda_tests"] = cuda_tests(out)
    rows = []
    for name in names:
        for precision in precisions:
            try:
                rows.append(latency_row(name, shape, precision, device, budget_s, min_iters))
            except Exception as err:  # noqa: BLE001 - one error row, the check goes on
                rows.append({"method": name, "precision": precision, "status": "error",
                             "error": error_line(err), "median_ms": math.nan,
                             "p90_ms": math.nan, "iqr_ms": math.nan, "peak_mem_gb": math.nan})
    latency = pd.DataFrame(rows)
    fileio.write_csv(out / "rows.csv", latency)
    fileio.write_text(out / "latency.md", latency_markdown(latency))
    steps = []
    for name in names:
        try:
            steps.append(amp_train_step(name, shape, device))
        except Exception as err:  # noqa: BLE001 - one error row, the check goes on
            steps.append({"method": name, "status": "error", "error": error_line(err)})
    fileio.write_csv(out / "train_steps.csv", pd.DataFrame(steps))
    verdicts["latency"] = "ok" if (latency["status"] == "ok").all() else "error"
    verdicts["amp_steps"] = "ok" if all(s["status"] == "ok" for s in steps) else "error"
    agreement = scan_agreement(shape, device) if "fusionmamba" in names else {"status": "skipped"}
    fileio.write_json(out / "scan.json", agreement)
    verdicts["scan"] = agreement["status"]
    return verdicts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                allow_abbrev=False)
    p.add_argument("--out", type=Path, default=None,
                   help="run directory (default results/gpu-check-<UTC time>)")
    p.add_argument("--budget-s", type=float, default=10.0,
                   help="timing budget per method and precision, seconds (at least 30 calls)")
    p.add_argument("--no-tests", action="store_true", help="skip the pytest -m cuda run")
    args = p.parse_args(argv)
    line = no_cuda_line()
    if line is not None:
        print(line)
        return 0
    out = args.out or Path("results") / f"gpu-check-{provenance.run_stamp()}"
    device = torch.device("cuda")
    started = datetime.now(UTC).isoformat()
    verdicts = run_checks(out, "cuda", budget_s=args.budget_s, with_tests=not args.no_tests)
    fileio.write_json(out / "run.json", {
        "started": started, "finished": datetime.now(UTC).isoformat(),
        "device": "cuda", "device_name": provenance.device_name(device),
        "git_sha": provenance.git_sha(), "versions": provenance.versions(),
        "input": f"{PAPER_INPUT.lr_text()} + {PAPER_INPUT.hr_text()}", "verdicts": verdicts})
    print((out / "latency.md").read_text())
    failed = [k for k, v in verdicts.items() if (v if isinstance(v, str) else v["status"]) == "error"]
    print(f"gpu-check: {'failed: ' + ', '.join(failed) if failed else 'all checks passed'}; "
          f"results in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
