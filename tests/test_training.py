"""The shared trainer: aligned crops, AWGN, the NaN guard, checkpoints, exact resume, step budget.

The toy method and data are ``tests/toys.py``'s.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import methods
from benchmarks.training import TrainConfig, Trainer, fit, train_for_budget
from benchmarks.training.curves import COLUMNS as CURVE_COLUMNS
from benchmarks.training.curves import tensorboard_available, val_steps
from benchmarks.training.data import CropDataset, generator
from benchmarks.training.manifest import read_manifest, sha256_of
from benchmarks.training.optim import DivergedError, Stepper
from datasets.simulate import add_awgn
from tests.toys import TOY, ToyFusion, toy_scenes


def quiet(**kw: object) -> dict[str, object]:
    return {"log": lambda _msg: None, "progress": False, **kw}


def config(tmp_path: Path, name: str = "run", **kw: object) -> TrainConfig:
    return TrainConfig.from_recipe(methods.get(TOY), bands=6, msi_bands=3, ratio=4,
                                   out=str(tmp_path / name), device="cpu", **kw)


# ---- data ------------------------------------------------------------------------------------
def test_crops_keep_lr_aligned_with_gt_under_flips_and_rotations():
    scene = toy_scenes(1)[0]
    ds = CropDataset([scene], domain="unit", crop_size=16, ratio=4, repeat=16)
    mix = torch.linalg.lstsq(scene.gt.flatten(1).T, scene.hrmsi.flatten(1).T).solution.T
    for i in range(16):
        s = ds[i]
        assert s["gt"].shape == (6, 16, 16) and s["lr"].shape == (6, 4, 4)
        torch.testing.assert_close(F.avg_pool2d(s["gt"][None], 4)[0], s["lr"])
        torch.testing.assert_close(torch.einsum("mc,chw->mhw", mix, s["gt"]), s["hr"],
                                   atol=1e-4, rtol=1e-4)


def test_crops_cover_several_offsets_on_the_ratio_grid():
    scene = toy_scenes(1)[0]
    ds = CropDataset([scene], domain="unit", crop_size=16, ratio=4, repeat=32, flips=False,
                     rot90=False)
    offsets = set()
    for i in range(32):
        gt = ds[i]["gt"]
        hits = [(y, x) for y in range(17) for x in range(17)
                if torch.equal(scene.gt[:, y:y + 16, x:x + 16], gt)]
        assert hits and all(y % 4 == 0 and x % 4 == 0 for y, x in hits)
        offsets.add(hits[0])
    assert len(offsets) > 3


def test_anchor_gets_the_same_geometry_as_the_gt():
    scene = toy_scenes(1)[0]
    scene.anchor = 1 - scene.gt
    ds = CropDataset([scene], domain="unit", crop_size=16, ratio=4, repeat=8, with_anchor=True)
    for i in range(8):
        s = ds[i]
        torch.testing.assert_close(s["anchor"], 1 - s["gt"])


def test_pm1_domain_is_unit_domain_times_two_minus_one():
    scene = toy_scenes(1)[0]
    unit = CropDataset([scene], domain="unit", crop_size=16, ratio=4, seed=5)[0]
    pm1 = CropDataset([scene], domain="pm1", crop_size=16, ratio=4, seed=5)[0]
    for key in ("lr", "hr", "gt"):
        torch.testing.assert_close(pm1[key], (unit[key] - 0.5) * 2)


def test_samples_depend_only_on_seed_epoch_and_index():
    ds = CropDataset(toy_scenes(2), domain="pm1", crop_size=16, ratio=4, seed=1, repeat=4)
    first = ds[3]["gt"]
    assert torch.equal(first, ds[3]["gt"])
    ds.set_epoch(1)
    assert not torch.equal(first, ds[3]["gt"])


def test_alternatives_give_each_sample_one_version_drawn_uniformly_with_the_same_crop():
    base = toy_scenes(2)
    versions = [[replace(s, lrhsi=s.lrhsi + k) for s in base] for k in (1, 2, 3)]
    plain = CropDataset(base, domain="unit", crop_size=16, ratio=4, seed=1, repeat=4)
    mixed = CropDataset(base, domain="unit", crop_size=16, ratio=4, seed=1, repeat=4,
                        alternatives=versions)
    drawn = []
    for epoch in range(4):
        plain.set_epoch(epoch)
        mixed.set_epoch(epoch)
        for i in range(len(mixed)):
            a, b, k = plain[i], mixed[i], mixed.version(i)
            assert torch.equal(a["gt"], b["gt"]) and torch.equal(a["hr"], b["hr"])
            torch.testing.assert_close(b["lr"], a["lr"] + k)
            assert mixed.version(i) == k  # a sample's draw depends on (seed, epoch, index) only
            drawn.append(k)
    assert sorted(set(drawn)) == [0, 1, 2, 3] and plain.version(0) == 0


def test_alternatives_must_hold_the_same_scenes():
    with pytest.raises(ValueError, match="alternative 1 holds 1 scenes, the training set 2"):
        CropDataset(toy_scenes(2), domain="unit", crop_size=16, ratio=4,
                    alternatives=[toy_scenes(1)])


def test_awgn_has_the_asked_snr_with_one_sigma_per_batch():
    x = torch.rand(2, 8, 64, 64)
    x[1] *= 3  # different power per sample: one sigma for the batch still
    noisy = add_awgn(x, 35.0, generator(0, "t"))
    noise = noisy - x
    snr = 10 * math.log10(float(x.pow(2).mean() / noise.pow(2).mean()))
    assert abs(snr - 35.0) < 0.05
    assert abs(float(noise[0].std() / noise[1].std()) - 1) < 0.02


# ---- the optimizer step ---------------------------------------------------------------------
class NaNFirst:
    """L1 loss that is NaN on its first ``n`` calls."""

    def __init__(self, n: int) -> None:
        self.left = n

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self.left -= 1
        loss = F.l1_loss(pred, target)
        return loss * float("nan") if self.left >= 0 else loss


def _step_inputs():
    scene = toy_scenes(1)[0]
    return scene.lrhsi[None], scene.hrmsi[None], scene.gt[None]


def test_nan_guard_skips_the_step_and_divides_the_lr():
    model = ToyFusion(6, 3, 4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    stepper = Stepper(model, NaNFirst(1), opt, torch.device("cpu"), log=lambda _m: None)
    before = [p.detach().clone() for p in model.parameters()]
    assert stepper.step(*_step_inputs()) is None
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert opt.param_groups[0]["lr"] == pytest.approx(2e-4) and stepper.lr_drops == 1
    assert stepper.step(*_step_inputs()) is not None
    assert not all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_nan_guard_gives_up_after_its_bound_instead_of_looping():
    model = ToyFusion(6, 3, 4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    stepper = Stepper(model, NaNFirst(100), opt, torch.device("cpu"), max_lr_drops=2,
                      log=lambda _m: None)
    stepper.step(*_step_inputs())
    stepper.step(*_step_inputs())
    with pytest.raises(DivergedError, match="2 lr drops"):
        stepper.step(*_step_inputs())


def test_amp_bf16_step_runs_on_cpu():
    model = ToyFusion(6, 3, 4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = Stepper(model, F.l1_loss, opt, torch.device("cpu"), amp=True).step(*_step_inputs())
    assert loss is not None and math.isfinite(loss)


# ---- epochs, checkpoints, resume -------------------------------------------------------------
def test_two_epochs_lower_the_loss_and_write_checkpoints(toy, tmp_path):
    summary = fit(methods.get(toy), config(tmp_path, repeat=8), toy_scenes(4), toy_scenes(2, 9),
                  **quiet())
    first, second = (row["train_loss"] for row in history_of(tmp_path / "run"))
    assert second < first
    assert summary["epochs_done"] == 2 and summary["best_epoch"] in (1, 2)
    for name in ("last.pth", "best.pth", "history.csv", "config.json"):
        assert (tmp_path / "run" / name).is_file()
    state = torch.load(tmp_path / "run" / "last.pth", weights_only=True)
    assert state["epoch"] == 2 and set(state["rng"]) == {"torch", "cuda", "numpy", "python"}
    assert state["config"]["lr"] == 5e-3 and "model" in state and "optimizer" in state


def history_of(run: Path) -> list[dict]:
    """The rows of a run's history.csv (one per epoch)."""
    return pd.read_csv(run / "history.csv").to_dict("records")


def test_best_checkpoint_is_the_epoch_with_the_lowest_validation_sam(toy, tmp_path):
    fit(methods.get(toy), config(tmp_path, epochs=3, lr=2e-2), toy_scenes(3), toy_scenes(2, 9),
        **quiet())
    history = history_of(tmp_path / "run")
    best = torch.load(tmp_path / "run" / "best.pth", weights_only=True)
    assert best["epoch"] == 1 + int(np.argmin([h["val_sam_paper"] for h in history]))
    assert best["best_sam"] == pytest.approx(min(h["val_sam_paper"] for h in history))


def test_resume_gives_the_same_weights_as_training_straight_through(toy, tmp_path):
    spec, train, val = methods.get(toy), toy_scenes(3), toy_scenes(1, 9)
    straight = Trainer(spec, config(tmp_path, "a", repeat=2), train, val, **quiet())
    straight.fit()
    first = Trainer(spec, config(tmp_path, "b", repeat=2), train, val, **quiet())
    first.fit(stop_after=1)
    torch.manual_seed(1234)  # a different global RNG state must not matter
    resumed = Trainer(spec, config(tmp_path, "c", repeat=2), train, val, **quiet())
    resumed.resume(tmp_path / "b" / "last.pth")
    resumed.fit()
    for (key, a), b in zip(straight.model.state_dict().items(),
                           resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), key
    untimed = [[{k: v for k, v in h.items() if k != "epoch_s"} for h in t.history]
               for t in (straight, resumed)]
    assert untimed[0] == untimed[1]
    assert resumed.scheduler.state_dict() == straight.scheduler.state_dict()
    untimed = [t.curve.frame().drop(columns=["train_s", "wall_s"]) for t in (straight, resumed)]
    pd.testing.assert_frame_equal(*untimed)


def test_resume_refuses_a_checkpoint_of_another_model_shape(toy, tmp_path):
    spec = methods.get(toy)
    fit(spec, config(tmp_path, epochs=1), toy_scenes(2), **quiet())
    other = TrainConfig.from_recipe(spec, bands=6, msi_bands=3, out=str(tmp_path / "x"),
                                    model_cfg={"width": 4}, device="cpu")
    with pytest.raises(ValueError, match="model_cfg"):
        fit(spec, other, toy_scenes(2), resume=tmp_path / "run" / "last.pth", **quiet())


def test_step_scheduler_halves_the_lr_every_step_size_epochs(toy, tmp_path):
    fit(methods.get(toy), config(tmp_path, epochs=3, scheduler="step", step_size=1, gamma=0.5),
        toy_scenes(2), **quiet())
    lrs = [h["lr"] for h in history_of(tmp_path / "run")]
    assert lrs == pytest.approx([5e-3, 2.5e-3, 1.25e-3])


def test_cosine_schedule_is_stepped_per_epoch(toy, tmp_path):
    fit(methods.get(toy), config(tmp_path, epochs=4), toy_scenes(2), **quiet())
    lrs = [h["lr"] for h in history_of(tmp_path / "run")]
    expected = [1e-10 + (5e-3 - 1e-10) * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert lrs == pytest.approx(expected)


# ---- learning curves and manifests -----------------------------------------------------------
def test_validation_steps_are_log_spaced_or_regular():
    assert sorted(val_steps(100, per_decade=10)) == [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32,
                                                     40, 50, 63, 79, 100]
    assert val_steps(10, every=4) == {4, 8}
    assert val_steps(10, every=5, per_decade=1) == {1, 5, 10}
    with pytest.raises(ValueError, match="per decade"):
        val_steps(10, per_decade=0)


def test_curve_has_both_conventions_at_the_scheduled_steps_and_the_last(toy, tmp_path):
    trainer = Trainer(methods.get(toy), config(tmp_path, max_steps=7, val_per_decade=2),
                      toy_scenes(3), toy_scenes(2, 9), **quiet())
    trainer.fit()
    curve = pd.read_csv(tmp_path / "run" / "curve.csv")
    assert curve.step.tolist() == [1, 3, 7]  # 10 ** (k / 2) -> 1, 3 (, 10 > 7) and the last step
    assert list(curve.columns) == list(CURVE_COLUMNS)
    assert curve[["psnr_paper", "sam_paper", "psnr_standard", "sam_standard"]].notna().all().all()
    assert (curve.psnr_paper != curve.psnr_standard).all()  # two conventions, not one twice
    assert curve.train_s.is_monotonic_increasing and (curve.wall_s >= curve.train_s).all()


def test_time_budget_stops_training_after_that_many_seconds_of_steps(toy, tmp_path):
    summary = fit(methods.get(toy), config(tmp_path, epochs=1000, max_train_s=0.2),
                  toy_scenes(2), **quiet())
    assert 1 <= summary["steps"] < 1000 and summary["train_s"] >= 0.2


def test_manifest_names_the_best_weights_with_their_sha256(toy, tmp_path):
    summary = fit(methods.get(toy), config(tmp_path, epochs=2, data={"dataset": "toy"}),
                  toy_scenes(3), toy_scenes(2, 9), **quiet())
    manifest = read_manifest(summary["manifest"])
    assert manifest["weights"] == "best.pth" and manifest["method"] == TOY
    assert manifest["sha256"] == sha256_of(tmp_path / "run" / "best.pth")
    assert manifest["validation"]["best"] == summary["best_val"]
    assert manifest["data"]["dataset"] == "toy" and manifest["budget"]["epochs"] == 2
    assert manifest["recipe"]["entry"]["loss_name"] == "l1"


@pytest.mark.skipif(not tensorboard_available(), reason="tensorboard is not installed")
def test_curve_goes_to_tensorboard_when_it_is_installed(toy, tmp_path):
    fit(methods.get(toy), config(tmp_path, epochs=1), toy_scenes(2), toy_scenes(1, 9), **quiet())
    assert list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))


# ---- the runner's step budget ----------------------------------------------------------------
def test_train_for_budget_is_deterministic_and_reports_its_budget(toy):
    spec, scenes = methods.get(toy), toy_scenes(3)
    results, weights = [], []
    for _ in range(2):
        torch.manual_seed(0)
        model = methods.build(toy, 6, 3)
        rng = torch.get_rng_state()
        results.append(train_for_budget(model, spec, scenes, steps=5, batch_size=2, crop_size=64,
                                        device=torch.device("cpu"), seed=7))
        assert torch.equal(rng, torch.get_rng_state())  # the caller's RNG is left alone
        weights.append(model.state_dict())
    a, b = results
    assert a["steps"] == 5 and a["epochs"] == pytest.approx(5 * 2 / 3)
    assert len(a["loss_history"]) == 5 and a["loss_history"] == b["loss_history"]
    assert {"steps", "epochs", "wall_s", "train_s", "final_loss", "loss_history"} <= set(a)
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_train_for_budget_trains_hssdct_with_its_own_recipe(one_thread):
    spec = methods.get("hssdct")
    model = methods.build("hssdct", 8, 3, nf=32, gc=16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = train_for_budget(model, spec, toy_scenes(2, bands=8, size=40), steps=2, batch_size=2,
                              crop_size=128, device="cpu", seed=0)
    assert report["steps"] == 2 and all(math.isfinite(v) for v in report["loss_history"])
    assert not torch.equal(before["out_conv.weight"], model.state_dict()["out_conv.weight"])


@pytest.mark.parametrize("name,options", [
    ("fusionmamba", {"dim": 8}),
    ("qrcode", {"nf": 16, "gc": 8, "window": 8, "heads": 2}),
])
def test_train_for_budget_trains_the_papers_peers_with_their_recipes(name, options, one_thread):
    spec = methods.get(name)
    model = methods.build(name, 8, 3, **options)
    scenes = toy_scenes(2, bands=8, size=32)
    if "anchor" in spec.needs:  # QRCODE-style's convex anchor: any cube of the GT's shape
        scenes = [replace(s, anchor=s.gt.flip(0)) for s in scenes]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = train_for_budget(model, spec, scenes, steps=2, batch_size=1, crop_size=32,
                              device="cpu", seed=0)
    assert report["steps"] == 2 and all(math.isfinite(v) for v in report["loss_history"])
    after = model.state_dict()
    assert sum(not torch.equal(before[k], after[k]) for k in before) > len(before) // 2


def test_train_for_budget_refuses_a_method_without_recipe():
    with pytest.raises(ValueError, match="no training recipe"):
        train_for_budget(torch.nn.Conv2d(1, 1, 1), methods.get("bicubic"), toy_scenes(1),
                         steps=1, batch_size=1, crop_size=16, device="cpu", seed=0)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fp16_amp_training_runs_and_resumes(toy, tmp_path):
    spec = methods.get(toy)
    fit(spec, config(tmp_path, device="cuda", amp=True, workers=0), toy_scenes(3),
        toy_scenes(1, 9), stop_after=1, **quiet())
    state = torch.load(tmp_path / "run" / "last.pth", weights_only=True)
    assert state["stepper"]["scaler"] is not None
    summary = fit(spec, config(tmp_path, device="cuda", amp=True, workers=0), toy_scenes(3),
                  toy_scenes(1, 9), resume=tmp_path / "run" / "last.pth", **quiet())
    assert summary["epochs_done"] == 2 and math.isfinite(summary["best_sam"])
