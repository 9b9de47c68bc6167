"""The gap paragraph: every difference between measured and published figures, explained from rows.

Each sentence is computed from the run's rows and published.json (and the registry's notes that
the runner copied there); nothing in it is typed in by hand.
"""

from __future__ import annotations

import json
import math

from benchmarks.report.rundir import Run
from benchmarks.report.summary import (
    cost_text,
    cost_value,
    is_blank,
    measured,
    method_label,
    method_order,
    select_published,
    truthy,
)
from benchmarks.schema import REAL_QUALITY


def _pct(measured_value: float, published: float) -> str:
    return f"{(measured_value - published) / published * 100:+.1f} %"


def _uncounted_gmacs(text: str) -> tuple[float, list[str]]:
    """Total GMac of the products a counter missed, and their op names, from the JSON column."""
    try:
        items = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return 0.0, []
    found = {op: float(v["gmacs"]) for op, v in items.items() if isinstance(v, dict) and "gmacs" in v}
    return sum(found.values()), sorted(found, key=found.get, reverse=True)


def _params_sentence(run: Run, method: str, label: str, pub: dict | None) -> str:
    params = cost_value(run.rows, method, "params_total")
    if not math.isfinite(params):
        return f"{label}: params were not measured."
    text = f"{label} measures {params / 1e6:.2f} M params"
    if pub and pub.get("params_m"):
        text += f" against the published {pub['params_m']:.2f} M ({_pct(params / 1e6, pub['params_m'])})"
    return text + "."


def _flops_sentence(run: Run, method: str, label: str, pub: dict | None) -> str:
    hooks = cost_value(run.rows, method, "gmacs_hooks")
    fvcore = cost_value(run.rows, method, "gmacs_fvcore")
    aten = cost_value(run.rows, method, "gflops_counter") / 2
    if not any(math.isfinite(v) for v in (hooks, fvcore, aten)):
        error = cost_text(run.rows, method, "cost_error")
        return f"Its FLOPs were not counted ({error or 'no counter ran'})."
    parts = []
    if math.isfinite(hooks):
        part = f"the module-hook count (the papers' ptflops-style convention) is {hooks:.2f} GMac"
        if pub and pub.get("flops_g"):
            part += f", {_pct(hooks, pub['flops_g'])} from the published {pub['flops_g']:.2f} G"
        parts.append(part)
    full = [f"fvcore {fvcore:.2f} GMAC" for _ in [0] if math.isfinite(fvcore)]
    full += [f"torch.utils.flop_counter {aten:.2f} GMac" for _ in [0] if math.isfinite(aten)]
    if full:
        parts.append("counting every conv, linear, matmul and attention product gives "
                     + " and ".join(full))
    missed, ops = _uncounted_gmacs(cost_text(run.rows, method, "uncounted_hooks"))
    if missed > 0.005:
        parts.append(f"the hooks miss {missed:.2f} GMac of products written as "
                     f"{', '.join(ops[:3])} inside modules")
    analytic = cost_value(run.rows, method, "gmacs_analytic")
    if math.isfinite(analytic) and analytic > 0:
        detail = cost_text(run.rows, method, "analytic_detail")
        names = ", ".join(json.loads(detail)) if detail else "modules"
        parts.append(f"{analytic:.2f} GMac of {names} arithmetic (declared analytically, counted "
                     "by no tool) is reported separately, in no total")
    text = "; ".join(parts)
    if truthy(cost_text(run.rows, method, "cost_extrapolated")):
        text += " (counted at two smaller inputs and extrapolated linearly in pixels)"
    return text[0].upper() + text[1:] + "."


def _quality_sentence(run: Run, method: str, label: str, pub: dict | None) -> str:
    psnr = measured(run.rows, method, "psnr", "paper")
    sam = measured(run.rows, method, "sam", "paper")
    budget = cost_text(run.rows, method, "train_budget") or "unknown budget"
    if psnr.untrained:
        return (f"{label}'s weights are untrained here ({budget}), so its quality is not shown "
                f"(rows.csv keeps the numbers); {REAL_QUALITY}.")
    if psnr.n_ok == 0:
        return f"{label} has no measured quality ({psnr.cell('.3f')})."
    dataset = ", ".join(dict.fromkeys(run.rows.loc[run.rows["method"] == method, "dataset"]))
    text = (f"Its PSNR {psnr.mean:.2f} dB / SAM {sam.mean:.2f} deg (paper convention) come from "
            f"{dataset} after {budget}")
    if pub and pub.get("psnr") is not None and pub.get("dataset"):
        text += (f", while the published {pub['psnr']:.3f} dB / {pub['sam']:.3f} deg come from "
                 f"{pub['dataset']}")
        if not dataset.lower().startswith("paper"):
            text += "; the two are not comparable, and the gap measures the data and budget"
    return text + "."


def gap_paragraphs(run: Run, methods: list[str] | None = None) -> list[str]:
    """One paragraph per method explaining each measured-vs-published gap."""
    out = []
    for method in methods or method_order(run):
        label = method_label(run, method)
        pub = select_published(run, method)
        sentences = [_params_sentence(run, method, label, pub),
                     _flops_sentence(run, method, label, pub),
                     _quality_sentence(run, method, label, pub)]
        notes = (run.published.get(method) or {}).get("notes")
        if not is_blank(notes):
            sentences.append(f"Registry note: {notes.strip().rstrip('.')}.")
        out.append(" ".join(sentences))
    return out


def gpu_sentence(run: Run) -> str:
    """Whether GPU latency was measured in this run."""
    devices = set(run.rows["device"].dropna().astype(str))
    if "cuda" in devices:
        names = ", ".join(sorted(set(run.rows.loc[run.rows["device"] == "cuda", "device_name"])))
        return f"GPU latency measured on {names}."
    return "No GPU was measured: every latency in this run is CPU latency."
