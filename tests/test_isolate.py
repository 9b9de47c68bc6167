"""Measurements in child processes: results come back, failures become ChildError kinds."""

import pytest

from benchmarks.cost.isolate import ChildError, run_isolated
from tests import child_targets


def test_result_comes_back_from_child():
    assert run_isolated(child_targets.add, {"a": 2, "b": 3}, timeout_s=60) == 5


def test_exception_in_child_is_an_error_with_its_text():
    with pytest.raises(ChildError, match="boom") as info:
        run_isolated(child_targets.fail, {}, timeout_s=60)
    assert info.value.kind == "error"


def test_memory_cap_stops_the_child():
    with pytest.raises(ChildError) as info:
        run_isolated(child_targets.hog, {"gb": 1.5}, timeout_s=60, max_rss_gb=0.6)
    assert info.value.kind == "oom"


def test_timeout_stops_the_child():
    with pytest.raises(ChildError) as info:
        run_isolated(child_targets.sleep, {"s": 30}, timeout_s=1)
    assert info.value.kind == "timeout"
