"""Paired differences to a reference method (benchmarks.report.paired) and their table columns, on
small synthetic rows (no model runs)."""

from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import benchmarks.report.paired as paired_module
from benchmarks.report import load_run, table1, table1_markdown, to_markdown, write_tables
from benchmarks.report.cli import main as report_main
from benchmarks.report.paired import (
    RULES,
    choose_reference,
    paired_difference,
    paired_to_reference,
)
from benchmarks.report.rundir import Run
from benchmarks.report.tables import paired_table
from benchmarks.schema import UNTRAINED

LABELS = {"hssdct": "HSSDCT", "cnmf": "CNMF", "bicubic": "Bicubic", "fusionmamba": "FusionMamba"}
SCENES = ("s1", "s2", "s3", "s4")


def write_run(path: Path, values: dict[str, dict[str, float | None]], *,
              weights: dict[str, str] | None = None, info: dict | None = None) -> Path:
    """A run directory whose rows give each method's PSNR per scene (None = an error row) under
    both conventions; SAM is 5 - PSNR / 10 (lower is better, so it follows PSNR's ranking)."""
    weights = weights or {}
    rows = []
    for method, per_scene in values.items():
        for scene, psnr in per_scene.items():
            for convention in ("paper", "standard"):
                ok = psnr is not None
                rows.append({
                    "run_id": "paired-test", "method": method, "label": LABELS.get(method, method),
                    "family": "deep", "dataset": "synthetic", "scene": scene,
                    "convention": convention, "status": "ok" if ok else "error",
                    "error": "" if ok else "RuntimeError: boom",
                    "psnr": psnr if ok else np.nan, "sam": 5 - psnr / 10 if ok else np.nan,
                    "weights": weights.get(method, "none"),
                    "train_budget": "smoke: 8 steps" if weights.get(method) == UNTRAINED else "",
                })
    path.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path / "rows.csv", index=False)
    (path / "run.json").write_text(json.dumps({"run_id": "paired-test",
                                               "methods": list(values), **(info or {})}))
    return path


def scores(*psnr: float | None) -> dict[str, float | None]:
    return dict(zip(SCENES, psnr, strict=False))


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """hssdct the reference; bicubic worse on every scene; cnmf better on two, tied on one, worse
    on one; fusionmamba failed scene s2."""
    return load_run(write_run(tmp_path / "run", {
        "hssdct": scores(30.0, 31.0, 32.0, 33.0),
        "bicubic": scores(25.0, 26.5, 27.0, 28.5),
        "cnmf": scores(31.0, 31.04, 33.0, 32.0),
        "fusionmamba": scores(29.0, None, 31.0, 34.0),
    }))


def line_of(markdown: str, label: str) -> list[str]:
    [line] = [ln for ln in markdown.splitlines() if ln.startswith(f"| {label} ")]
    return [c.strip() for c in line.strip("|").split("|")]


# ---- paired_difference -------------------------------------------------------------------------

def test_bootstrap_interval_contains_the_mean_and_shrinks_with_n() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (5, 50, 500):
        diffs = rng.normal(1.0, 2.0, n)
        d = paired_difference(diffs, np.zeros(n), higher_is_better=True, tie_tolerance=0.05,
                              n_boot=2000)
        assert d.n == n and d.low <= d.mean <= d.high
        assert d.mean == pytest.approx(diffs.mean())
        widths.append(d.high - d.low)
    assert widths[0] > widths[1] > widths[2]


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    values, ref = np.arange(8.0) ** 1.5, np.zeros(8)
    args = {"higher_is_better": True, "tie_tolerance": 0.05, "n_boot": 500}
    a = paired_difference(values, ref, **args, seed=3)
    assert a == paired_difference(values, ref, **args, seed=3)
    b = paired_difference(values, ref, **args, seed=4)
    assert b.mean == a.mean and (b.low, b.high) != (a.low, a.high)


def test_wins_ties_losses_when_higher_is_better() -> None:
    # differences +1, +0.05 (tie: the tolerance is inclusive), -0.04 (tie), -1, +0.06
    d = paired_difference([31.0, 30.05, 29.96, 29.0, 30.06], [30.0] * 5, higher_is_better=True,
                          tie_tolerance=0.05, n_boot=100)
    assert (d.wins, d.ties, d.losses) == (2, 2, 1) and d.wtl() == "2/2/1"


def test_wins_ties_losses_when_lower_is_better() -> None:
    # SAM: a lower value is a win
    d = paired_difference([1.0, 2.0, 3.0, 2.03], [2.0] * 4, higher_is_better=False,
                          tie_tolerance=0.05, n_boot=100)
    assert (d.wins, d.ties, d.losses) == (1, 2, 1)
    assert d.mean == pytest.approx((-1 + 0 + 1 + 0.03) / 4)


def test_one_scene_has_a_mean_but_no_interval_and_none_gives_dashes() -> None:
    one = paired_difference([31.234], [30.0], higher_is_better=True, tie_tolerance=0.05)
    assert one.n == 1 and one.mean == pytest.approx(1.234)
    assert math.isnan(one.low) and math.isnan(one.high)
    assert one.cell(".2f") == "+1.23 (n=1)" and one.wtl() == "1/0/0"
    assert one.interval_cell() == "–"
    none = paired_difference([np.nan, np.inf], [30.0, 30.0], higher_is_better=True,
                             tie_tolerance=0.05)
    assert none.n == 0 and none.cell() == "–" and none.wtl() == "–" and none.mean_cell() == "–"


def test_cell_formats_signed_mean_and_interval() -> None:
    d = paired_difference([31.0, 32.0, 31.5], [30.0, 30.0, 30.0], higher_is_better=True,
                          tie_tolerance=0.05, n_boot=1000)
    low, high = f"{d.low:+.2f}", f"{d.high:+.2f}"
    assert d.cell(".2f") == f"+1.50 [{low}, {high}]" and low.startswith("+")


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1.0, 2.0], [1.0], higher_is_better=True, tie_tolerance=0.05)


def test_docstring_example_runs() -> None:
    assert doctest.testmod(paired_module).failed == 0


# ---- paired_to_reference -----------------------------------------------------------------------

def test_alignment_keeps_only_scenes_both_scored_ok(run: Run) -> None:
    diffs = paired_to_reference(run.rows, "hssdct", "psnr", "paper")
    assert set(diffs) == {"bicubic", "cnmf", "fusionmamba"}
    fm = diffs["fusionmamba"]  # failed s2: compared on s1, s3, s4 only
    assert fm.n == 3 and fm.mean == pytest.approx((-1 - 1 + 1) / 3)
    assert (fm.wins, fm.ties, fm.losses) == (1, 0, 2)
    cnmf = diffs["cnmf"]
    assert cnmf.n == 4 and (cnmf.wins, cnmf.ties, cnmf.losses) == (2, 1, 1)
    assert diffs["bicubic"].wtl() == "0/0/4"


def test_a_scene_the_reference_failed_is_dropped_for_everyone(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {"hssdct": scores(30.0, None, 32.0),
                                              "cnmf": scores(31.0, 40.0, 31.0)}))
    d = paired_to_reference(run.rows, "hssdct", "psnr", "standard")["cnmf"]
    assert d.n == 2 and d.mean == pytest.approx(0.0)


def test_sam_is_compared_lower_is_better(run: Run) -> None:
    d = paired_to_reference(run.rows, "hssdct", "sam", "paper")["bicubic"]
    assert d.mean > 0 and d.wtl() == "0/0/4"  # higher SAM than the reference: losses


def test_rmse_tolerance_is_relative_to_the_reference() -> None:
    rows = pd.DataFrame({
        "method": ["ref", "ref", "m", "m"], "dataset": "d", "scene": ["a", "b", "a", "b"],
        "convention": "paper", "status": "ok", "rmse": [100.0, 0.01, 100.4, 0.0104]})
    d = paired_to_reference(rows, "ref", "rmse", "paper")["m"]
    assert RULES["rmse"].relative and d.wtl() == "0/1/1"  # +0.4% is a tie, +4% a loss


# ---- choose_reference --------------------------------------------------------------------------

def test_requested_reference_with_real_quality_is_kept(run: Run) -> None:
    assert choose_reference(run, None)[0] == "hssdct"
    assert choose_reference(run, "bicubic")[0] == "bicubic"


def test_run_json_reference_is_the_default(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {"hssdct": scores(30.0, 31.0),
                                              "cnmf": scores(29.0, 30.0)},
                             info={"reference": "cnmf"}))
    assert choose_reference(run, None)[0] == "cnmf"
    assert choose_reference(run, "hssdct")[0] == "hssdct"


def test_untrained_requested_reference_falls_back_to_best_measured(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {
        "hssdct": scores(40.0, 41.0), "bicubic": scores(25.0, 26.0),
        "cnmf": scores(30.0, 31.0), "fusionmamba": scores(35.0, 36.0)},
        weights={"hssdct": UNTRAINED, "fusionmamba": UNTRAINED}))
    reference, note = choose_reference(run, None)
    assert reference == "cnmf"
    assert note == ("HSSDCT is untrained in this run, so differences are to CNMF, the best "
                    "measured method by mean PSNR; choose another with --reference")


@pytest.mark.parametrize("values, why", [
    # an absent method has no label in the rows: the note names it as requested
    ({"bicubic": scores(25.0, 26.0), "cnmf": scores(30.0, 31.0)}, "hssdct is not in this run"),
    ({"hssdct": scores(None, None), "bicubic": scores(25.0, 26.0), "cnmf": scores(30.0, 31.0)},
     "HSSDCT has no scored scene in this run"),
])
def test_absent_or_failed_reference_falls_back(tmp_path: Path, values: dict, why: str) -> None:
    reference, note = choose_reference(load_run(write_run(tmp_path / "r", values)), "hssdct")
    assert reference == "cnmf" and note.startswith(f"{why}, so differences are to CNMF")


def test_a_skipped_reference_is_named_with_its_reason(tmp_path: Path) -> None:
    path = write_run(tmp_path / "r", {"hssdct": scores(None, None), "bicubic": scores(25.0, 26.0),
                                      "cnmf": scores(30.0, 31.0)})
    rows = pd.read_csv(path / "rows.csv")
    mask = rows["method"] == "hssdct"
    rows.loc[mask, "status"], rows.loc[mask, "error"] = "skipped", "no weights"
    rows.to_csv(path / "rows.csv", index=False)
    reference, note = choose_reference(load_run(path), "hssdct")
    assert reference == "cnmf"
    assert note.startswith("HSSDCT was not measured (no weights), so differences are to CNMF")


def test_no_method_with_real_quality_gives_no_reference(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {"hssdct": scores(40.0), "cnmf": scores(None)},
                             weights={"hssdct": UNTRAINED}))
    reference, note = choose_reference(run, None)
    assert reference is None and "no other method has measured quality" in note
    markdown = table1_markdown(run)
    assert line_of(markdown, "HSSDCT")[-4:] == ["untrained", "–", "untrained", "–"]
    assert line_of(markdown, "CNMF")[-4:] == ["–"] * 4


# ---- tables ------------------------------------------------------------------------------------

def test_table1_has_paired_columns_naming_the_reference(run: Run) -> None:
    table = table1(run, "paper")
    headers = table.headers[-4:]
    assert headers == ["ΔPSNR vs HSSDCT (dB) mean [95% CI]", "ΔPSNR vs HSSDCT (dB) W/T/L",
                       "ΔSAM vs HSSDCT (deg) mean [95% CI]", "ΔSAM vs HSSDCT (deg) W/T/L"]
    markdown = to_markdown(table)
    assert line_of(markdown, "HSSDCT")[-4:] == ["reference", "–", "reference", "–"]
    cnmf = line_of(markdown, "CNMF")[-4:]
    assert cnmf[0].startswith("+0.26 [") and cnmf[1] == "2/1/1" and cnmf[3] == "2/1/1"
    assert line_of(markdown, "FusionMamba")[-3] == "1/0/2"
    assert "per-scene paired differences (method - HSSDCT)" in markdown
    assert "10000 resamples" in markdown and "PSNR ±0.05 dB, higher is better" in markdown
    assert "SAM ±0.05 deg, lower is better" in markdown
    assert "FusionMamba 3" in markdown and "Reference: HSSDCT" in markdown


def test_table1_untrained_and_failed_methods_show_no_difference(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {
        "hssdct": scores(30.0, 31.0), "cnmf": scores(32.0, 33.0),
        "fusionmamba": scores(35.0, 36.0), "bicubic": scores(None, None)},
        weights={"fusionmamba": UNTRAINED}))
    markdown = table1_markdown(run, "standard")
    assert line_of(markdown, "FusionMamba")[-4:] == ["untrained", "–", "untrained", "–"]
    assert line_of(markdown, "Bicubic")[-4:] == ["–"] * 4
    assert line_of(markdown, "CNMF")[-3] == "2/0/0"


def test_table1_names_the_fallback_reference(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path / "r", {
        "hssdct": scores(40.0, 41.0), "cnmf": scores(30.0, 31.0), "bicubic": scores(25.0, 26.0)},
        weights={"hssdct": UNTRAINED}))
    markdown = table1_markdown(run)
    assert "ΔPSNR vs CNMF (dB)" in markdown
    assert line_of(markdown, "CNMF")[-4:] == ["reference", "–", "reference", "–"]
    assert line_of(markdown, "HSSDCT")[-4] == "untrained"
    assert "HSSDCT is untrained in this run, so differences are to CNMF" in markdown


def test_paired_table_lists_every_compared_metric_of_the_convention(run: Run) -> None:
    table = paired_table(run, "standard")
    assert table.headers == ["Metric", "Method", "n", "Δ vs HSSDCT mean", "Δ vs HSSDCT 95% CI",
                             "W/T/L"]
    assert [r[0] for r in table.rows] == ["PSNR (dB)"] * 4 + ["SAM (deg)"] * 4  # only these set
    fm = next(r for r in table.rows if r[:2] == ["PSNR (dB)", "FusionMamba"])
    assert fm[2] == "3" and fm[3] == "-0.33" and fm[5] == "1/0/2"
    ref = next(r for r in table.rows if r[:2] == ["SAM (deg)", "HSSDCT"])
    assert ref[2:] == ["–", "reference", "–", "–"]


def test_write_tables_writes_paired_tables_for_both_conventions(run: Run) -> None:
    names = {p.name for p in write_tables(run, "standard", reference="cnmf")}
    assert {"paired.md", "paired.tex", "table1.md", "table1.tex"} <= names
    md = (run.path / "paired.md").read_text()
    assert md.index("to CNMF, standard convention") < md.index("to CNMF, paper convention")
    tex = (run.path / "paired.tex").read_text()
    assert "$\\Delta$ vs CNMF" in tex and "Δ" not in tex


# ---- command lines -----------------------------------------------------------------------------

def test_report_cli_rejects_an_unknown_reference(run: Run, capsys: pytest.CaptureFixture) -> None:
    assert report_main([str(run.path), "--no-figures", "--reference", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0] == ("error: --reference nope: no such method in this run (its methods: "
                      "hssdct, bicubic, cnmf, fusionmamba)")


def test_report_cli_reference_overrides_run_json(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    path = write_run(tmp_path / "r", {"hssdct": scores(30.0, 31.0), "cnmf": scores(29.0, 30.0)},
                     info={"reference": "hssdct"})
    assert report_main([str(path), "--no-figures", "--reference", "cnmf"]) == 0
    out = capsys.readouterr().out
    assert "ΔPSNR vs CNMF (dB)" in out and "ΔPSNR vs CNMF" in (path / "table1.md").read_text()


def test_runner_refuses_a_reference_outside_its_methods(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    import benchmarks.run as runner

    code = runner.main(["--methods", "bicubic", "--reference", "cnmf", "--no-cost",
                        "--out", str(tmp_path / "x")])
    assert code == 2
    assert "--reference cnmf: not one of this run's methods (bicubic)" in capsys.readouterr().err


def test_runner_keeps_the_reference_in_run_json(tmp_path: Path) -> None:
    import benchmarks.run as runner
    import datasets
    from tests.toys import tiny_simulated

    with datasets.registered_dataset("zz_tiny_paired", tiny_simulated, description="tiny",
                                     splits=("train", "test")):
        args = ["--methods", "bicubic", "--dataset", "zz_tiny_paired", "--no-cost", "--no-report"]
        assert runner.main([*args, "--out", str(tmp_path / "a"), "--reference", "bicubic"]) == 0
        assert runner.main([*args, "--out", str(tmp_path / "b")]) == 0
    assert json.loads((tmp_path / "a" / "run.json").read_text())["reference"] == "bicubic"
    assert json.loads((tmp_path / "b" / "run.json").read_text())["reference"] == "hssdct"
    # hssdct is not in run b: its tables compare with the best measured method, bicubic
    assert "hssdct is not in this run, so differences are to Bicubic" in (
        tmp_path / "b" / "table1.md").read_text()
