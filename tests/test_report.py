"""Tables and CLI of benchmarks.report, on the fixture run in tests/fixtures/report_run."""

from __future__ import annotations

import csv
import math
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.report import (
    Table,
    latex_escape,
    load_run,
    table1_markdown,
    to_markdown,
    write_tables,
)
from benchmarks.report.cli import main
from benchmarks.report.summary import Measured
from benchmarks.report.tables import cost_table, metrics_table, uncounted_summary

FIXTURE = Path(__file__).parent / "fixtures" / "report_run"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture run, so that reports never write into tests/fixtures."""
    dest = tmp_path / "run"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return dest


def fixture_rows() -> list[dict[str, str]]:
    with open(FIXTURE / "rows.csv", newline="") as f:
        return list(csv.DictReader(f))


def ok_values(method: str, metric: str, convention: str) -> list[float]:
    return [float(r[metric]) for r in fixture_rows()
            if r["method"] == method and r["convention"] == convention and r["status"] == "ok"]


def line_of(markdown: str, label: str) -> str:
    [line] = [ln for ln in markdown.splitlines() if ln.startswith(f"| {label} ")]
    return line


@pytest.mark.parametrize("convention", ["paper", "standard"])
def test_table1_shows_mean_of_ok_rows_of_the_convention(run_dir: Path, convention: str) -> None:
    markdown = table1_markdown(load_run(run_dir), convention)
    for method, label in (("hssdct", "HSSDCT"), ("bicubic", "Bicubic"),
                          ("fusionmamba", "FusionMamba")):
        line = line_of(markdown, label)
        for metric in ("psnr", "sam"):
            expected = statistics.fmean(ok_values(method, metric, convention))
            assert f"{expected:.3f}" in line, (method, metric, line)


def test_table1_paper_and_standard_means_differ(run_dir: Path) -> None:
    run = load_run(run_dir)
    paper = statistics.fmean(ok_values("hssdct", "psnr", "paper"))
    standard = statistics.fmean(ok_values("hssdct", "psnr", "standard"))
    assert f"{paper:.3f}" not in line_of(table1_markdown(run, "standard"), "HSSDCT")
    assert f"{standard:.3f}" not in line_of(table1_markdown(run, "paper"), "HSSDCT")


def test_table1_puts_published_beside_measured(run_dir: Path) -> None:
    markdown = table1_markdown(load_run(run_dir))
    assert "Params (M) pub." in markdown and "Params (M) meas." in markdown
    assert "PSNR (dB) pub." in markdown and "SAM (deg) meas." in markdown
    cells = [c.strip() for c in line_of(markdown, "HSSDCT").strip("|").split("|")]
    # Method | params pub | params meas | flops pub | hooks | fvcore | counter | psnr pub | psnr
    # meas | sam pub | sam meas
    assert cells[1:4] == ["6.78", "7.98", "283.84"]
    assert cells[4:7] == ["295.68", "307.79", "612.65"]
    assert cells[7] == "37.212" and cells[9] == "1.348"
    assert "pub.: figures as published by the papers" in markdown


def test_table1_picks_published_entry_with_the_runs_msi_bands(run_dir: Path) -> None:
    line = line_of(table1_markdown(load_run(run_dir)), "FusionMamba")
    assert "30.741" in line  # the 4-band figure; the 6-band 32.407 is listed first
    assert "32.407" not in line


def test_table1_shows_dash_where_nothing_is_published(run_dir: Path) -> None:
    cells = [c.strip() for c in line_of(table1_markdown(load_run(run_dir)), "Bicubic")
             .strip("|").split("|")]
    assert cells[1] == "–" and cells[3] == "–" and cells[7] == "–" and cells[9] == "–"
    assert cells[4:7] == ["–", "–", "–"]  # classical: no counter ran, and no cost error


def test_table1_marks_error_rows_instead_of_dropping_them(run_dir: Path) -> None:
    markdown = table1_markdown(load_run(run_dir))
    qrcode = line_of(markdown, "QRCODE")
    assert qrcode.count("error") == 5  # three counters, PSNR and SAM
    assert "41.92" in qrcode  # params were still measured
    assert "(2/3 ok)" in line_of(markdown, "FusionMamba")
    assert "FileNotFoundError: no checkpoint for qrcode" in markdown


def test_table1_follows_run_json_method_order(run_dir: Path) -> None:
    lines = [ln for ln in table1_markdown(load_run(run_dir)).splitlines() if ln.startswith("| ")]
    assert [ln.split("|")[1].strip() for ln in lines[1:]] == [
        "FusionMamba", "QRCODE", "HSSDCT", "Bicubic"]


def test_table1_caption_names_counters_dataset_budget_shapes_and_device(run_dir: Path) -> None:
    markdown = table1_markdown(load_run(run_dir))
    for text in ("1 MAC = 2 FLOPs", "ptflops-style", "fvcore GMAC", "tiny_synthetic",
                 "snr_db=35", "smoke: 60 s / 200 steps", "LR 1x172x64x64, HR 1x4x256x256",
                 "extrapolated linearly in pixels (FusionMamba)", "Fixture CPU (cpu)",
                 "paper's convention", "FusionMamba 4.20 GMac"):
        assert text in markdown, text
    assert "131.90*" in line_of(markdown, "FusionMamba")
    assert "*" not in line_of(markdown, "HSSDCT")


def test_device_note_names_the_openmp_wait_policy_the_run_had(run_dir: Path) -> None:
    run = load_run(run_dir)
    assert "OMP_WAIT_POLICY" not in table1_markdown(run)  # not recorded in the fixture
    run.info["omp_wait_policy"] = "PASSIVE"
    assert "Fixture CPU (cpu), float32, 2 threads, torch 2.13.0, OMP_WAIT_POLICY PASSIVE" in \
        table1_markdown(run)


def test_a_value_left_out_of_the_mean_is_said_in_the_cell() -> None:
    one_nan = Measured(mean=0.61, std=math.nan, n_values=1, n_ok=2, n_error=0, n_scenes=2)
    assert one_nan.cell(".2f", with_std=True) == "0.61 (1/2 finite)"
    both = Measured(mean=0.61, std=0.01, n_values=2, n_ok=2, n_error=0, n_scenes=3)
    assert both.cell(".2f", with_std=True) == "0.61 ± 0.01 (2/3 ok)"


def test_metrics_table_gives_mean_and_sample_std_over_ok_scenes(run_dir: Path) -> None:
    markdown = to_markdown(metrics_table(load_run(run_dir)))
    [line] = [ln for ln in markdown.splitlines() if ln.startswith("| HSSDCT ") and "standard" in ln]
    for metric, spec in (("psnr", ".3f"), ("ssim", ".4f"), ("cc", ".4f")):
        values = ok_values("hssdct", metric, "standard")
        expected = f"{statistics.fmean(values):{spec}} ± {statistics.stdev(values):{spec}}"
        assert expected in line, (metric, line)
    [paper] = [ln for ln in markdown.splitlines() if ln.startswith("| HSSDCT ") and "paper" in ln]
    assert "–" in paper  # SSIM is not computed under the paper convention
    qrcode = [ln for ln in markdown.splitlines() if ln.startswith("| QRCODE ")]
    assert len(qrcode) == 2 and all("0/3" in ln and "error" in ln for ln in qrcode)


def test_cost_table_lists_counters_uncounted_latency_and_roofline(run_dir: Path) -> None:
    markdown = to_markdown(cost_table(load_run(run_dir)))
    line = line_of(markdown, "FusionMamba")
    for text in ("21.675", "131.90*", "286.10*", "560.20*", "4.20", "aten::mm 96× (150.30 GMac)",
                 "aten::selective_scan 16×", "6.20", "6.90", "0.300", " 5 |", "5.300", "10.6%"):
        assert text in line, text
    assert "cpu_peak_rss" in markdown and "85.3 GFLOP/s" in markdown
    assert line_of(markdown, "QRCODE").count("error") == 3


def test_uncounted_summary_orders_by_gmacs_and_truncates() -> None:
    text = uncounted_summary('{"a": {"calls": 1}, "b": {"calls": 2, "gmacs": 5.0}, '
                             '"c": {"calls": 3, "gmacs": 9.0}, "d": {"calls": 9}}', limit=2)
    assert text == "c 3× (9.00 GMac), b 2× (5.00 GMac), +2 more"
    assert uncounted_summary("{}") == "" and uncounted_summary(float("nan")) == ""


def test_markdown_escapes_pipes_inside_cells(run_dir: Path) -> None:
    markdown = to_markdown(Table("t", [("", "a"), ("", "b")], [["x|y", "1"]]))
    assert "x\\|y" in markdown


def test_latex_escape_handles_specials_and_unicode() -> None:
    assert latex_escape("flop_counter 10% a&b #1 $") == r"flop\_counter 10\% a\&b \#1 \$"
    assert latex_escape("1.0 ± 0.1 – x×y 2°") == r"1.0 $\pm$ 0.1 -- x$\times$y 2$^\circ$"


def test_write_tables_writes_markdown_and_booktabs_latex(run_dir: Path) -> None:
    paths = write_tables(load_run(run_dir))
    assert sorted(p.name for p in paths) == sorted(
        ["table1.md", "table1.tex", "paired.md", "paired.tex", "metrics.md", "metrics.tex",
         "cost.md", "cost.tex"])
    for path in paths:
        assert path.stat().st_size > 0
    for name in ("table1.tex", "paired.tex", "metrics.tex", "cost.tex"):
        tex = (run_dir / name).read_text()
        assert tex.count("\\toprule") == tex.count("\\midrule") == tex.count("\\bottomrule") >= 1
        assert "tiny\\_synthetic" in tex or name == "cost.tex"
    table1_tex = (run_dir / "table1.tex").read_text()
    assert "\\multicolumn{2}{c}{Params (M)}" in table1_tex and "flop\\_counter" in table1_tex
    assert "10.6\\%" in (run_dir / "cost.tex").read_text()
    table1_md = (run_dir / "table1.md").read_text()
    assert table1_md.index("paper convention") < table1_md.index("standard convention")
    assert not list(run_dir.glob(".*"))  # no temporary files left behind


def test_cli_prints_table1_and_exits_0(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(run_dir), "--no-figures", "--convention", "standard"]) == 0
    out = capsys.readouterr().out
    assert "Table 1 (HSSDCT layout), standard convention" in out
    assert not (run_dir / "figures").exists()


@pytest.mark.parametrize("remove", ["dir", "rows.csv"])
def test_cli_missing_run_or_rows_is_one_error_line_and_exit_2(
    run_dir: Path, remove: str, capsys: pytest.CaptureFixture
) -> None:
    target = run_dir if remove == "dir" else run_dir / "rows.csv"
    if remove == "dir":
        shutil.rmtree(target)
    else:
        target.unlink()
    assert main([str(run_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and str(target) in err[0]


def test_cli_rows_without_identity_columns_exit_2(run_dir: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    (run_dir / "rows.csv").write_text("method,psnr\nhssdct,30\n")
    assert main([str(run_dir)]) == 2
    assert "missing column(s) scene, convention, status" in capsys.readouterr().err


def test_cli_unknown_scene_exit_2(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(run_dir), "--scene", "nowhere"]) == 2
    assert "available: scene_a" in capsys.readouterr().err


def test_help_shows_defaults() -> None:
    result = subprocess.run([sys.executable, "-m", "benchmarks.report", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "(default: paper)" in result.stdout and "--no-figures" in result.stdout


def test_a_count_that_timed_out_says_timeout_in_its_cell() -> None:
    import pandas as pd

    from benchmarks.report.summary import cost_cell

    rows = pd.DataFrame({"method": ["m"], "dataset": ["d"], "status": ["ok"],
                         "gmacs_fvcore": [float("nan")], "gmacs_hooks": [float("nan")],
                         "gflops_counter": [3.0],
                         "cost_error": ["fvcore: timeout: no result after 900 s; "
                                        "hooks: oom: child used more than 12 GiB"]})
    assert cost_cell(rows, "m", "gmacs_fvcore", ".2f") == "timeout"
    assert cost_cell(rows, "m", "gmacs_hooks", ".2f") == "out of memory"
    assert cost_cell(rows, "m", "gflops_counter", ".2f") == "3.00"
