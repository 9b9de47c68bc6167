"""For each dataset, end to end: write a native-format sample, check it with ``python -m datasets
check --dataset``, prepare one protocol into the paper's layout, check the layout, and run bicubic
and GSA on it through ``benchmarks.run``."""

import json

import numpy as np
import pandas as pd
import pytest

import benchmarks.run as runner
from datasets.__main__ import main as datasets_cli
from datasets.cave import SCENES
from datasets.prepare import main as prepare_cli
from tests import native_samples as ns

SAMPLES = {  # protocol: (writer of a sample under root, shrink that fits it)
    "cave:x8-gauss": (lambda root: ns.write_cave(root, SCENES, size=64), 1),
    "harvard:x8": (lambda root: ns.write_harvard(root, size=64), 16),
    "chikusei:x4-tiles": (lambda root: ns.write_chikusei_envi(root, 158, 146), 16),
    "pavia-u:x4-center": (lambda root: ns.write_pavia(root, "PaviaU.mat", "paviaU", 103, 305, 170), 2),
    "pavia-c:x4-center": (lambda root: ns.write_pavia(root, "Pavia.mat", "pavia", 102, 274, 179), 4),
    "houston2013:x4-zsl": (lambda root: ns.write_houston(root, 88, 477), 4),
    "dc-mall:x4-center": (lambda root: ns.write_dc_mall(root, 302, 77), 4),
}


@pytest.mark.parametrize("protocol", sorted(SAMPLES))
def test_native_sample_checks_prepares_and_runs(tmp_path, protocol, capsys):
    write, shrink = SAMPLES[protocol]
    root, layout, run = tmp_path / "download", tmp_path / "layout", tmp_path / "run"
    write(root)
    assert datasets_cli(["check", "--dataset", protocol, "--root", str(root),
                         "--shrink", str(shrink)]) == 0
    assert "ok: " in capsys.readouterr().err
    assert prepare_cli(["--dataset", protocol, "--root", str(root), "--out", str(layout),
                        "--shrink", str(shrink), "--splits", "test"]) == 0
    assert datasets_cli(["check", "--root", str(layout), "--list", str(layout / "test.txt")]) == 0
    record = json.loads((layout / "degradation.json").read_text())
    assert record["gt_domain"] == "unit" and record["degradation"]["protocol"].startswith(
        protocol.split(":")[1])
    assert runner.main(["--methods", "bicubic,gsa", "--dataset", "paper", "--root", str(layout),
                        "--no-cost", "--no-report", "--out", str(run)]) == 0
    rows = pd.read_csv(run / "rows.csv")
    assert (rows["status"] == "ok").all() and set(rows["method"]) == {"bicubic", "gsa"}
    assert np.isfinite(rows["psnr"]).all()
    meta = json.loads((run / "run.json").read_text())
    assert meta["setup"]["degradation"]["sources"]  # the protocol's provenance reaches run.json


def test_a_download_with_a_broken_scene_is_reported_scene_by_scene(tmp_path, capsys):
    ns.write_cave(tmp_path, SCENES, size=32)
    band = next(tmp_path.rglob("cd_ms_07.png"))
    band.write_bytes(b"not a png")
    assert datasets_cli(["check", "--dataset", "cave:x8-gauss", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "cave:x8-gauss test cave:x8-gauss/test/cd:" in out.out
    assert "cd_ms_07.png: cannot be read as a PNG" in out.out
    assert "1 problem(s)" in out.err and "(31 scenes read)" in out.err
