"""The report's tables, made from result rows alone (plus published.json for published columns).

- ``table1``: the HSSDCT paper's Table 1 layout (Method | Params | FLOPs | PSNR | SAM), published
  and measured values side by side, with three measured FLOP counters.
- ``metrics_table``: every quality metric under both conventions, mean ± std over scenes.
- ``cost_table``: params, the three counters and what they leave uncounted, latency, memory and
  roofline fraction.
- ``paired_table``: every quality metric of one convention as per-scene paired differences to
  the reference method (mean, bootstrap interval, wins/ties/losses; ``benchmarks.report.paired``).
``write_tables`` writes each as Markdown and LaTeX into the run directory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.report.paired import (
    LEVEL,
    N_BOOT,
    RULES,
    SEED,
    PairedDifference,
    choose_reference,
    paired_to_reference,
)
from benchmarks.report.render import Table, to_latex, to_markdown
from benchmarks.report.rundir import Run
from benchmarks.report.summary import (
    DASH,
    FAILED_CELLS,
    cost_cell,
    cost_shapes_text,
    cost_text,
    cost_value,
    dataset_names,
    degradation_text,
    device_text,
    error_texts,
    extrapolated_methods,
    fmt_num,
    is_blank,
    measured,
    method_label,
    method_order,
    parse_json_text,
    per_method_text,
    scenes_of,
    select_published,
    untrained_methods,
    untrained_names,
)
from benchmarks.schema import REAL_QUALITY, UNTRAINED
from fileio import write_text as write_text_atomic

CONVENTIONS = ("paper", "standard")
CONVENTION_TEXT = {
    "paper": "the paper's convention (HSSDCT/QRCODE evaluation code): GT and prediction min-max "
             "scaled with the GT's min and max, PSNR per band with peak max(GT_b), SAM averaged "
             "over all pixels",
    "standard": "the standard convention (Vivone/Wald toolboxes): cube in [0, 1] with data range "
                "1, PSNR per band with peak 1, SAM over pixels with non-zero norms",
}
COUNTER_TEXT = (
    "FLOPs columns: pub. = as published (each paper's own counter); hooks = module-hook MAC count, "
    "ptflops-style, 1 MAC = 1 (what papers' tables call FLOPs); fvcore = fvcore GMAC, 1 MAC = 1; "
    "flop_counter = torch.utils.flop_counter GFLOP, 1 MAC = 2 FLOPs"
)
QUALITY_COLUMNS = [  # (column, header, format)
    ("psnr", "PSNR (dB)", ".3f"), ("sam", "SAM (deg)", ".3f"), ("ergas", "ERGAS", ".3f"),
    ("rmse", "RMSE", ".4g"), ("ssim", "SSIM", ".4f"), ("uiqi", "Q (UIQI)", ".4f"), ("cc", "CC", ".4f"),
    ("sam_excluded_pixels", "SAM excl. px", ".1f"),
]


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")


def _run_id(run: Run) -> str:
    ids = [v for v in run.rows["run_id"] if not is_blank(v)]
    return str(run.info.get("run_id") or (ids[0] if ids else run.path.name))


def _keys(run: Run) -> tuple[list[tuple[str, str]], bool]:
    """(dataset, method) pairs in display order, and whether a Dataset column is needed."""
    names = dataset_names(run.rows)
    order = method_order(run)
    pairs = [
        (d, m) for d in names for m in order
        if ((run.rows["dataset"] == d) & (run.rows["method"] == m)).any()
    ]
    return pairs, len(names) > 1


def _dataset_notes(run: Run) -> list[str]:
    notes = []
    for d in dataset_names(run.rows):
        n = len(scenes_of(run.rows, d))
        notes.append(f"Dataset: {d or 'unnamed'} ({n} scene{'s' * (n != 1)}); "
                     f"degradation: {degradation_text(run.rows, d)}")
    return notes


def _untrained_note(run: Run, methods: list[str]) -> list[str]:
    names = untrained_methods(run, methods)
    if not names:
        return []
    return [f"untrained: {', '.join(names)} ran with untrained weights (a few training steps "
            "that check the pipeline), so their quality cells are not results; rows.csv keeps "
            f"the numbers. Real quality: {REAL_QUALITY}"]


def _error_note(run: Run, methods: list[str]) -> list[str]:
    texts = []
    for m in methods:
        errs = error_texts(run.rows, m)
        if errs:
            texts.append(f"{method_label(run, m)}: " + " / ".join(e[:120] for e in errs[:3]))
    return (["Errors (cells marked error, timeout or out of memory): " + "; ".join(texts)]
            if texts else [])


def _published_note(run: Run, methods: list[str]) -> str:
    sources = []
    for m in methods:
        pub = select_published(run, m)
        if pub is None:
            continue
        bits = [str(pub[k]) for k in ("source", "dataset") if not is_blank(pub.get(k))]
        if not is_blank(pub.get("msi_bands")):
            bits.append(f"{pub['msi_bands']}-band MSI")
        if not is_blank(pub.get("counter")):
            bits.append(f"counter: {pub['counter']}")
        sources.append(f"{method_label(run, m)} from {', '.join(bits) or 'unknown source'}")
    if not sources:
        return f"pub.: no published figures in published.json ({DASH} everywhere)"
    return ("pub.: figures as published by the papers (on the papers' data), not measured here; "
            f"{DASH} = none published. " + "; ".join(sources))


def _analytic_note(run: Run, methods: list[str]) -> list[str]:
    found = [
        f"{method_label(run, m)} {cost_value(run.rows, m, 'gmacs_analytic'):.2f} GMac"
        for m in methods if cost_value(run.rows, m, "gmacs_analytic") > 0
    ]
    if not found:
        return []
    return ["Not in any counter, declared analytically by modules (e.g. selective scans): "
            + "; ".join(found)]


def _cost_shape_note(run: Run, methods: list[str]) -> str:
    extrapolated = extrapolated_methods(run, methods)
    text = f"Counts at input {cost_shapes_text(run, methods)}"
    if extrapolated:
        labels = ", ".join(method_label(run, m) for m in extrapolated)
        return (text + f"; * = counted at two smaller sizes and extrapolated linearly in pixels "
                f"({labels})")
    return text + "; no count was extrapolated"


PAIRED_TABLE1 = (("psnr", "ΔPSNR", "dB"), ("sam", "ΔSAM", "deg"))  # (metric, header, unit)
METRIC_NAMES = {"psnr": "PSNR", "sam": "SAM", "ergas": "ERGAS", "rmse": "RMSE", "ssim": "SSIM",
                "uiqi": "Q (UIQI)", "cc": "CC"}


class _Paired:
    """Paired differences to the run's reference, computed once per (metric, convention,
    dataset), and the words that replace them: "reference" on the reference's own row,
    "untrained" for untrained methods."""

    def __init__(self, run: Run, reference: str | None) -> None:
        self.run = run
        self.reference, self.choice_note = choose_reference(run, reference)
        self.label = method_label(run, self.reference) if self.reference else "(none)"
        self.untrained = untrained_names(run.rows)
        self._cache: dict[tuple[str, str, str | None], dict[str, PairedDifference]] = {}

    def get(self, method: str, metric: str, convention: str,
            dataset: str | None) -> PairedDifference | str:
        """The method's PairedDifference, or the word its cells read instead."""
        if method == self.reference:
            return "reference"
        if method in self.untrained:
            return UNTRAINED
        if self.reference is None:
            return DASH
        key = (metric, convention, dataset)
        if key not in self._cache:
            self._cache[key] = paired_to_reference(self.run.rows, self.reference, metric,
                                                   convention, dataset)
        return self._cache[key].get(method, DASH)

    def cells(self, method: str, metric: str, convention: str, dataset: str | None) -> list[str]:
        """``["+1.23 [+0.80, +1.70]", "5/0/1"]``, or the word and the dash."""
        diff = self.get(method, metric, convention, dataset)
        if isinstance(diff, str):
            return [diff, DASH]
        return [diff.cell(RULES[metric].spec), diff.wtl()]

    def method_text(self, diff: str) -> str:
        return f"{diff} vs {self.label}"

    def note(self, metrics: list[str], methods: list[str], convention: str,
             datasets: list[str | None]) -> str:
        """What the paired columns mean: differences, interval, tolerances and n per method."""
        ref = self.label
        rules = "; ".join(
            f"{METRIC_NAMES[m]} {RULES[m].tolerance_text()}, "
            f"{'higher' if RULES[m].higher_is_better else 'lower'} is better" for m in metrics)
        counts = {}
        for m in methods:
            diffs = [self.get(m, metric, convention, d) for metric in metrics for d in datasets]
            ns = {d.n for d in diffs if isinstance(d, PairedDifference)}
            if ns:
                counts[method_label(self.run, m)] = " or ".join(str(n) for n in sorted(ns))
        if not counts:
            n_text = "none"
        elif len(set(counts.values())) == 1:
            n_text = f"{next(iter(counts.values()))} for every method"
        else:
            n_text = ", ".join(f"{label} {n}" for label, n in counts.items())
        return (f"Δ vs {ref}: per-scene paired differences (method - {ref}) over the scenes that "
                f"both scored ok (finite values), mean and bootstrap percentile {LEVEL:.0%} "
                f"interval of that mean ({N_BOOT} resamples, seed {SEED}; none with one scene, "
                f"shown as (n=1); rough below about 10 scenes, where a percentile bootstrap is "
                f"too narrow); W/T/L = scenes where the method is better than {ref} by more "
                f"than the tie tolerance / within it / worse by more than it; tie tolerances: "
                f"{rules}; scenes compared (n): {n_text}")


def table1(run: Run, convention: str = "paper", reference: str | None = None) -> Table:
    """The HSSDCT paper's Table 1 layout, published (pub.) and measured (meas.) side by side,
    then PSNR and SAM as paired differences to a reference method.

    Measured PSNR/SAM: mean over each method's ok scenes of the ``convention`` rows. Measured
    params and FLOPs: the method's cost columns. Missing values show "–", failures "error".
    ΔPSNR (dB) / ΔSAM (deg): mean per-scene difference (method - reference) with its bootstrap
    95% interval, and W/T/L (``benchmarks.report.paired``). ``reference``: a method name (default
    run.json's ``reference``, else hssdct; when it has no real quality in the run, the best
    measured method by mean PSNR, and the notes say so).
    """
    return _table1(run, convention, _Paired(run, reference))


def _table1(run: Run, convention: str, paired: _Paired) -> Table:
    _check_convention(convention)
    keys, with_dataset = _keys(run)
    methods = list(dict.fromkeys(m for _, m in keys))
    extrapolated = set(extrapolated_methods(run, methods))
    columns = [("", "Method")] + ([("", "Dataset")] if with_dataset else []) + [
        ("Params (M)", "pub."), ("Params (M)", "meas."),
        ("FLOPs (G)", "pub."), ("FLOPs (G)", "meas. hooks (GMac)"),
        ("FLOPs (G)", "meas. fvcore (GMAC)"), ("FLOPs (G)", "meas. flop_counter (GFLOP)"),
        ("PSNR (dB)", "pub."), ("PSNR (dB)", "meas."),
        ("SAM (deg)", "pub."), ("SAM (deg)", "meas."),
    ]
    for _, header, unit in PAIRED_TABLE1:
        group = f"{paired.method_text(header)} ({unit})"
        columns += [(group, f"mean [{LEVEL:.0%} CI]"), (group, "W/T/L")]
    rows = []
    for dataset, m in keys:
        pub = select_published(run, m) or {}
        star = "*" if m in extrapolated else ""

        def flops(col: str, m: str = m, dataset: str = dataset, star: str = star) -> str:
            cell = cost_cell(run.rows, m, col, ".2f", dataset=dataset)
            return cell + star if cell not in (DASH, *FAILED_CELLS) else cell

        rows.append([method_label(run, m)] + ([dataset] if with_dataset else []) + [
            fmt_num(pub.get("params_m"), ".2f"),
            cost_cell(run.rows, m, "params_total", ".2f", scale=1e-6, dataset=dataset),
            fmt_num(pub.get("flops_g"), ".2f"),
            flops("gmacs_hooks"), flops("gmacs_fvcore"), flops("gflops_counter"),
            fmt_num(pub.get("psnr"), ".3f"),
            measured(run.rows, m, "psnr", convention, dataset).cell(".3f"),
            fmt_num(pub.get("sam"), ".3f"),
            measured(run.rows, m, "sam", convention, dataset).cell(".3f"),
        ] + [cell for metric, _, _ in PAIRED_TABLE1
             for cell in paired.cells(m, metric, convention, dataset)])
    notes = [
        f"Run {_run_id(run)}",
        *_dataset_notes(run),
        f"meas. PSNR/SAM: mean over each method's ok scenes under {CONVENTION_TEXT[convention]}; "
        "(k/n ok) = mean over k of n scenes",
        paired.note([metric for metric, _, _ in PAIRED_TABLE1], methods, convention,
                    list(dict.fromkeys(d for d, _ in keys))),
        paired.choice_note,
        _published_note(run, methods),
        COUNTER_TEXT,
        *_analytic_note(run, methods),
        _cost_shape_note(run, methods),
        "Train budget: " + per_method_text(run, methods, "train_budget", "none"),
        f"Device: {device_text(run)}",
        *_untrained_note(run, methods),
        *_error_note(run, methods),
    ]
    n_text = 2 if with_dataset else 1
    return Table(
        title=f"Table 1 (HSSDCT layout), {convention} convention",
        columns=columns, rows=rows, notes=notes, label=f"tab:table1-{convention}",
        align=["l"] * n_text + ["r"] * (len(columns) - n_text),
    )


def table1_markdown(run: Run, convention: str = "paper", reference: str | None = None) -> str:
    """Table 1 as Markdown (what the CLI prints)."""
    return to_markdown(table1(run, convention, reference))


def _has_metric(run: Run, metric: str, convention: str) -> bool:
    """True when some row of ``convention`` has a finite value of ``metric``."""
    if metric not in run.rows:
        return False
    values = pd.to_numeric(run.rows.loc[run.rows["convention"] == convention, metric],
                           errors="coerce").to_numpy(dtype=float)
    return bool(np.isfinite(values).any())


def paired_table(run: Run, convention: str = "paper", reference: str | None = None) -> Table:
    """Every quality metric of ``convention`` (those of QUALITY_COLUMNS with a rule in
    ``paired.RULES`` and a finite value in some row) as paired differences to the reference:
    one row per metric and method with n (scenes compared), the mean difference (method -
    reference, metric units), its bootstrap 95% interval and W/T/L. ``reference``: as in
    ``table1``."""
    return _paired_table(run, convention, _Paired(run, reference))


def _paired_table(run: Run, convention: str, paired: _Paired) -> Table:
    _check_convention(convention)
    keys, with_dataset = _keys(run)
    methods = list(dict.fromkeys(m for _, m in keys))
    metrics = [c for c, _, _ in QUALITY_COLUMNS if c in RULES and _has_metric(run, c, convention)]
    group = paired.method_text("Δ")
    columns = [("", "Metric"), ("", "Method")] + ([("", "Dataset")] if with_dataset else []) + [
        ("", "n"), (group, "mean"), (group, f"{LEVEL:.0%} CI"), ("", "W/T/L"),
    ]
    headers = {c: header for c, header, _ in QUALITY_COLUMNS}
    rows = []
    for metric in metrics:
        spec = RULES[metric].spec
        for dataset, m in keys:
            diff = paired.get(m, metric, convention, dataset)
            cells = ([DASH, diff, DASH, DASH] if isinstance(diff, str) else
                     [str(diff.n), diff.mean_cell(spec), diff.interval_cell(spec), diff.wtl()])
            rows.append([headers[metric], method_label(run, m)]
                        + ([dataset] if with_dataset else []) + cells)
    excluded = [headers[c] for c, _, _ in QUALITY_COLUMNS if c not in RULES]
    notes = [
        f"Run {_run_id(run)}",
        *_dataset_notes(run),
        f"Convention: {CONVENTION_TEXT[convention]}",
        paired.note(metrics, methods, convention, list(dict.fromkeys(d for d, _ in keys))),
        paired.choice_note,
        "Units of mean and CI: the metric's (PSNR dB, SAM degrees; RMSE on [0, 1] under standard, "
        "in the GT's units under paper)"
        + (f"; not compared: {', '.join(excluded)} (a count, not a quality)" if excluded else ""),
        *_untrained_note(run, methods),
        *_error_note(run, methods),
    ]
    n_text = 3 if with_dataset else 2
    return Table(title=f"Paired differences to {paired.label}, {convention} convention",
                 columns=columns, rows=rows, notes=notes, label=f"tab:paired-{convention}",
                 align=["l"] * n_text + ["r"] * (len(columns) - n_text))


def metrics_table(run: Run) -> Table:
    """Every quality metric under both conventions: mean ± std (ddof=1) over ok scenes; a cell
    reads "error" when every scene failed."""
    keys, with_dataset = _keys(run)
    methods = list(dict.fromkeys(m for _, m in keys))
    present = [c for c in ("standard", "paper") if (run.rows["convention"] == c).any()]
    present += [c for c in dict.fromkeys(run.rows["convention"]) if c not in present]
    columns = [("", "Method")] + ([("", "Dataset")] if with_dataset else []) + [
        ("", "Convention"), ("", "Scenes ok"),
    ] + [("", header) for _, header, _ in QUALITY_COLUMNS]
    rows = []
    for dataset, m in keys:
        for conv in present:
            if not ((run.rows["method"] == m) & (run.rows["dataset"] == dataset)
                    & (run.rows["convention"] == conv)).any():
                continue
            first = measured(run.rows, m, "psnr", conv, dataset)
            rows.append(
                [method_label(run, m)] + ([dataset] if with_dataset else [])
                + [conv, f"{first.n_ok}/{first.n_scenes}"]
                + [measured(run.rows, m, col, conv, dataset).cell(spec, with_std=True,
                                                                  mark_partial=False)
                   for col, _, spec in QUALITY_COLUMNS]
            )
    notes = [
        f"Run {_run_id(run)}",
        *_dataset_notes(run),
        "Mean ± standard deviation (ddof=1) over each method's ok scenes (Scenes ok: k of n)",
        *(f"{c}: {CONVENTION_TEXT[c]}" for c in present if c in CONVENTION_TEXT),
        "PSNR in dB, SAM in degrees; RMSE on [0, 1] (standard) or in the GT's units (paper); "
        f"{DASH} = not computed under that convention",
        *_untrained_note(run, methods),
        *_error_note(run, methods),
    ]
    align = ["l"] * (3 if with_dataset else 2) + ["r"] * (len(columns) - (3 if with_dataset else 2))
    return Table(title="Quality metrics", columns=columns, rows=rows, notes=notes, align=align,
                 label="tab:metrics")


def uncounted_summary(value: object, limit: int = 3) -> str:
    """``{"matmul": {"calls": 48, "gmacs": 12.3}}`` -> ``"matmul 48× (12.30 GMac)"``, largest
    first, at most ``limit`` ops then "+k more"; "" for blanks and empty dicts."""
    parsed = parse_json_text(value)
    if not isinstance(parsed, dict) or not parsed:
        return ""

    def key(item: tuple[str, object]) -> tuple[float, float]:
        info = item[1] if isinstance(item[1], dict) else {}
        gmacs = info.get("gmacs")
        return (-float(gmacs) if isinstance(gmacs, int | float) else 0.0,
                -float(info.get("calls") or 0) if isinstance(info.get("calls"), int | float) else 0)

    parts = []
    items = sorted(parsed.items(), key=key)
    for op, info in items[:limit]:
        info = info if isinstance(info, dict) else {}
        text = str(op)
        if isinstance(info.get("calls"), int | float):
            text += f" {int(info['calls'])}×"
        if isinstance(info.get("gmacs"), int | float):
            text += f" ({float(info['gmacs']):.2f} GMac)"
        parts.append(text)
    if len(items) > limit:
        parts.append(f"+{len(items) - limit} more")
    return ", ".join(parts)


def _uncounted_cell(run: Run, method: str, dataset: str) -> str:
    parts, seen = [], False
    for col, name in (("uncounted_hooks", "hooks"), ("uncounted_fvcore", "fvcore"),
                      ("uncounted_flop_counter", "flop_counter")):
        raw = cost_text(run.rows, method, col, dataset)
        seen |= bool(raw)
        text = uncounted_summary(raw)
        if text:
            parts.append(f"{name}: {text}")
    if parts:
        return "; ".join(parts)
    return "none" if seen else DASH


def _roofline_cell(run: Run, method: str, dataset: str) -> str:
    value = cost_value(run.rows, method, "roofline_fraction", dataset)
    return fmt_num(100 * value, ".3g") + "%" if value == value else DASH


def cost_table(run: Run) -> Table:
    """Params, three FLOP counters with what they miss, latency, peak memory and roofline."""
    keys, with_dataset = _keys(run)
    methods = list(dict.fromkeys(m for _, m in keys))
    extrapolated = set(extrapolated_methods(run, methods))
    columns = [("", "Method")] + ([("", "Dataset")] if with_dataset else []) + [
        ("Params (M)", "total"), ("Params (M)", "trainable"),
        ("Compute", "hooks GMac"), ("Compute", "fvcore GMAC"), ("Compute", "flop_counter GFLOP"),
        ("Compute", "analytic GMac"), ("Compute", "uncounted"),
        ("Latency (s)", "median"), ("Latency (s)", "p90"), ("Latency (s)", "IQR"),
        ("Latency (s)", "n"), ("", "Peak mem (GB)"), ("", "Roofline"),
    ]
    align = ["l"] * (2 if with_dataset else 1) + ["r"] * 6 + ["l"] + ["r"] * 6
    rows = []
    for dataset, m in keys:
        star = "*" if m in extrapolated else ""

        def cell(col: str, spec: str, scale: float = 1.0, mark: str = "",
                 m: str = m, dataset: str = dataset) -> str:
            text = cost_cell(run.rows, m, col, spec, scale=scale, dataset=dataset)
            return text + mark if text not in (DASH, *FAILED_CELLS) else text

        def plain(col: str, spec: str, m: str = m, dataset: str = dataset) -> str:
            return fmt_num(cost_value(run.rows, m, col, dataset), spec)

        rows.append([method_label(run, m)] + ([dataset] if with_dataset else []) + [
            cell("params_total", ".3f", 1e-6), cell("params_trainable", ".3f", 1e-6),
            cell("gmacs_hooks", ".2f", mark=star), cell("gmacs_fvcore", ".2f", mark=star),
            cell("gflops_counter", ".2f", mark=star), plain("gmacs_analytic", ".2f"),
            _uncounted_cell(run, m, dataset),
            plain("latency_median_s", "#.3g"), plain("latency_p90_s", "#.3g"),
            plain("latency_iqr_s", "#.3g"), plain("latency_n", ".0f"),
            plain("peak_mem_gb", ".3f"), _roofline_cell(run, m, dataset),
        ])
    rate = [cost_value(run.rows, m, "matmul_gflops") for m in methods]
    rate_text = next((f"{r:.1f} GFLOP/s" for r in rate if r == r), "not measured")
    latency_shapes = {
        f"LR {cost_text(run.rows, m, 'latency_lr_shape') or '?'}, "
        f"HR {cost_text(run.rows, m, 'latency_hr_shape') or '?'}"
        for m in methods if cost_text(run.rows, m, "latency_median_s")
    }
    notes = [
        f"Run {_run_id(run)}",
        COUNTER_TEXT.replace("pub. = as published (each paper's own counter); ", ""),
        "analytic = GMac declared by modules that no counter sees (not in any total); uncounted = "
        "ops each counter leaves out (calls, and GMac where measured)",
        _cost_shape_note(run, methods),
        "Latency: batch 1, eval, inference mode; median, 90th percentile and interquartile range "
        f"of n timed runs at input {'; '.join(sorted(latency_shapes)) or 'not recorded'}",
        "Peak memory (GiB): the method's own, measured in a fresh child process that starts "
        "small (spawned: a new interpreter that imports torch, builds the method and runs the "
        "timed forwards at the latency input); cpu_peak_rss = that process's peak resident set "
        "(VmHWM), cuda_peak_allocated = torch's peak allocation. Here: "
        + per_method_text(run, methods, "mem_kind", "not recorded"),
        "Roofline: achieved FLOP/s over the device's dense matmul rate measured in the same run "
        f"({rate_text})",
        f"Device: {device_text(run)}",
        *_error_note(run, methods),
    ]
    return Table(title="Cost", columns=columns, rows=rows, notes=notes, align=align,
                 label="tab:cost")


def write_tables(run: Run, convention: str = "paper", reference: str | None = None) -> list[Path]:
    """Write table1, paired, metrics and cost as .md and .tex into the run directory (atomically).

    table1.* and paired.* hold their table under ``convention`` first, then under the other
    convention. ``reference``: the paired columns' reference method (see ``table1``). Returns the
    paths written.
    """
    _check_convention(convention)
    order = [convention] + [c for c in CONVENTIONS if c != convention]
    outputs = {}
    paired = _Paired(run, reference)  # one bootstrap per (metric, convention, dataset, method)
    for name, make in (("table1", _table1), ("paired", _paired_table)):
        tables = [make(run, c, paired) for c in order]
        outputs[f"{name}.md"] = "\n".join(to_markdown(t) for t in tables)
        outputs[f"{name}.tex"] = "\n".join(to_latex(t) for t in tables)
    for name, table in (("metrics", metrics_table(run)), ("cost", cost_table(run))):
        outputs[f"{name}.md"] = to_markdown(table)
        outputs[f"{name}.tex"] = to_latex(table)
    return [write_text_atomic(run.path / name, text) for name, text in outputs.items()]
