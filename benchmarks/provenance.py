"""Where and with what a run was made: git sha, versions, device and CPU/GPU model."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def run_stamp() -> str:
    """The current UTC time as a run directory's default name part, ``YYYYmmdd-HHMMSS``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def git_sha() -> str:
    """The checkout's commit (with "-dirty" when files differ), or "unknown" outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model()} ({torch.get_num_threads()} threads)"


def resolve_device(spec: str) -> torch.device:
    """"auto" picks CUDA when available, else CPU; "cuda" without a GPU is an error."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {spec} was asked for, but torch sees no CUDA device; use "
                         "--device auto (CUDA when available, else CPU) or --device cpu")
    return device


def versions() -> dict[str, str]:
    found = {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
             "platform": platform.platform()}
    for name in ("fvcore", "scipy", "pandas"):
        try:
            found[name] = __import__(name).__version__
        except (ImportError, AttributeError):
            found[name] = "absent"
    return found


def openmp_wait_policy() -> str:
    """OMP_WAIT_POLICY as this process started with it (read by OpenMP at start-up), or
    "default" (GNU OpenMP: spin a while, then sleep)."""
    return os.environ.get("OMP_WAIT_POLICY") or "default"
