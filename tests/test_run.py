"""The runner: error isolation, resume, determinism and atomic long-format rows."""

import json
from dataclasses import replace

import pandas as pd
import pytest
import torch

import benchmarks.run as runner
import datasets
import methods
from benchmarks.scenes import SceneCache, add_anchors
from benchmarks.schema import COLUMNS
from tests.toys import tiny_simulated


def boom(bands, msi_bands, ratio):
    def fail(lr, hr):
        raise RuntimeError("kaboom")
    return fail


@pytest.fixture(autouse=True)
def tiny_world():
    """The dataset zz_tiny and a method zz_boom that always raises, for each test."""
    with (datasets.registered_dataset("zz_tiny", tiny_simulated, description="two tiny simulated scenes",
                                      splits=("train", "test")),
          methods.registered("zz_boom", boom, family="baseline", label="Boom", paper="(test)")):
        yield


def run(tmp_path, *extra):
    """bicubic and the always failing zz_boom, with --keep-going (exit 0 despite its errors)."""
    return runner.main(["--methods", "bicubic,zz_boom", "--dataset", "zz_tiny", "--no-cost",
                        "--no-report", "--out", str(tmp_path / "run"), "--keep-going", *extra])


def test_a_failed_method_makes_the_run_exit_1_unless_keep_going(tmp_path, capsys):
    args = ["--methods", "bicubic,zz_boom", "--dataset", "zz_tiny", "--no-cost", "--no-report"]
    assert runner.main([*args, "--out", str(tmp_path / "a")]) == 1
    assert "error(s) in 1 method(s): zz_boom" in capsys.readouterr().err
    assert runner.main([*args, "--out", str(tmp_path / "b"), "--keep-going"]) == 0


def test_failing_method_becomes_error_rows_and_run_goes_on(tmp_path):
    assert run(tmp_path) == 0
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    assert list(rows.columns) == COLUMNS
    boom = rows[rows.method == "zz_boom"]
    assert len(boom) == 4 and (boom.status == "error").all()
    assert boom.error.str.contains("kaboom").all()
    ok = rows[rows.method == "bicubic"]
    assert len(ok) == 4 and (ok.status == "ok").all()
    assert set(ok.convention) == {"standard", "paper"}
    assert ok.psnr.notna().all() and ok.sam.notna().all()


def test_resume_skips_finished_methods_and_retries_failed_ones(tmp_path, monkeypatch):
    assert run(tmp_path) == 0
    calls = []
    real = runner.run_method
    monkeypatch.setattr(runner, "run_method",
                        lambda r, spec, *a: calls.append(spec.name) or real(r, spec, *a))
    assert run(tmp_path, "--resume") == 0
    assert calls == ["zz_boom"]
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    assert len(rows) == 8


def test_existing_run_without_resume_is_refused(tmp_path, capsys):
    assert run(tmp_path) == 0
    assert run(tmp_path) == 2
    assert "--resume" in capsys.readouterr().err


def test_same_seed_gives_same_quality_rows(tmp_path):
    assert runner.main(["--methods", "bicubic", "--dataset", "zz_tiny", "--no-cost", "--no-report",
                        "--out", str(tmp_path / "a")]) == 0
    assert runner.main(["--methods", "bicubic", "--dataset", "zz_tiny", "--no-cost", "--no-report",
                        "--out", str(tmp_path / "b")]) == 0
    a, b = (pd.read_csv(tmp_path / d / "rows.csv") for d in "ab")
    cols = ["scene", "convention", "psnr", "sam", "ergas", "rmse"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_unknown_method_is_one_clear_error(tmp_path, capsys):
    code = runner.main(["--methods", "nope", "--dataset", "zz_tiny", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "unknown method" in capsys.readouterr().err


def test_outputs_are_written_without_temp_leftovers(tmp_path):
    assert run(tmp_path) == 0
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert not [n for n in names if n.startswith(".")]
    assert {"rows.csv", "run.json", "published.json", "table1.md"} <= set(names)


def test_anchor_is_the_scenes_own_else_our_cnmf_cached_per_scene(tmp_path, monkeypatch):
    scenes = tiny_simulated("test")
    own = torch.rand_like(scenes[0].gt)
    cache = SceneCache([replace(scenes[0], anchor=own), scenes[1]])
    add_anchors(cache, torch.device("cpu"), tmp_path / "anchors")
    assert cache.load(0).anchor is own

    cnmf = methods.get("cnmf")
    direct = cnmf.fuse(cnmf.build_model(scenes[1].bands, scenes[1].msi_bands, 4), scenes[1])
    torch.testing.assert_close(cache.load(1).anchor, direct)
    assert len(list((tmp_path / "anchors").glob("*.npz"))) == 1

    def no_second_cnmf(*args, **kwargs):
        raise AssertionError("the cached anchor should have been used")

    monkeypatch.setattr(type(cnmf), "fuse", no_second_cnmf)
    again = SceneCache([replace(scenes[0], anchor=own), scenes[1]])
    add_anchors(again, torch.device("cpu"), tmp_path / "anchors")
    assert torch.equal(again.load(1).anchor, cache.load(1).anchor)


def test_scenes_are_loaded_once_per_run_and_shared_by_every_method(tmp_path):
    loads = []

    def counting(split="test"):
        scenes = tiny_simulated(split)
        return datasets.SceneList([s.name for s in scenes], lambda i: loads.append(i) or scenes[i])

    with datasets.registered_dataset("zz_counted", counting, description="counts its loads",
                                     splits=("train", "test")):
        assert runner.main(["--methods", "bicubic,sfim", "--dataset", "zz_counted", "--no-cost",
                            "--no-report", "--out", str(tmp_path / "run")]) == 0
    assert sorted(loads) == [0, 1]


def test_run_json_records_every_stage_of_every_method(tmp_path):
    assert run(tmp_path) == 0
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert set(info["stage_s"]) == {"bicubic", "zz_boom"}
    assert {"build", "quality"} <= set(info["stage_s"]["bicubic"])
    assert info["method_s"]["bicubic"] >= info["stage_s"]["bicubic"]["quality"]
    assert info["wall_s"] > 0 and info["setup_s"] > 0


def test_rows_record_the_configuration_of_every_method(tmp_path):
    assert run(tmp_path) == 0
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    params = json.loads(rows[rows.method == "bicubic"].method_params.iloc[0])
    assert params == {"bands": 6, "msi_bands": 4, "ratio": 4}


def test_untrained_weights_are_recorded_and_never_shown_as_quality(tmp_path, toy, capsys):
    code = runner.main(["--methods", f"bicubic,{toy}", "--dataset", "zz_tiny", "--no-cost",
                        "--no-report", "--out", str(tmp_path / "run")])
    assert code == 0
    rows = pd.read_csv(tmp_path / "run" / "rows.csv")
    weights = rows.groupby("method").weights.first()
    assert weights["bicubic"] == "none" and weights[toy] == "untrained"
    assert rows[rows.method == toy].psnr.notna().all()  # the numbers stay in rows.csv
    assert "untrained weights (quality shown as 'untrained'" in capsys.readouterr().err
    table = (tmp_path / "run" / "metrics.md").read_text()
    toy_line = next(line for line in table.splitlines() if line.startswith(f"| {toy}"))
    assert "untrained" in toy_line and not any(c.isdigit() for c in toy_line.split("|")[2])
    bicubic_line = next(line for line in table.splitlines() if line.startswith("| Bicubic"))
    assert "untrained" not in bicubic_line
    assert f"untrained: {toy} ran with untrained weights" in table
    from benchmarks.report import load_run, write_figures

    figures = write_figures(load_run(tmp_path / "run"))
    assert f"untrained weights, left out of the quality figures: {toy}" in figures.skipped
    assert tmp_path / "run" / "figures" / "per_band_psnr.png" in figures.written
