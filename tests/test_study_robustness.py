"""The robustness study (benchmarks.studies.robustness) and the scene perturbations it uses
(datasets.perturb), on two tiny simulated scenes."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import datasets
import methods
from benchmarks.studies import robustness
from benchmarks.studies.robustness_report import AXES, BASE
from datasets.perturb import true_psf_sigma, with_noise, with_told_psf
from datasets.simulate import simulate_scene
from tests.toys import TOY, build_toy, toy_options, toy_scenes

pytestmark = pytest.mark.usefixtures("one_thread")

WAVELENGTHS = np.linspace(430.0, 2300.0, 12)


def tiny(split: str = "test", misalign_px: int = 0, snr_db: float | None = None,
         msi_bands: int = 4) -> list:
    """Two 12-band scenes, HR 32 x 32, through the simulator with the study's options."""
    g = torch.Generator().manual_seed(3)
    out = []
    for i in range(2):
        gt = F.avg_pool2d(torch.rand(1, 12, 36, 36, generator=g), 5, 1)[0]
        out.append(simulate_scene(gt.numpy(), WAVELENGTHS, np.full(12, 40.0), ratio=4,
                                  msi_bands=msi_bands, snr_db=snr_db, misalign_px=misalign_px,
                                  seed=i, name=f"tiny/{split}{i}"))
    return out


@pytest.fixture
def tiny_dataset():
    with datasets.registered_dataset("zz_tiny_robust", tiny, description="test", splits=("test",)):
        yield "zz_tiny_robust"


def test_conditions_share_one_base_and_cover_every_axis_value():
    found = robustness.conditions(list(AXES))
    keys = [c.key for c in found]
    assert keys == ["base", "misalignment=1", "misalignment=2", "misalignment=3", "noise=40",
                    "noise=30", "noise=20", "msi_bands=6", "psf=0.75", "psf=1.25",
                    "psf=estimated"]
    assert found[0].settings == BASE
    assert found[5].settings == {**BASE, "snr_db": 30.0}
    assert found[-1].settings["psf_told"] is None


def test_dataset_options_follow_what_each_dataset_takes():
    noisy = robustness.Condition("noise=30", {**BASE, "snr_db": 30.0})
    shifted = robustness.Condition("misalignment=2", {**BASE, "misalign_px": 2})
    assert robustness.dataset_options("indian_pines", noisy) == ({"snr_db": 30.0}, False)
    assert robustness.dataset_options("indian_pines", shifted) == ({"misalign_px": 2}, False)
    # The paper layout stores misaligned LR-HSIs (lrhsi1..3) and no noise option: noise is added.
    assert robustness.dataset_options("paper", shifted) == ({"misalignment": 2}, False)
    assert robustness.dataset_options("paper", noisy) == ({}, True)


def test_with_noise_reaches_the_snr_on_both_inputs_and_keeps_the_truth():
    scene = tiny()[0]
    noisy = with_noise(scene, 20.0, seed=1)
    for clean, dirty in ((scene.lrhsi, noisy.lrhsi), (scene.hrmsi, noisy.hrmsi)):
        snr = 10 * math.log10(float(clean.double().pow(2).mean())
                              / float((dirty - clean).double().pow(2).mean()))
        assert snr == pytest.approx(20.0, abs=0.7)
    assert torch.equal(noisy.gt, scene.gt)
    assert noisy.meta.degradation["added_noise"]["snr_db"] == 20.0
    assert torch.equal(with_noise(scene, 20.0, seed=1).lrhsi, noisy.lrhsi)
    assert not torch.equal(with_noise(scene, 20.0, seed=2).lrhsi, noisy.lrhsi)


def test_told_psf_is_the_true_gaussian_scaled_or_none():
    scene = tiny()[0]
    sigma = true_psf_sigma(scene)
    wide = with_told_psf(scene, 1.25)
    assert wide.meta.degradation["psf_told"]["sigma_hr_px"] == pytest.approx(1.25 * sigma)
    k = wide.meta.psf.shape[0]
    assert k % 2 == 0 and k >= 6 * 1.25 * sigma and wide.meta.psf.sum() == pytest.approx(1.0)
    u = np.arange(k) - (k - 1) / 2  # the kernel's own second moment gives its sigma back
    assert math.sqrt((wide.meta.psf.sum(0) * u**2).sum()) == pytest.approx(1.25 * sigma, rel=0.02)
    assert torch.equal(wide.lrhsi, scene.lrhsi)
    assert with_told_psf(scene, None).meta.psf is None
    with pytest.raises(ValueError, match="records no Gaussian PSF"):
        with_told_psf(toy_scenes(1)[0], 0.75)


def _study(tmp_path, dataset, names, checkpoints=None):
    study = robustness.Study(dataset, "test", None, names, checkpoints or {})
    return robustness.run(study, tmp_path / "study", list(AXES))


def test_study_rows_tables_and_figure(tmp_path, tiny_dataset):
    with methods.registered(TOY, build_toy, **toy_options()):
        rows = _study(tmp_path, tiny_dataset, ["bicubic", "gsa", "sfim", TOY])
    out = tmp_path / "study"
    ok = rows[rows["status"] == "ok"]
    # Every condition scored both scenes under both conventions for bicubic and GSA ...
    for name, n_conditions in (("gsa", 11), ("bicubic", 8)):
        assert len(ok[ok["method"] == name]) == n_conditions * 2 * 2
    # ... bicubic was told no PSF, and the deep toy without weights was not run at all.
    assert set(rows.loc[(rows["method"] == "bicubic") & (rows["status"] == "skipped"),
                        "error"]) == {"takes no PSF"}
    toy_rows = rows[rows["method"] == TOY]
    assert (toy_rows["status"] == "skipped").all()
    told_psf = toy_rows["condition"].str.startswith("psf=")
    assert toy_rows.loc[~told_psf, "error"].str.contains("no weights").all()
    assert (toy_rows.loc[told_psf, "error"] == "takes no PSF").all()
    # The degradations reach the methods: GSA loses quality with misalignment and noise.
    paper = ok[ok["convention"] == "paper"]
    gsa = paper[paper["method"] == "gsa"].groupby("condition")["psnr"].mean()
    assert gsa["base"] > gsa["misalignment=3"] and gsa["base"] > gsa["noise=20"]
    report = (out / "report.md").read_text()
    for axis in AXES.values():
        assert f"**{axis.title}: PSNR (dB)" in report and f"**{axis.title}: SAM (deg)" in report
    assert "differences are to" in report and "| GSA " in report and "reference" in report
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["axis"]) == set(AXES)
    assert (out / "robustness.png").stat().st_size > 10_000


def test_deep_method_runs_with_a_checkpoint_and_a_band_mismatch_is_an_error_row(tmp_path,
                                                                                 tiny_dataset):
    ckpt = tmp_path / "toy.pt"
    torch.save(build_toy(12, 4, 4).state_dict(), ckpt)
    with methods.registered(TOY, build_toy, **toy_options()):
        study = robustness.Study(tiny_dataset, "test", None, [TOY], {TOY: ckpt})
        rows = robustness.run(study, tmp_path / "study", ["misalignment", "msi_bands"])
        resumed = robustness.run(study, tmp_path / "study", ["misalignment", "msi_bands"],
                                 resume=True)
    ok = rows[rows["status"] == "ok"]
    assert set(ok["condition"]) == {"base", "misalignment=1", "misalignment=2", "misalignment=3"}
    assert ok["weights"].str.contains("checkpoint").all()
    six = rows[rows["condition"] == "msi_bands=6"]
    assert list(six["status"]) == ["error"] and "does not fit" in six["error"].iloc[0]
    assert len(resumed) == len(rows)  # nothing measured twice
    with pytest.raises(ValueError, match="--resume"):
        robustness.run(study, tmp_path / "study", ["misalignment"])


def test_cli_rejects_an_unknown_axis(capsys):
    assert robustness.main(["--axes", "misalignment,blur"]) == 2
    assert "unknown axis blur" in capsys.readouterr().err


def test_study_on_the_paper_layout_reads_the_misaligned_keys_and_adds_noise(tmp_path):
    from tests.toys import write_paper_layout

    lists = write_paper_layout(tmp_path / "data", {"test": 2}, misaligned=True)
    study = robustness.Study("paper", "test", str(tmp_path / "data"), ["bicubic"])
    rows = robustness.run(study, tmp_path / "study", ["misalignment", "noise", "psf"])
    ok = rows[(rows["status"] == "ok") & (rows["convention"] == "standard")]
    psnr = ok.groupby("condition")["psnr"].mean()
    # lrhsi3 is the LR-HSI rolled by 3 px, and noise is added to the stored inputs
    assert psnr["base"] > psnr["misalignment=3"] and psnr["base"] > psnr["noise=20"]
    assert lists["test"].exists() and ok["scene"].nunique() == 2
