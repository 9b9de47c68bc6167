"""Paired comparison of each method with a reference method, scene by scene.

For one metric and convention, a method's value on each scene is paired with the reference's value
on the same scene (only scenes that both scored ``ok`` with finite values count). The summary is
the mean of the per-scene differences (method - reference, in the metric's units) with a bootstrap
percentile interval of that mean, and the number of scenes where the method is better than the
reference by more than a tie tolerance (wins), within it (ties), or worse (losses).

- ``paired_difference(values, reference, ...) -> PairedDifference``: the statistics of two
  aligned arrays.
- ``paired_to_reference(rows, reference, metric, convention) -> {method: PairedDifference}``.
- ``choose_reference(run, requested) -> (reference or None, note)``: the requested reference, or
  the best measured method when the requested one has no real quality in the run.
- ``RULES``: per metric, which direction is better and the tie tolerance.

Pure NumPy/pandas: nothing here imports torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.report.rundir import Run
from benchmarks.report.summary import DASH, measured, method_label, method_order, untrained_names

DEFAULT_REFERENCE = "hssdct"
N_BOOT = 10_000
LEVEL = 0.95
SEED = 0
_BOOT_CHUNK = 1_000_000  # resampled values held at once (n_boot x n is drawn in chunks)


@dataclass(frozen=True)
class MetricRule:
    """How one metric compares: ``higher_is_better``, and the tie tolerance.

    tolerance: in the metric's units (``unit``), or, with ``relative``, a fraction of the
    reference's value on each scene (for RMSE, whose unit differs between conventions).
    spec: the format of differences (always signed).
    """

    higher_is_better: bool
    tolerance: float
    unit: str
    spec: str
    relative: bool = False

    def tolerance_text(self) -> str:
        """``"±0.05 dB"``, ``"±0.5% of the reference's value"``."""
        if self.relative:
            return f"±{100 * self.tolerance:g}% of the reference's value"
        return f"±{self.tolerance:g}{' ' + self.unit if self.unit else ''}"


# Tie tolerances: PSNR 0.05 dB and SAM 0.05 degrees (small against the gaps between methods in
# the papers' tables); ERGAS 0.01 (dimensionless, about 1% of a typical value); RMSE 0.5% of the
# reference's RMSE on the scene (about 0.04 dB of PSNR; relative because the paper convention's
# RMSE is in the GT's own units); SSIM, Q and CC 0.001 (on [-1, 1]). sam_excluded_pixels is a
# count, not a quality, and is never compared.
RULES: dict[str, MetricRule] = {
    "psnr": MetricRule(higher_is_better=True, tolerance=0.05, unit="dB", spec=".2f"),
    "sam": MetricRule(higher_is_better=False, tolerance=0.05, unit="deg", spec=".2f"),
    "ergas": MetricRule(higher_is_better=False, tolerance=0.01, unit="", spec=".3f"),
    "rmse": MetricRule(higher_is_better=False, tolerance=0.005, unit="", spec=".3g",
                       relative=True),
    "ssim": MetricRule(higher_is_better=True, tolerance=0.001, unit="", spec=".4f"),
    "uiqi": MetricRule(higher_is_better=True, tolerance=0.001, unit="", spec=".4f"),
    "cc": MetricRule(higher_is_better=True, tolerance=0.001, unit="", spec=".4f"),
}


@dataclass(frozen=True)
class PairedDifference:
    """Per-scene differences of a method to the reference, summarised.

    n: scenes where both scored ok with finite values. mean: mean of (method - reference) over
    them, in the metric's units (NaN when n == 0). low, high: bootstrap percentile interval of
    that mean (NaN when n < 2: one scene says nothing about spread). wins / ties / losses: scenes
    where the method is better than the reference by more than the tie tolerance / within it
    (inclusive) / worse by more than it.
    """

    n: int
    mean: float
    low: float
    high: float
    wins: int
    ties: int
    losses: int

    def cell(self, spec: str = ".2f") -> str:
        """``"+1.23 [+0.80, +1.70]"``; ``"+1.23 (n=1)"`` without an interval; the dash when
        n == 0."""
        if self.n == 0 or not math.isfinite(self.mean):
            return DASH
        text = format(self.mean, "+" + spec)
        if math.isfinite(self.low) and math.isfinite(self.high):
            return f"{text} [{format(self.low, '+' + spec)}, {format(self.high, '+' + spec)}]"
        return f"{text} (n={self.n})"

    def mean_cell(self, spec: str = ".2f") -> str:
        """The signed mean alone, or the dash."""
        return DASH if self.n == 0 or not math.isfinite(self.mean) else format(self.mean, "+" + spec)

    def interval_cell(self, spec: str = ".2f") -> str:
        """``"[+0.80, +1.70]"``, or the dash when there is no interval (n < 2)."""
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return DASH
        return f"[{format(self.low, '+' + spec)}, {format(self.high, '+' + spec)}]"

    def wtl(self) -> str:
        """Wins/ties/losses as ``"5/0/1"``, or the dash when n == 0."""
        return DASH if self.n == 0 else f"{self.wins}/{self.ties}/{self.losses}"


EMPTY = PairedDifference(n=0, mean=math.nan, low=math.nan, high=math.nan, wins=0, ties=0,
                         losses=0)


def bootstrap_mean_interval(diffs: np.ndarray, *, n_boot: int = N_BOOT, level: float = LEVEL,
                            seed: int = SEED) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``diffs`` (1-D, finite, at least 2 values):
    ``n_boot`` resamples of len(diffs) values with replacement, drawn by
    ``numpy.random.default_rng(seed)``; the (1 - level)/2 and (1 + level)/2 quantiles of their
    means. Same units as ``diffs``."""
    diffs = np.asarray(diffs, dtype=float)
    n = diffs.size
    if diffs.ndim != 1 or n < 2:
        raise ValueError(f"diffs must be 1-D with at least 2 values, got shape {diffs.shape}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    step = max(1, _BOOT_CHUNK // n)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        means[start:stop] = diffs[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def paired_difference(
    values: np.ndarray | pd.Series | list[float],
    reference: np.ndarray | pd.Series | list[float],
    *,
    higher_is_better: bool,
    tie_tolerance: float | np.ndarray,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = SEED,
) -> PairedDifference:
    """Paired statistics of ``values - reference`` (equal-length arrays aligned by scene).

    Pairs where either value is not finite are dropped first. ``tie_tolerance`` (metric units,
    >= 0; a scalar or one per pair) decides ties: |difference| <= tolerance. Deterministic for a
    ``seed``. n == 0 gives ``EMPTY`` (its cells read "–"); n == 1 gives the difference as the mean
    and no interval (low = high = NaN).

    >>> d = paired_difference([31.0, 30.0, 29.0], [30.0, 30.02, 30.0],
    ...                       higher_is_better=True, tie_tolerance=0.05, n_boot=200)
    >>> (d.n, round(d.mean, 3), d.wtl())
    (3, -0.007, '1/1/1')
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(reference, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"values and reference must be 1-D of the same length, got shapes "
                         f"{a.shape} and {b.shape}")
    tol = np.broadcast_to(np.asarray(tie_tolerance, dtype=float), a.shape)
    if np.any(tol < 0) or not np.all(np.isfinite(tol)):
        raise ValueError("tie_tolerance must be finite and >= 0")
    keep = np.isfinite(a) & np.isfinite(b)
    diffs, tol = a[keep] - b[keep], tol[keep]
    n = int(diffs.size)
    if n == 0:
        return EMPTY
    # Inclusive tolerance, allowing for rounding (30.05 - 30.00 is 0.0500000000000007).
    tied = np.abs(diffs) <= tol + 1e-9 * np.maximum(1.0, np.abs(b[keep]))
    better = (diffs > 0) if higher_is_better else (diffs < 0)
    wins = int(np.sum(better & ~tied))
    ties = int(np.sum(tied))
    low, high = (math.nan, math.nan) if n < 2 else bootstrap_mean_interval(
        diffs, n_boot=n_boot, level=level, seed=seed)
    return PairedDifference(n=n, mean=float(diffs.mean()), low=low, high=high, wins=wins,
                            ties=ties, losses=n - wins - ties)


def _scene_values(rows: pd.DataFrame, method: str, metric: str, convention: str,
                  dataset: str | None) -> pd.Series:
    """One value per (dataset, scene) of a method's ok rows (the mean if a scene repeats)."""
    mask = ((rows["method"] == method) & (rows["convention"] == convention)
            & (rows["status"] == "ok"))
    if dataset is not None:
        mask &= rows["dataset"] == dataset
    sub = rows.loc[mask, ["dataset", "scene"]].assign(
        value=pd.to_numeric(rows.loc[mask, metric], errors="coerce"))
    return sub.groupby(["dataset", "scene"], sort=False)["value"].mean()


def paired_to_reference(
    rows: pd.DataFrame,
    reference: str,
    metric: str,
    convention: str,
    dataset: str | None = None,
    *,
    n_boot: int = N_BOOT,
    level: float = LEVEL,
    seed: int = SEED,
) -> dict[str, PairedDifference]:
    """``paired_difference`` of every other method in ``rows`` to ``reference``, on ``metric``
    (a key of ``RULES``) under ``convention``, over the scenes (of ``dataset``, else of every
    dataset) that both scored ok with finite values: an inner join on (dataset, scene).

    Every method but the reference gets an entry (``EMPTY`` when no scene pairs). Untrained
    methods are compared too; callers decide not to show them.
    """
    if metric not in RULES:
        raise ValueError(f"metric must be one of {', '.join(RULES)}, got {metric!r}")
    if metric not in rows:
        return {m: EMPTY for m in dict.fromkeys(rows["method"]) if m != reference}
    rule = RULES[metric]
    ref = _scene_values(rows, reference, metric, convention, dataset).rename("ref")
    out: dict[str, PairedDifference] = {}
    for method in dict.fromkeys(rows["method"]):
        if method == reference:
            continue
        mine = _scene_values(rows, method, metric, convention, dataset).rename("value")
        joined = pd.concat([mine, ref], axis=1, join="inner")
        ref_values = joined["ref"].to_numpy(dtype=float)
        tolerance = (rule.tolerance * np.abs(np.nan_to_num(ref_values, nan=0.0, posinf=0.0,
                                                           neginf=0.0))
                     if rule.relative else rule.tolerance)
        out[method] = paired_difference(
            joined["value"].to_numpy(dtype=float), ref_values,
            higher_is_better=rule.higher_is_better, tie_tolerance=tolerance,
            n_boot=n_boot, level=level, seed=seed)
    return out


def has_real_quality(rows: pd.DataFrame, method: str) -> bool:
    """True when ``method`` has an ok row with a finite PSNR and its weights are not untrained."""
    if method in untrained_names(rows):
        return False
    mine = rows[(rows["method"] == method) & (rows["status"] == "ok")]
    return bool(np.isfinite(pd.to_numeric(mine["psnr"], errors="coerce")).any())


def _best_by_psnr(run: Run, candidates: list[str]) -> str | None:
    """The candidate with the highest mean PSNR over its ok scenes, paper convention (standard
    where no candidate has paper rows); the first in method order on a tie."""
    for convention in ("paper", "standard"):
        means = {m: measured(run.rows, m, "psnr", convention).mean for m in candidates}
        finite = {m: v for m, v in means.items() if math.isfinite(v)}
        if finite:
            return max(finite, key=lambda m: finite[m])  # max keeps the first of equal values
    return None


def choose_reference(run: Run, requested: str | None = None) -> tuple[str | None, str]:
    """The reference method of the paired columns, and a note saying how it was chosen.

    ``requested`` (else run.json's ``reference``, else ``"hssdct"``) is the reference when it has
    real quality in the run (an ok row with a finite PSNR, weights not untrained). Otherwise (the
    note says whether it is absent, untrained, skipped with its rows' reason, or failed) the
    method with the highest mean PSNR (paper convention) among those with real quality is, and
    the note says why; (None, note) when no method has real quality.
    """
    name = requested or str(run.info.get("reference") or DEFAULT_REFERENCE)
    present = method_order(run)
    label = method_label(run, name)
    if name in present and has_real_quality(run.rows, name):
        return name, (f"Reference: {label}; choose another with --reference")
    if name not in present:
        why = "is not in this run"
    elif name in untrained_names(run.rows):
        why = "is untrained in this run"
    elif (mine := run.rows[run.rows["method"] == name])["status"].eq("skipped").all():
        reasons = [str(e) for e in mine.get("error", pd.Series(dtype=str)).dropna() if str(e)]
        why = f"was not measured ({reasons[0]})" if reasons else "was not measured"
    else:
        why = "has no scored scene in this run"
    candidates = [m for m in present if has_real_quality(run.rows, m)]
    best = _best_by_psnr(run, candidates)
    if best is None:
        return None, (f"{label} {why}, and no other method has measured quality (ok rows with "
                      "trained or no weights), so no differences are shown")
    return best, (f"{label} {why}, so differences are to {method_label(run, best)}, the best "
                  "measured method by mean PSNR; choose another with --reference")


def check_method(run: Run, name: str) -> None:
    """ValueError naming ``name`` and listing the run's methods when it is not in the rows."""
    present = method_order(run)
    if name not in present:
        raise ValueError(f"--reference {name}: no such method in this run (its methods: "
                         f"{', '.join(present) or 'none'})")
