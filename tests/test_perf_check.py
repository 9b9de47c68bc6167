"""The bench-check comparison: medians relative to the same-job reference, 25 % threshold."""

import json

import pytest

from benchmarks.perf.check import REFERENCE_NAME, compare, main, relative_medians


def report(**medians):
    return {"benchmarks": [{"fullname": f"benchmarks/perf/x.py::{n}", "stats": {"median": m}}
                           for n, m in medians.items()]}


def test_medians_are_relative_to_the_reference_of_the_same_job():
    rel = relative_medians(report(**{REFERENCE_NAME: 2.0, "test_a": 3.0}))
    assert rel == {"test_a": 1.5}


def test_a_uniformly_slower_machine_is_not_a_regression():
    base = relative_medians(report(**{REFERENCE_NAME: 1.0, "test_a": 3.0}))
    slow = relative_medians(report(**{REFERENCE_NAME: 2.0, "test_a": 6.0}))
    assert compare(base, slow, 0.25)[1] == []


def test_regression_above_threshold_fails_and_below_passes():
    base = {"test_a": 1.0, "test_b": 1.0}
    _, failed = compare(base, {"test_a": 1.3, "test_b": 1.2}, 0.25)
    assert failed == ["test_a"]


def test_report_without_reference_is_refused():
    with pytest.raises(ValueError, match=REFERENCE_NAME):
        relative_medians(report(test_a=1.0))


def test_cli_writes_then_checks_a_baseline(tmp_path):
    current = tmp_path / "c.json"
    current.write_text(json.dumps(report(**{REFERENCE_NAME: 1.0, "test_a": 2.0})))
    baseline = tmp_path / "b.json"
    assert main([str(current), "--baseline", str(baseline), "--write-baseline"]) == 0
    assert main([str(current), "--baseline", str(baseline)]) == 0
    current.write_text(json.dumps(report(**{REFERENCE_NAME: 1.0, "test_a": 3.0})))
    assert main([str(current), "--baseline", str(baseline)]) == 1
