"""``hssdct-train``: the authors' flags, mapped onto the shared trainer."""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

import methods
from benchmarks.hssdct_train import (
    AUTHORS_FLAGS,
    build,
    check,
    main,
    notices,
    parse_args,
    parser,
    scheduler_of,
    training_spec,
)
from benchmarks.provenance import resolve_device
from benchmarks.training import launch
from datasets.layout import LRHSI_KEYS, read_list
from tests.toys import write_paper_layout

REPO = Path(__file__).resolve().parents[1]
# A tiny budget: 8 bands, 40 px images (LR 10 px, HSSDCT's minimum is 9), a narrow model, CPU.
TINY = ["--bands", "8", "--batch_size", "2", "--crop_size", "40", "--image_size", "40",
        "--nf", "32", "--gc", "16", "--epochs", "1", "--device", "cpu", "--workers", "0"]


def tiny_layout(root: Path, misaligned: bool = False) -> Path:
    write_paper_layout(root, {"train": 2, "val": 1}, bands=8, size=40, misaligned=misaligned)
    return root


def mark_keys(root: Path) -> None:
    """Give every entry LR-HSI keys that name themselves: key k holds (k + 1) / 8 everywhere."""
    for name in ("train", "val"):
        for entry in read_list(str(root / f"{name}.txt"), str(root)):
            path = root / entry / "lrhsi.npz"
            with np.load(path) as stored:
                shape = stored["lrhsi"].shape
            np.savez(path, **{key: np.full(shape, (k + 1) / 8, np.float32)
                              for k, key in enumerate(LRHSI_KEYS)})


def key_of(lr: torch.Tensor, domain_pm1: bool = True) -> str:
    """The LR-HSI key a tensor was read from (see ``mark_keys``)."""
    value = float(lr.flatten()[0]) / 2 + 0.5 if domain_pm1 else float(lr.flatten()[0])
    assert torch.allclose(lr, lr.flatten()[0].expand_as(lr))
    return LRHSI_KEYS[round(value * 8) - 1]


# ---- flags -----------------------------------------------------------------------------------
def test_every_flag_of_the_released_train_py_is_accepted():
    options = parser()._option_string_actions
    assert len(AUTHORS_FLAGS) == 36
    assert [f for f in AUTHORS_FLAGS if f"--{f}" not in options] == []


def test_defaults_are_the_released_train_py_defaults():
    a = parse_args([])
    assert (a.batch_size, a.epochs, a.lr, a.lr_scheduler, a.msi_bands, a.bands, a.crop_size,
            a.snr, a.nf, a.gc, a.joint_loss, a.network_mode) == (
        6, 1000, 5.5e-5, "cosine", 4, 172, 128, 35.0, 96, 32, 1, 1)
    assert (a.SEED, a.resume_ind, a.resume_ckpt, a.step_size, a.workers, a.eval_step,
            a.finetuning_step, a.weight_decay, a.image_size, a.mis_pix, a.mixed_align_opt,
            a.num_base_chs, a.num_blocks, a.num_agg_feat, a.groups, a.out_nc, a.DEBUG,
            a.gpus) == (1029, 0, "", 200, 4, 1, 200, 0.0, 256, 0, 0, 172, 6, 43, 1, 172, False, 1)
    assert a.hsi_bands is None  # = --bands, the released 172 at the released --bands
    # kept from the suite: the released ones name the authors' machine and need CUDA
    assert (a.root, a.prefix, a.device) == ("./data/", "HSSDCT", "auto")


def test_seed_is_an_alias_of_SEED():
    assert parse_args(["--seed", "3"]).SEED == 3 == parse_args(["--SEED", "3"]).SEED


@pytest.mark.parametrize(("text", "value"), [("False", False), ("false", False), ("0", False),
                                             ("no", False), ("True", True), ("1", True),
                                             ("yes", True)])
def test_DEBUG_reads_true_and_false_unlike_argparse_bool(text, value):
    assert parse_args(["--DEBUG", text]).DEBUG is value


def test_DEBUG_refuses_other_text(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--DEBUG", "maybe"])
    assert "true/false" in capsys.readouterr().err


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:0", "cuda:3"])
def test_device_takes_cuda_with_an_index(device):
    assert parse_args(["--device", device]).device == device


def test_device_refuses_other_names(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--device", "gpu0"])
    assert "cuda:N" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_trainer_device_cuda_0_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="--device cuda:0 was asked for"):
        resolve_device("cuda:0")


def test_lr_scheduler_other_than_cosine_is_step_as_released():
    assert [scheduler_of(s) for s in ("cosine", "step", "exp", "")] == [
        "cosine", "step", "step", "step"]


@pytest.mark.parametrize("mode", ["0", "2"])
def test_network_modes_other_than_1_stop_with_a_clear_error(mode, capsys):
    assert main(["--network_mode", mode]) == 2
    assert "only mode 1" in capsys.readouterr().err


def test_hsi_bands_below_bands_is_an_error_equal_or_above_is_not():
    with pytest.raises(ValueError, match="--hsi_bands 30 is less than --bands 172.*cannot run"):
        check(parse_args(["--hsi_bands", "30"]))
    check(parse_args(["--hsi_bands", "172"]))
    check(parse_args(["--hsi_bands", "172", "--bands", "8"]))


def test_eval_step_below_1_is_an_error():
    with pytest.raises(ValueError, match="--eval_step must be >= 1"):
        check(parse_args(["--eval_step", "0"]))


# ---- notices ---------------------------------------------------------------------------------
def test_flags_that_change_nothing_print_one_note_each(tmp_path, capsys):
    given = {"num_base_chs": "8", "num_blocks": "2", "num_agg_feat": "2", "groups": "4",
             "out_nc": "8", "finetuning_step": "5", "gpus": "2", "lr_scheduler": "exp",
             "hsi_bands": "200"}
    argv = ["--root", str(tmp_path / "missing")]
    for flag, value in given.items():
        argv += [f"--{flag}", value]
    assert main(argv) == 2  # the notes come first, then the missing data stops it
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    notes = {line.split()[1]: line for line in lines}
    assert len(lines) == len(notes) and sorted(notes) == sorted(f"--{flag}" for flag in given)
    assert "hssdct-train --nproc-per-node 2" in notes["--gpus"]
    assert "no fine-tuning phase" in notes["--finetuning_step"]
    assert "StepLR(step_size 200, gamma 0.1)" in notes["--lr_scheduler"]
    assert "all 172 LR-HSI bands are used" in notes["--hsi_bands"]
    assert "groups=1" in notes["--groups"] and "never reads it" in notes["--num_blocks"]


def test_flags_left_at_their_defaults_print_no_note():
    assert notices(parse_args([])) == []
    assert notices(parse_args(["--num_blocks", "6"])) != []  # given, even at the default


def test_gpus_under_ddp_prints_no_launch_hint():
    assert notices(parse_args(["--gpus", "2"]), world_size=2) == []


def test_nproc_per_node_launches_the_same_command_in_n_processes(monkeypatch):
    calls = []
    monkeypatch.delenv(launch.ERROR_FILE, raising=False)
    monkeypatch.setattr(launch, "launch", lambda n, cmd: calls.append((n, cmd)) or (0, None))
    assert main(["--nproc-per-node", "2", "--root", "R", "--epochs", "1"]) == 0
    assert calls == [(2, [sys.executable, "-m", "benchmarks.hssdct_train", "--root", "R",
                          "--epochs", "1"])]


# ---- what the data layer is given ------------------------------------------------------------
def test_joint_loss_0_trains_with_smooth_l1_alone():
    pred, target = torch.zeros(1, 2, 4, 4), torch.full((1, 2, 4, 4), 3.0)
    assert float(training_spec(0).recipe.loss_fn(pred, target)) == pytest.approx(2.5)
    assert training_spec(1).recipe is methods.get("hssdct").recipe


@pytest.mark.usefixtures("one_thread")
def test_mis_pix_2_trains_and_validates_on_lrhsi2(tmp_path):
    root = tiny_layout(tmp_path / "data", misaligned=True)
    mark_keys(root)
    trainer = build(parse_args(["--root", str(root), *TINY, "--mis_pix", "2",
                                "--out", str(tmp_path / "run")]))
    train_keys = set(drawn_keys(trainer, epochs=3))
    val_keys = {key_of(scene.lrhsi, domain_pm1=False) for scene in trainer.val_scenes}
    assert train_keys == val_keys == {"lrhsi2"}
    assert trainer.val_scenes[0].meta.degradation["misalign_px"] == 2
    assert trainer.config.data["lrhsi"] == "lrhsi2"


def drawn_keys(trainer, epochs: int = 8) -> list[str]:
    """The LR-HSI key of every training sample of the first ``epochs`` epochs, in order."""
    ds = trainer.dataset
    keys = []
    for epoch in range(epochs):
        ds.set_epoch(epoch)
        keys += [key_of(ds[i]["lr"]) for i in range(len(ds))]
    return keys


@pytest.mark.usefixtures("one_thread")
def test_mixed_align_opt_draws_the_key_per_sample_reproducibly(tmp_path):
    root = tiny_layout(tmp_path / "data", misaligned=True)
    mark_keys(root)
    argv = ["--root", str(root), *TINY, "--mixed_align_opt", "1", "--mis_pix", "2"]
    trainer = build(parse_args([*argv, "--out", str(tmp_path / "a")]))
    keys = drawn_keys(trainer)
    assert len(set(keys)) >= 3 and set(keys) <= set(LRHSI_KEYS)  # 16 draws over 4 keys
    # the same seed gives the same draws; another seed others
    assert drawn_keys(build(parse_args([*argv, "--out", str(tmp_path / "b")]))) == keys
    other = build(parse_args([*argv, "--SEED", "5", "--out", str(tmp_path / "c")]))
    assert drawn_keys(other) != keys
    # worker processes draw the same keys as the main process
    trainer.dataset.set_epoch(3)
    in_workers = [key_of(b["lr"][0]) for b in DataLoader(trainer.dataset, num_workers=2)]
    assert in_workers == keys[3 * 2:4 * 2]
    # validation stays on lrhsi{mis_pix}
    assert {key_of(s.lrhsi, domain_pm1=False) for s in trainer.val_scenes} == {"lrhsi2"}
    assert trainer.config.data["lrhsi"].startswith("mixed")


# ---- runs ------------------------------------------------------------------------------------
def readme_command() -> list[str]:
    """The hssdct-train command of README.md's command table."""
    rows = [line for line in (REPO / "README.md").read_text().splitlines()
            if line.startswith("| `hssdct-train ")]
    assert len(rows) == 1
    return shlex.split(re.match(r"\| `([^`]*)`", rows[0]).group(1))


@pytest.mark.usefixtures("one_thread")
def test_readme_command_trains_at_a_tiny_budget_and_resume_ind_loads_best(tmp_path, monkeypatch):
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hssdct-train"] == "benchmarks.hssdct_train:main"
    command = readme_command()
    assert command[0] == "hssdct-train"
    root = tiny_layout(tmp_path / "data")
    argv = [str(root) if arg == "R" else arg for arg in command[1:]]
    monkeypatch.chdir(tmp_path)  # the default output: runs/HSSDCT under the working directory
    assert main([*argv, *TINY]) == 0
    history = pd.read_csv(tmp_path / "runs" / "HSSDCT" / "history.csv")
    assert history["epoch"].tolist() == [1] and history["val_sam_paper"].notna().all()
    # --resume_ind without --resume_ckpt continues from the run's best.pth, as the released code
    assert main([*argv, *TINY, "--epochs", "2", "--resume_ind", "1"]) == 0
    assert pd.read_csv(tmp_path / "runs" / "HSSDCT" / "history.csv")["epoch"].tolist() == [1, 2]


def test_resume_ind_without_checkpoint_or_best_is_a_clear_error(tmp_path, capsys):
    root = tiny_layout(tmp_path / "data")
    assert main(["--root", str(root), *TINY, "--resume_ind", "1",
                 "--out", str(tmp_path / "run")]) == 2
    assert "best.pth, which does not exist" in capsys.readouterr().err


@pytest.mark.usefixtures("one_thread")
def test_every_flag_of_the_released_train_py_runs_at_a_tiny_budget(tmp_path, capsys):
    from hssdct.official import to_official

    root = tiny_layout(tmp_path / "data", misaligned=True)
    torch.save(to_official(methods.build("hssdct", 8, 4, nf=32, gc=16)), tmp_path / "w.pth")
    values = {
        "SEED": "7", "batch_size": "2", "epochs": "3", "lr_scheduler": "step", "resume_ind": "1",
        "resume_ckpt": str(tmp_path / "w.pth"), "snr": "30", "lr": "1e-4", "step_size": "1",
        "workers": "1", "eval_step": "3", "finetuning_step": "5", "weight_decay": "1e-4",
        "crop_size": "40", "image_size": "40", "bands": "8", "msi_bands": "4", "hsi_bands": "8",
        "mis_pix": "1", "mixed_align_opt": "1", "joint_loss": "0", "gc": "16",
        "network_mode": "1", "num_base_chs": "8", "num_blocks": "2", "num_agg_feat": "2",
        "groups": "1", "out_nc": "8", "nf": "32", "root": str(root), "val_file": "val.txt",
        "train_file": "train.txt", "prefix": "every_flag", "device": "cpu", "DEBUG": "False",
        "gpus": "2"}
    assert sorted(values) == sorted(AUTHORS_FLAGS)
    argv = [arg for flag, value in values.items() for arg in (f"--{flag}", value)]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 0
    out = tmp_path / "run"
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [2, 3]  # from --resume_ind 1 to --epochs 3
    # StepLR(step_size 1, gamma 0.1) advanced one epoch: 1e-5 in epoch 2, 1e-6 in epoch 3
    assert history["lr"].tolist() == pytest.approx([1e-5, 1e-6], rel=1e-9)
    # --eval_step 3: no validation after epoch 2, one after epoch 3
    assert history["val_sam_paper"].isna().tolist() == [True, False]
    cfg = torch.load(out / "last.pth", weights_only=True)["config"]
    assert (cfg["seed"], cfg["weight_decay"], cfg["scheduler"], cfg["step_size"], cfg["gamma"],
            cfg["workers"], cfg["val_every"], cfg["snr_db"], cfg["model_cfg"]) == (
        7, 1e-4, "step", 1, 0.1, 1, 3, 30.0, {"nf": 32, "gc": 16})
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["lrhsi"] == "mixed lrhsi, lrhsi1, lrhsi2, lrhsi3 (validation lrhsi1)"
    assert manifest["data"]["degradation"]["misalign_px"] == 1
    err = capsys.readouterr().err
    assert {line.split()[1] for line in err.splitlines() if line.startswith("note: ")} == {
        "--num_base_chs", "--num_blocks", "--num_agg_feat", "--groups", "--out_nc",
        "--finetuning_step", "--gpus"}


@pytest.mark.usefixtures("one_thread")
def test_authors_flags_train_a_tiny_hssdct_and_resume_from_official_weights(tmp_path):
    from hssdct.official import to_official

    root = tiny_layout(tmp_path / "data")
    flags = ["--root", str(root), "--train_file", "train.txt", "--val_file", "val.txt", *TINY]
    assert main([*flags, "--prefix", "a", "--out", str(tmp_path / "a")]) == 0
    cfg = torch.load(tmp_path / "a" / "last.pth", weights_only=True)["config"]
    assert cfg["model_cfg"] == {"nf": 32, "gc": 16} and cfg["lr"] == 5.5e-5
    assert cfg["batch_size"] == 2 and cfg["snr_db"] == 35.0 and cfg["seed"] == 1029

    model = methods.build("hssdct", 8, 4, nf=32, gc=16)
    torch.save(to_official(model), tmp_path / "official.pth")
    assert main([*flags, "--epochs", "2", "--out", str(tmp_path / "b"), "--resume_ckpt",
                 str(tmp_path / "official.pth"), "--resume_ind", "1"]) == 0
    history = pd.read_csv(tmp_path / "b" / "history.csv")
    assert history["epoch"].tolist() == [2]
    # the cosine schedule was advanced to epoch 2 of 2: lr = eta + (5.5e-5 - eta) / 2
    assert history["lr"].iloc[0] == pytest.approx(1e-10 + (5.5e-5 - 1e-10) / 2, rel=1e-9)


def test_help_names_every_released_flag(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert all(f"--{flag}" in text for flag in AUTHORS_FLAGS)

