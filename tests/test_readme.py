"""The README's "Adding a method" examples, run as a user would: registered, then benchmarked."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import benchmarks.run as runner
import datasets
from methods import registry
from tests.toys import tiny_simulated

README = Path(__file__).resolve().parents[1] / "README.md"


def example_blocks() -> list[str]:
    """The python code blocks of the README's "## Adding a method" section."""
    text = README.read_text()
    section = text.split("## Adding a method", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)




@pytest.fixture
def readme_methods():
    """Exec every example block; their registrations are removed afterwards."""
    registry._load_all()
    before = set(registry._REGISTRY)
    try:
        for code in example_blocks():
            exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
        yield sorted(set(registry._REGISTRY) - before)
    finally:
        for name in set(registry._REGISTRY) - before:
            registry._REGISTRY.pop(name)


def test_readme_has_a_deep_and_a_classical_example():
    blocks = example_blocks()
    assert len(blocks) == 2
    assert 'family="deep"' in blocks[0] and 'family="classical"' in blocks[1]


def test_readme_examples_register_and_run_in_the_benchmark(readme_methods, tmp_path):
    assert readme_methods == ["mynet", "mysharpen"]
    with datasets.registered_dataset("zz_readme", tiny_simulated, description="tiny",
                                     splits=("train", "test")):
        code = runner.main(["--methods", "bicubic,mynet,mysharpen", "--dataset", "zz_readme",
                            "--no-cost", "--no-report", "--out", str(tmp_path / "run")])
    assert code == 0
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    assert (rows.status == "ok").all()
    weights = rows.groupby("method").weights.first()
    assert weights["mynet"] == "untrained" and weights["mysharpen"] == "none"
    assert rows[rows.method == "mysharpen"].psnr.notna().all()
