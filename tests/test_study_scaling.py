"""The scaling study: power-law fits, the extrapolation check, and a tiny study end to end."""

import json
import math

import pandas as pd
import pytest

from benchmarks.cost.isolate import ChildError
from benchmarks.studies import scaling
from benchmarks.studies.powerlaw import fit_power_law
from benchmarks.studies.scaling import Limits, run
from benchmarks.studies.scaling_report import extrapolation_errors, fits


def test_power_law_recovers_exponent_and_scale():
    pixels = [64**2, 128**2, 256**2, 512**2]
    law = fit_power_law(pixels, [3e-3 * p**1.5 for p in pixels])
    assert law.b == pytest.approx(1.5)
    assert law.a == pytest.approx(3e-3)
    assert law.r2 == pytest.approx(1.0)
    assert law.at(1000) == pytest.approx(3e-3 * 1000**1.5)


@pytest.mark.parametrize("pixels, values", [([1.0], [1.0]), ([1.0, 2.0], [1.0, -1.0]),
                                            ([4.0, 4.0], [1.0, 2.0])])
def test_power_law_refuses_what_it_cannot_fit(pixels, values):
    with pytest.raises(ValueError):
        fit_power_law(pixels, values)


def rows_of(method: str, hrs: list[int], gmac) -> list[dict]:
    return [{"method": method, "family": "deep", "hr": hr, "pixels": hr * hr, "status": "ok",
             "gmac_hooks": gmac(hr * hr), "latency_median_s": 1e-6 * hr * hr,
             "forward_mem_gb": 0.1} for hr in hrs]


def test_fits_flag_flop_exponents_away_from_one():
    hrs = [64, 128, 256]
    rows = pd.DataFrame(rows_of("linear", hrs, lambda p: 1e-3 * p)
                        + rows_of("quadratic", hrs, lambda p: 1e-6 * p * p))
    fit = fits(rows).set_index(["method", "quantity"])
    assert not fit.loc[("linear", "FLOPs (hooks)"), "flagged"]
    assert fit.loc[("quadratic", "FLOPs (hooks)"), "b"] == pytest.approx(2.0)
    assert fit.loc[("quadratic", "FLOPs (hooks)"), "flagged"]
    assert not fit.loc[("quadratic", "latency"), "flagged"]  # only FLOP exponents are flagged


def test_extrapolation_check_is_exact_for_affine_counts_and_reports_the_error_otherwise():
    hrs = [64, 128, 256, 512]
    rows = pd.DataFrame(rows_of("affine", hrs, lambda p: 5 + 2e-3 * p)
                        + rows_of("quadratic", hrs, lambda p: 1e-6 * p * p))
    errors = extrapolation_errors(rows).set_index(["method", "hr"])
    assert errors.loc[("affine", 512), "error_pct"] == pytest.approx(0.0, abs=1e-9)
    p64, p128, p512 = 64**2, 128**2, 512**2
    slope = (1e-6 * p128**2 - 1e-6 * p64**2) / (p128 - p64)
    guess = 1e-6 * p64**2 + slope * (p512 - p64)
    expected = 100 * (guess - 1e-6 * p512**2) / (1e-6 * p512**2)
    assert errors.loc[("quadratic", 512), "error_pct"] == pytest.approx(expected)


def test_tiny_study_measures_reports_failures_and_resumes(tmp_path):
    # HSSDCT needs LR sides of at least 9: at HR 16 (LR 4) it fails, and HR 32 is not attempted
    out = tmp_path / "scaling"
    frame = run(out, ["bicubic", "hssdct"], [16, 32], 120.0, Limits(120.0, 8.0))
    by = frame.set_index(["method", "hr"])
    assert list(by.loc[("bicubic", 16)][["status"]]) == ["ok"]
    assert by.loc[("bicubic", 32), "status"] == "ok"
    assert by.loc[("bicubic", 32), "latency_median_s"] > 0
    assert by.loc[("hssdct", 16), "status"] == "error"
    assert "9" in by.loc[("hssdct", 16), "reason"]
    assert by.loc[("hssdct", 32), "status"] == "skipped"
    report = (out / "report.md").read_text()
    assert "Fitted exponents" in report and "not measured" in report
    for name in ("cost", "latency", "memory"):
        assert (out / f"{name}.png").stat().st_size > 0
    with pytest.raises(ValueError, match="--resume"):
        run(out, ["bicubic"], [16], 60.0, Limits(60.0, 8.0))
    again = run(out, ["bicubic", "hssdct"], [16, 32], 60.0, Limits(60.0, 8.0), resume=True)
    assert len(again) == len(frame)
    assert not math.isnan(again.loc[again["method"] == "bicubic", "latency_median_s"].iloc[0])


def test_a_child_out_of_time_while_counting_keeps_its_latency(tmp_path, monkeypatch):
    progress = tmp_path / "progress.json"

    def child_ran_out(fn, kwargs, **limits):
        rows = [{**scaling.base_row("hssdct", 64), "latency_median_s": 0.5, "seconds": 3.0},
                {**scaling.base_row("hssdct", 128), "latency_median_s": 2.0,
                 "reason": scaling.COUNTING, "seconds": 9.0}]
        progress.write_text(json.dumps(rows))
        raise ChildError("timeout", "no result after 60 s")

    monkeypatch.setattr(scaling, "run_isolated", child_ran_out)
    rows = scaling.study_method("hssdct", [64, 128, 256], 60.0, Limits(60.0, 8.0), "cpu",
                                progress)
    assert [(r["hr"], r["status"]) for r in rows] == [(64, "ok"), (128, "ok"), (256, "skipped")]
    assert rows[1]["latency_median_s"] == 2.0
    assert rows[1]["reason"].startswith("counts: out of time at HR 128")
    assert "out of time" in rows[2]["reason"]
