"""The runner: error isolation, resume, determinism and atomic long-format rows."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

import benchmarks.run as runner
import methods
from benchmarks.schema import COLUMNS
from datasets.registry import _REGISTRY as DATASETS
from datasets.registry import register_dataset
from datasets.simulate import simulate_scene
from methods.registry import _REGISTRY as METHODS
from methods.registry import register


@pytest.fixture(autouse=True)
def tiny_world():
    """A 2-scene dataset (6 bands, LR 8x8, HR 32x32) and a method that always raises."""

    @register_dataset("zz_tiny", description="two tiny simulated scenes", splits=("train", "test"))
    def tiny(split="test"):
        g = torch.Generator().manual_seed(1 if split == "test" else 2)
        scenes = []
        for i in range(2):
            gt = torch.nn.functional.avg_pool2d(torch.rand(1, 6, 36, 36, generator=g), 5, 1)[0]
            wl = np.linspace(450, 2200, 6)
            scene = simulate_scene(gt.numpy(), wl, np.full(6, 30.0), ratio=4, msi_bands=4,
                                   seed=i, name=f"tiny/{split}{i}")
            scenes.append(scene)
        return scenes

    @register("zz_boom", family="baseline", label="Boom", paper="(test)")
    def boom(bands, msi_bands, ratio):
        def fail(lr, hr):
            raise RuntimeError("kaboom")
        return fail

    yield
    DATASETS.pop("zz_tiny", None)
    METHODS.pop("zz_boom", None)


def run(tmp_path, *extra):
    return runner.main(["--methods", "bicubic,zz_boom", "--dataset", "zz_tiny", "--no-cost",
                        "--no-report", "--out", str(tmp_path / "run"), *extra])


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
    monkeypatch.setattr(runner, "run_method", lambda r, n, *a: calls.append(n) or real(r, n, *a))
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
    spec, run_dir = methods.get("qrcode"), SimpleNamespace(out=tmp_path)
    scene = DATASETS["zz_tiny"].factory("test")[0]
    own = torch.rand_like(scene.gt)
    assert runner.scene_anchor(run_dir, spec, replace(scene, anchor=own)) is own
    assert runner.scene_anchor(run_dir, methods.get("bicubic"), scene) is None

    computed = runner.scene_anchor(run_dir, spec, scene)
    cnmf = methods.build("cnmf", scene.bands, scene.msi_bands, 4)
    direct = runner.fuse(cnmf, methods.get("cnmf"), scene, torch.device("cpu"))
    torch.testing.assert_close(computed, direct)
    assert len(list((tmp_path / "anchors").glob("*.npz"))) == 1

    def no_second_cnmf(*args, **kwargs):
        raise AssertionError("the cached anchor should have been used")

    monkeypatch.setattr(runner, "fuse", no_second_cnmf)
    assert torch.equal(runner.scene_anchor(run_dir, spec, scene), computed)
