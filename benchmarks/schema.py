"""The long-format result row: one row per run x method x dataset x scene x metric convention.

Every table and figure is made from these rows (plus, for image figures, the fused cubes that the
runner saves next to them). Columns are listed here once; writers fill what they measured and leave
the rest empty (NaN), never a typed-in figure.
"""

from __future__ import annotations

IDENTITY = ["run_id", "method", "label", "family", "dataset", "scene", "convention", "status", "error"]
QUALITY = ["psnr", "sam", "ergas", "rmse", "ssim", "uiqi", "cc", "sam_excluded_pixels"]
COST = [
    "params_total", "params_trainable",
    "gmacs_fvcore", "gflops_counter", "gmacs_hooks", "gmacs_analytic",
    "uncounted_fvcore", "uncounted_flop_counter", "uncounted_hooks", "analytic_detail",
    "cost_lr_shape", "cost_hr_shape", "cost_extrapolated", "cost_error",
]
# peak_mem_gb: GiB, the peak while the timed forwards ran (model and inputs resident), in a fresh
# spawned child (benchmarks.cost.memory; on Linux the CPU peak is reset after the build).
SPEED = [
    "latency_median_s", "latency_p90_s", "latency_iqr_s", "latency_n", "latency_lr_shape",
    "latency_hr_shape", "peak_mem_gb", "mem_kind", "matmul_gflops", "roofline_fraction",
    "fuse_s",
]
PROVENANCE = [
    "device", "device_name", "dtype", "threads", "torch_version", "git_sha", "seed",
    "weights", "train_budget", "checkpoint", "method_params", "degradation", "wall_s",
]
COLUMNS = IDENTITY + QUALITY + COST + SPEED + PROVENANCE

STATUSES = ("ok", "error", "skipped")
ALL_SCENES = "*"  # the scene of a method's error rows when it failed before any scene was scored
# weights: how a method's weights came to be. none: it learns nothing (classical, baseline);
# given: a checkpoint; trained: trained by the suite with a real budget; untrained: a few steps
# that only check that training runs, so its quality is never shown as a result.
UNTRAINED = "untrained"
REAL_QUALITY = ("give trained weights with --weights DIR or --checkpoint NAME=PATH, or train them "
                "with --profile train (the registry's budgets: about an hour on one GPU)")
WEIGHTS = ("none", "given", "trained", UNTRAINED)


def file_stem(name: str) -> str:
    """A scene or method name as a file-name part: runs of other characters become '_'."""
    import re

    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "unnamed"
