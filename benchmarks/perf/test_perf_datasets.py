"""Speed of the data layer: loading one paper-size scene from the layout, and building scenes.

- "dataset load": one 256x256x172 entry (GT.npz.npy 45 MB, lrhsi.npz with 4 keys, hrmsi.npz)
  read into a Scene (HWC -> CHW, GT min-max), and the bare numpy read for comparison. The files
  are written once in a temporary directory, so the timing is with a warm page cache.
- "dataset build": one Indian Pines test tile (200x64x64, simulated on the fly) and one
  synthetic paper-size scene (earthlib spectra, 172x256x256, simulated inputs).

    .venv/bin/python -m pytest benchmarks/perf/test_perf_datasets.py --benchmark-only
"""

from __future__ import annotations

import numpy as np
import pytest

import datasets
from datasets.layout import LRHSI_KEYS, read_entry, write_entry
from datasets.paper import PaperLayout

H, C, RATIO = 256, 172, 4


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("layout")
    h = H // RATIO
    write_entry(str(root), "test/scene_0", (rng.random((H, H, C), dtype=np.float32) * 1e4),
                {k: rng.random((h, h, C), dtype=np.float32) for k in LRHSI_KEYS},
                {f"hrmsi{c}": rng.random((H, H, c), dtype=np.float32) for c in (4, 6)})
    (root / "test.txt").write_text("test/scene_0/\n")
    return str(root), str(root / "test.txt")


def test_load_paper_size_scene(benchmark, layout):
    root, list_file = layout
    benchmark.group = "dataset load, 256x256x172 scene"
    scene = benchmark(lambda: PaperLayout(root, list_file)[0])
    assert scene.gt.shape == (C, H, H) and scene.lrhsi.shape == (C, H // RATIO, H // RATIO)


def test_read_paper_size_arrays_numpy_only(benchmark, layout):
    root, _ = layout
    benchmark.group = "dataset load, 256x256x172 scene"
    gt, _, _ = benchmark(lambda: read_entry(root, "test/scene_0"))
    assert gt.shape == (H, H, C)


def test_build_indian_pines_test_tile(benchmark):
    benchmark.group = "dataset build"
    datasets.get("indian_pines", split="test")[0]  # warm the vendored cube and SRF caches
    scene = benchmark(lambda: datasets.get("indian_pines", split="test")[0])
    assert scene.gt.shape == (200, 64, 64)


def test_build_synthetic_paper_size_scene(benchmark):
    benchmark.group = "dataset build"
    scene = benchmark.pedantic(lambda: datasets.get("synthetic", n=1, seed=0)[0], rounds=3,
                               warmup_rounds=1)
    assert scene.gt.shape == (C, H, H)
