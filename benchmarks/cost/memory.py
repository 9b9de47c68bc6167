"""Peak memory of this process, one way for every measurement of the suite, in GiB (2**30 bytes).

CPU: the peak resident set of the current address space (``VmHWM`` in /proc/self/status; on
other systems ``ru_maxrss``), since the process started or since ``reset_peak_memory`` on Linux.
In a child started with ``spawn`` (fork + exec) that is the child's own peak, so a measurement
made in a fresh child is the method's, not its parent's.
CUDA: ``torch.cuda.max_memory_allocated`` since the last ``reset_peak_memory``.
"""

from __future__ import annotations

import resource
import sys

import psutil
import torch

GIB = 2**30


def reset_peak_memory(device: torch.device | str = "cpu") -> None:
    """Start a new peak: CUDA's allocator peak; on Linux also the CPU's VmHWM (``5`` written to
    /proc/self/clear_refs resets it to the current resident set). Elsewhere the CPU peak cannot
    be reset: measure in a fresh child."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def resident_memory_gib() -> float:
    """The current resident set of this process, GiB."""
    return psutil.Process().memory_info().rss / GIB


def peak_memory_gib(device: torch.device | str = "cpu") -> tuple[float, str]:
    """(peak GiB, kind): kind ``cuda_peak_allocated`` or ``cpu_peak_rss``."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / GIB, "cuda_peak_allocated"
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / GIB, "cpu_peak_rss"
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / GIB, "cpu_peak_rss"
