"""Every named protocol on small cubes: its kernel, its sampling phase, its boundary, its split,
its response, and what it records; and the simulator's window/boundary arithmetic against a
direct sum."""

import json

import numpy as np
import pytest
import torch

import datasets
from datasets import cave, harvard
from datasets.protocol import Blur, Protocol, Response, Source, Split, Window, protocol_scenes
from datasets.registry import list_datasets, spec
from datasets.simulate import BOUNDARIES, blur_decimate, gaussian_psf
from datasets.srf import read_table, srf_matrix

PROTOCOLS = [(name, p) for name in list_datasets() for p in spec(name).protocols]
PUBLISHED_HW = {"chikusei": (2517, 2335), "pavia-u": (610, 340), "pavia-c": (1096, 715),
                "houston2013": (349, 1905), "dc-mall": (1208, 307)}


def direct(x: np.ndarray, psf: np.ndarray, ratio: int, start: int, boundary: str) -> np.ndarray:
    """LR[i, j] = sum_uv psf[k-1-u, k-1-v] * X[r*i + start + u, r*j + start + v], X extended by
    ``boundary``: the definition, summed pixel by pixel."""
    k, (H, W) = psf.shape[0], x.shape

    def at(n: int, size: int) -> int | None:
        if 0 <= n < size:
            return n
        mode = BOUNDARIES[boundary]
        if mode is None:
            return None
        return int(np.pad(np.arange(size), (3 * size, 3 * size), mode=mode)[n + 3 * size])

    out = np.zeros((H // ratio, W // ratio))
    for i in range(H // ratio):
        for j in range(W // ratio):
            for u in range(k):
                for v in range(k):
                    y, z = at(ratio * i + start + u, H), at(ratio * j + start + v, W)
                    if y is not None and z is not None:
                        out[i, j] += psf[k - 1 - u, k - 1 - v] * x[y, z]
    return out


@pytest.mark.parametrize("boundary", sorted(BOUNDARIES))
@pytest.mark.parametrize(("ratio", "size", "start"), [(4, 7, -3), (4, 8, -3), (2, 5, 1), (4, 4, 0)])
def test_blur_decimate_is_the_direct_sum(boundary, ratio, size, start):
    x = np.random.default_rng(size).random((12, 16))
    psf = gaussian_psf(size, 1.3, centre=(size - 1) / 2 + 0.4)  # off-centre: flips would show
    got = blur_decimate(torch.from_numpy(x), psf, ratio, start, boundary).numpy()
    np.testing.assert_allclose(got, direct(x, psf, ratio, start, boundary), atol=1e-12)


@pytest.mark.parametrize(("dataset", "protocol"), PROTOCOLS, ids=[f"{d}:{p.name}" for d, p in PROTOCOLS])
def test_every_protocol_kernel_phase_and_record(dataset, protocol):
    kernel = protocol.blur.kernel()
    record = protocol.record()
    assert kernel.shape[0] == kernel.shape[1] == record["psf"]["taps"]
    assert kernel.sum() == pytest.approx(1.0) and (kernel >= 0).all()
    json.dumps(record)  # plain JSON values all the way down
    # phase: on a ramp X[y, x] = y, interior LR pixel i is r*i + the kernel's centroid
    r = protocol.ratio
    size = r * max(8, 2 * -(-kernel.shape[0] // r) + 4)
    ramp = torch.arange(size, dtype=torch.float64)[:, None].expand(size, size).contiguous()
    lr = blur_decimate(ramp, kernel, r, protocol.blur.window_start(r), protocol.blur.boundary)
    inner = slice(2 + kernel.shape[0] // r, size // r - 2 - kernel.shape[0] // r)
    rows = torch.arange(size // r, dtype=torch.float64)[inner]
    np.testing.assert_allclose((lr[inner, 0] - r * rows).numpy(),
                               record["psf"]["psf_centroid_hr_px"], atol=1e-9)
    assert record["protocol"] == protocol.name and record["sources"]
    assert protocol.split.names and "test" in protocol.split.names and "train" in protocol.split.names


@pytest.mark.parametrize(("dataset", "protocol"), PROTOCOLS, ids=[f"{d}:{p.name}" for d, p in PROTOCOLS])
def test_every_protocol_split_is_disjoint_and_fits_the_release(dataset, protocol):
    if protocol.split.scenes:
        names = [s for scenes in protocol.split.scenes.values() for s in scenes]
        assert len(names) == len(set(names))
        if dataset == "cave":
            assert set(names) <= set(cave.SCENES)
        return
    H, W = PUBLISHED_HW[dataset]
    windows = [(s, w) for s, ws in protocol.split.windows.items() for w in ws]
    for _, w in windows:
        assert 0 <= w.row and w.row + w.height <= H and 0 <= w.col and w.col + w.width <= W, w
        assert w.height % protocol.ratio == 0 and w.width % protocol.ratio == 0
    for i, (s, a) in enumerate(windows):
        for t, b in windows[i + 1:]:
            if s != t:
                assert (a.row + a.height <= b.row or b.row + b.height <= a.row
                        or a.col + a.width <= b.col or b.col + b.width <= a.col), (a, b)


def test_overlapping_windows_and_shared_scenes_are_refused():
    blur, response = Blur("box", 4), Response("nikon_d700", ("r", "g", "b"))
    with pytest.raises(ValueError, match="overlaps"):
        Protocol("p", 4, blur, response, Split(windows={"train": (Window(0, 0, 8, 8),),
                                                        "test": (Window(4, 4, 8, 8),)}))
    with pytest.raises(ValueError, match="in both train and test"):
        Protocol("p", 4, blur, response, Split(scenes={"train": ("a", "b"), "test": ("b",)}))


def test_cave_splits_are_the_sources_lists():
    mhf = spec("cave:x32-box").protocols[1].split.scenes
    assert mhf["test"] == ("flowers", "feathers", "jelly_beans", "cd", "fake_and_real_beers",
                           "chart_and_stuffed_toy", "hairs", "clay", "fake_and_real_tomatoes",
                           "watercolors", "fake_and_real_lemon_slices", "balloons")
    assert len(mhf["train"]) == 20
    hif = next(p for p in cave.PROTOCOLS if p.name == "x32-hiftool").split.scenes
    assert (len(hif["train"]), len(hif["val"]), len(hif["test"])) == (16, 3, 12)
    assert "watercolors" not in {s for v in hif.values() for s in v}  # HIFtool's range(1, 32)


def test_box_protocol_is_the_block_mean_and_hiftool_kernel_peaks_off_centre():
    box = next(p for p in cave.PROTOCOLS if p.name == "x32-box")
    x = torch.rand(2, 64, 64, dtype=torch.float64)
    lr = blur_decimate(x, box.blur.kernel(), 32, box.blur.window_start(32), box.blur.boundary)
    torch.testing.assert_close(lr, x.reshape(2, 2, 32, 2, 32).mean((2, 4)))
    hif = next(p for p in cave.PROTOCOLS if p.name == "x32-hiftool").blur
    k = hif.kernel()
    assert k.shape == (32, 32) and np.unravel_index(k.argmax(), k.shape) == (15, 15)
    g = np.exp(-((np.arange(32) - 16.0) ** 2) / (2 * 21.0**2))  # HIFtool's weights, 1-D normalised
    window = np.outer(g, g) / g.sum() ** 2
    np.testing.assert_allclose(k[::-1, ::-1], window)  # the PSF is convolved: window = flipped PSF
    x = torch.rand(1, 64, 64, dtype=torch.float64)
    lr = blur_decimate(x, k, 32, 0, "zero")
    expected = torch.einsum("cyx,yx->c", x[:, 32:64, :32], torch.from_numpy(window))
    torch.testing.assert_close(lr[:, 1, 0], expected)  # nn.Conv2d(kernel 32, stride 32)


def test_periodic_and_symmetric_borders_differ_where_the_window_leaves_the_image():
    chik = spec("chikusei").protocols[0].blur  # 8x8, start -3, periodic
    x = torch.zeros(32, 32, dtype=torch.float64)
    x[-2:, :] = 1.0  # bright bottom rows
    lr = blur_decimate(x, chik.kernel(), 4, chik.window_start(4), chik.boundary)
    assert lr[0, 0] > 0.01  # the window of LR row 0 wraps round to the bottom rows
    sym = blur_decimate(x, chik.kernel(), 4, chik.window_start(4), "symmetric")
    assert sym[0, 0] == 0.0


def test_gaussian_bilinear_is_the_gaussian_then_the_two_pixel_mean():
    blur = Blur("gaussian-bilinear", 5, 2.0, boundary="reflect")
    k = blur.kernel()
    g = gaussian_psf(5, 2.0)
    assert k.shape == (6, 6) and blur.window_start(4) == -1
    np.testing.assert_allclose(k[1:5, 1:5], 0.25 * (g[:-1, :-1] + g[1:, :-1] + g[:-1, 1:] + g[1:, 1:]))
    assert blur.record(4)["lr_centre_hr_px"] == 1.5  # cv2.resize samples at 4i + 1.5


def test_camera_response_is_sampled_at_each_datasets_own_centres():
    wl, table, names, provenance = read_table("nikon_d700")
    assert names == ("r", "g", "b") and wl[0] == 400 and wl[-1] == 720
    assert "Jiang" in provenance and "CC BY-NC-SA" in provenance
    cave_srf = srf_matrix(cave.WAVELENGTHS_NM, np.full(31, 10.0), "nikon_d700", 3, "sampled")
    harvard_srf = srf_matrix(harvard.WAVELENGTHS_NM, np.full(31, 10.0), "nikon_d700", 3, "sampled")
    np.testing.assert_allclose(cave_srf, table[:, :31] / table[:, :31].sum(1, keepdims=True))
    np.testing.assert_allclose(harvard_srf, table[:, 2:] / table[:, 2:].sum(1, keepdims=True))
    with pytest.raises(ValueError, match="tabulated over 400-720 nm"):
        srf_matrix(np.arange(380.0, 700.0, 10.0), np.full(32, 10.0), "nikon_d700", 3, "sampled")


def test_band_mean_response_and_recorded_settings(tmp_path):
    cube = np.random.default_rng(0).random((8, 16, 16)).astype(np.float32)
    source = Source("toy", lambda _: cube, np.linspace(400, 900, 8), np.full(8, 60.0), "toy",
                    "toy", "none", str(tmp_path))
    protocol = Protocol("x4", 4, Blur("gaussian", 7, 3.0, "symmetric", -3),
                        Response("band-mean", ("0-3", "4-7")), normalisation="crop-minmax",
                        split=Split(windows={"train": (Window(0, 0, 8, 8),),
                                             "test": (Window(8, 8, 8, 8),)}))
    scene = protocol_scenes(source, protocol, "test")[0]
    unit = (cube[:, 8:, 8:] - cube[:, 8:, 8:].min()) / (cube[:, 8:, 8:].max() - cube[:, 8:, 8:].min())
    np.testing.assert_allclose(scene.gt.numpy(), unit, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scene.hrmsi.numpy(), np.stack([unit[:4].mean(0), unit[4:].mean(0)]),
                               atol=1e-6)
    assert scene.meta.degradation["srf"]["sensor"] == "band-mean"
    assert scene.meta.degradation["split"]["window"] == {"row": 8, "col": 8, "height": 8, "width": 8}
    assert scene.name == "toy:x4/test/r8_c8_8x8"


def test_names_pick_protocols_and_unknown_ones_are_named():
    assert spec("cave:x8-nssr").name == "cave"
    with pytest.raises(KeyError, match="cave:x8-gauss, cave:x32-box"):
        spec("cave:x7")
    with pytest.raises(ValueError, match="needs root"):
        datasets.get("cave:x8-gauss")
    with pytest.raises(ValueError, match="has splits"):
        datasets.get("cave:x8-nssr", split="val", root="x")


def test_shrink_keeps_windows_disjoint_and_refuses_sizes_that_do_not_divide():
    chik = spec("chikusei").protocols[0]
    small = chik.shrunk(16)
    assert small.label == "x4-tiles/16" and small.split.windows["test"][0] == Window(6, 8, 32, 32)
    with pytest.raises(ValueError, match="cannot shrink"):
        spec("chikusei").protocols[1].shrunk(16)
    assert len(PROTOCOLS) >= 9
    assert {d for d, _ in PROTOCOLS} == {"cave", "harvard", "chikusei", "pavia-u", "pavia-c",
                                         "houston2013", "dc-mall"}


def test_docs_table_is_the_registry():
    from pathlib import Path

    from datasets.__main__ import markdown_table

    text = (Path(__file__).parents[1] / "docs" / "datasets.md").read_text()
    assert markdown_table() in text, "docs/datasets.md: regenerate with python -m datasets list --markdown"
