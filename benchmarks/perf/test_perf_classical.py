"""Speed bar of the classical entries: one paper-size scene fused in under 30 s on the 2-core CPU.

The scene is the first synthetic test scene (GT 172 x 256 x 256, LR-HSI 172 x 64 x 64, HR-MSI
4 x 256 x 256, ratio 4), fused once with the Scene's SRF and PSF (what the runner passes) and once
with both estimated from the inputs. Default parameters. Each benchmark records the thread count
and the PSNR / SAM / ERGAS (standard convention) of its output in ``extra_info``.
Run by ``make perf``.
"""

import pytest
import torch

import datasets
import methods
import metrics

CLASSICAL = ["gsa", "sfim", "mtf_glp_hs", "cnmf", "hysure"]
LIMIT_S = 30.0


@pytest.fixture(scope="module")
def scene():
    s = datasets.get("synthetic", split="test")[0]
    assert (s.bands, s.msi_bands, s.meta.ratio, s.hrmsi.shape[-1]) == (172, 4, 4, 256)
    return s


@pytest.mark.parametrize("sensors", ["scene", "estimated"])
@pytest.mark.parametrize("name", CLASSICAL)
def test_fuse_paper_size_scene_under_30_s(benchmark, scene, name, sensors):
    model = methods.build(name, scene.bands, scene.msi_bands, scene.meta.ratio).eval()
    side = {"srf": scene.meta.srf, "psf": scene.meta.psf} if sensors == "scene" else {}
    lrhsi, hrmsi = scene.lrhsi[None], scene.hrmsi[None]
    benchmark.group = "classical fusion, LR 1x172x64x64 + HR 1x4x256x256"

    def fuse():
        with torch.inference_mode():
            return model(lrhsi, hrmsi, **side)

    out = benchmark.pedantic(fuse, rounds=2, iterations=1)
    target = scene.gt[None]
    benchmark.extra_info.update({
        "threads": torch.get_num_threads(),
        "sensors": model.sensors[0].summary(),
        "params": model.params,
        "psnr": float(metrics.psnr(out, target, convention="standard")),
        "sam": float(metrics.sam(out, target, convention="standard")),
        "ergas": float(metrics.ergas(out, target, ratio=scene.meta.ratio, convention="standard")),
    })
    assert out.shape == target.shape
    assert benchmark.stats.stats.max < LIMIT_S
