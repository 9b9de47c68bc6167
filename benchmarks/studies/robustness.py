"""How each method's quality holds under real degradations, one axis at a time, on the same scenes:

- misalignment: the LR-HSI shifted by 0, 1, 2, 3 LR pixels (the simulator's ``misalign_px``; the
  paper layout's ``lrhsi``, ``lrhsi1``..``lrhsi3``);
- noise: AWGN at SNR none, 40, 30, 20 dB on both inputs (the simulator's ``snr_db``; added to the
  stored inputs for data made elsewhere, ``datasets.perturb.with_noise``);
- MSI bands: 4 against 6 (Landsat-8 OLI B2-B5 against B2-B7; the layout's ``hrmsi4``/``hrmsi6``);
- PSF: methods that take the PSF are told one 25 % narrower or wider than the true one, or told
  none and estimate it (``datasets.perturb.with_told_psf``).

    python -m benchmarks.studies.robustness [--out results/studies/robustness] [--methods all]
        [--weights DIR] [--checkpoint NAME=PATH] [--reference hssdct] [--resume]
                                                                    (make study-robustness)

Every other setting stays at the base condition (aligned, no noise, 4 MSI bands, true PSF), which
is measured once and shared by the four axes. Classical methods and bicubic always run; a deep
method runs only with weights (``--checkpoint``, or ``--weights`` that fit the clean scenes of
the band count), since an untrained network's quality is not a result: without them it gets an
``n/a`` row saying so. Each scene goes through the runner's one scoring path
(``benchmarks.quality.score_scene``). Rows are written atomically after every (condition,
method), so ``--resume`` continues a stopped study; the report (``robustness_report``) follows.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from tqdm import tqdm

import datasets
import fileio
import methods
from benchmarks import provenance
from benchmarks.cli import (
    HelpFormatter,
    add_debug_arg,
    checkpoint_paths,
    method_names,
    report_error,
)
from benchmarks.quality import score_scene
from benchmarks.scenes import SceneCache, add_anchors
from benchmarks.schema import file_stem
from benchmarks.studies.robustness_report import AXES, BASE, NA, write_report
from datasets import Scene
from datasets.perturb import with_noise, with_told_psf

ROWS = "rows.csv"


@dataclass(frozen=True)
class Condition:
    """One setting of the four axes; ``key`` names it in the rows ("base", "noise=30", ...)."""

    key: str
    settings: dict[str, Any] = field(default_factory=dict)


def conditions(axes: Sequence[str]) -> list[Condition]:
    """The base condition, then each axis's other values, in the order of ``AXES``."""
    found = [Condition("base", dict(BASE))]
    for name in axes:
        axis = AXES[name]
        for value in axis.values:
            if value != BASE[axis.column]:
                found.append(Condition(f"{name}={axis.text(value)}",
                                       {**BASE, axis.column: value}))
    return found


def dataset_options(dataset: str, condition: Condition) -> tuple[dict[str, Any], bool]:
    """(options for ``datasets.get``, whether the noise has to be added to the loaded scenes).

    Raises ValueError naming the dataset when it cannot make the condition."""
    params = inspect.signature(datasets.registry.spec(dataset).factory).parameters
    s = condition.settings
    options: dict[str, Any] = {}
    if s["misalign_px"]:
        key = next((k for k in ("misalign_px", "misalignment") if k in params), None)
        if key is None:
            raise ValueError(f"dataset {dataset!r} has no misalignment option")
        options[key] = s["misalign_px"]
    if s["msi_bands"] != BASE["msi_bands"]:
        if "msi_bands" not in params:
            raise ValueError(f"dataset {dataset!r} has no msi_bands option")
        options["msi_bands"] = s["msi_bands"]
    add_noise = s["snr_db"] is not None and "snr_db" not in params
    if s["snr_db"] is not None and not add_noise:
        options["snr_db"] = s["snr_db"]
    return options, add_noise


@dataclass
class Study:
    """What the study runs on: dataset and split, methods, weights, device, seed."""

    dataset: str = "indian_pines"
    split: str = "test"
    root: str | None = None
    names: list[str] = field(default_factory=list)
    checkpoints: dict[str, Path] = field(default_factory=dict)
    weights: Path | None = None
    device: torch.device = torch.device("cpu")
    seed: int = 0
    anchors: Path = Path("anchors")  # CNMF anchor cache, one folder per condition

    def anchor_dir(self, condition: Condition) -> Path:
        return self.anchors / file_stem(condition.key)

    def scenes(self, condition: Condition) -> SceneCache:
        """The split's scenes under ``condition`` (lazy; loading errors stay per scene)."""
        options, add_noise = dataset_options(self.dataset, condition)
        if self.root is not None:
            options["root"] = self.root
        loaded = datasets.get(self.dataset, split=self.split, **options)
        psf_told = condition.settings["psf_told"]
        if not add_noise and psf_told == 1.0:
            return SceneCache(loaded)
        snr = condition.settings["snr_db"]

        def perturbed(i: int) -> Scene:
            scene = loaded[i]
            if add_noise:
                scene = with_noise(scene, snr, self.seed)
            return scene if psf_told == 1.0 else with_told_psf(scene, psf_told)

        names = getattr(loaded, "names", None) or [s.name for s in loaded]
        return SceneCache(datasets.SceneList(list(names), perturbed))


def not_run(study: Study, condition: Condition, spec: methods.MethodSpec, reason: str
            ) -> dict[str, Any]:
    """The one row of a (condition, method) that was not measured, and why."""
    return {**row_base(study, condition, spec), "status": NA, "error": reason}


def row_base(study: Study, condition: Condition, spec: methods.MethodSpec) -> dict[str, Any]:
    return {"dataset": study.dataset, "condition": condition.key, **condition.settings,
            "method": spec.name, "label": spec.label, "family": spec.family}


def deep_weights(study: Study, spec: methods.MethodSpec, clean: Scene
                 ) -> tuple[Callable[[Any], None] | None, str]:
    """(a loader that gives a built model its weights, a description), or (None, why not)."""
    from benchmarks.checkpoints import load_weights
    from benchmarks.weights import find_weights

    if spec.name in study.checkpoints:
        path = study.checkpoints[spec.name]
        return (lambda model: load_weights(spec, model, path)), f"checkpoint {path}"
    if study.weights is not None and study.weights.exists():
        found = find_weights(study.weights, spec.name, clean)
        if found is not None:
            return (lambda model: load_weights(spec, model, found.path)), str(found.path)
        return None, (f"no weights under {study.weights} fit the clean scenes "
                      f"({clean.msi_bands} MSI bands, see python -m benchmarks.weights)")
    return None, ("no weights: a deep method is measured only with --weights or --checkpoint "
                  "(an untrained network's quality is not a result)")


def method_rows(study: Study, condition: Condition, spec: methods.MethodSpec,
                scenes: SceneCache, clean: Callable[[], Scene]) -> list[dict[str, Any]]:
    """Every row of one method under one condition: per scene and convention, or one n/a row."""
    if condition.settings["psf_told"] != 1.0 and "psf" not in spec.needs:
        return [not_run(study, condition, spec, "takes no PSF")]
    first = scenes.first_loadable()
    weights_text = "none"
    loader = None
    if spec.family == "deep":
        loader, weights_text = deep_weights(study, spec, clean())
        if loader is None:
            return [not_run(study, condition, spec, weights_text)]
    model = spec.build_model(first.bands, first.msi_bands, int(first.meta.ratio))
    if loader is not None:
        loader(model)
    if hasattr(model, "to"):
        model = model.to(study.device).eval()
    if "anchor" in spec.needs:
        add_anchors(scenes, torch.device("cpu"), study.anchor_dir(condition))
    rows = []
    base = {**row_base(study, condition, spec), "weights": weights_text}
    for i, name in enumerate(scenes.names):
        result = score_scene(spec, model, lambda i=i: scenes.load(i), name, study.device)
        rows += result.rows(base)
    return rows


def run(study: Study, out: Path, axes: Sequence[str], resume: bool = False,
        reference: str = "hssdct", convention: str = "paper") -> pd.DataFrame:
    """The study into ``out`` (rows.csv, run.json, then the report); returns the rows."""
    path = out / ROWS
    if path.exists() and not resume:
        raise ValueError(f"{path} exists; pass --resume to continue it or choose another --out")
    rows: list[dict[str, Any]] = (pd.read_csv(path).to_dict("records")
                                  if resume and path.exists() else [])
    done = {(r["condition"], r["method"]) for r in rows}
    out.mkdir(parents=True, exist_ok=True)
    study.anchors = out / "anchors"
    start = time.perf_counter()
    plan = conditions(axes)
    fileio.write_json(out / "run.json", {
        "dataset": study.dataset, "split": study.split, "axes": list(axes),
        "conditions": [c.key for c in plan], "methods": study.names, "seed": study.seed,
        "device": study.device.type, "device_name": provenance.device_name(study.device),
        "git_sha": provenance.git_sha(), "versions": provenance.versions(),
        "reference": reference, "convention": convention,
        "checkpoints": {k: str(v) for k, v in study.checkpoints.items()},
        "weights": None if study.weights is None else str(study.weights)})
    clean_by_bands: dict[int, Scene] = {}

    def clean(msi_bands: int) -> Scene:
        if msi_bands not in clean_by_bands:
            c = Condition("clean", {**BASE, "msi_bands": msi_bands})
            clean_by_bands[msi_bands] = study.scenes(c).first_loadable()
        return clean_by_bands[msi_bands]

    todo = [(c, n) for c in plan for n in study.names if (c.key, n) not in done]
    bar = tqdm(todo, desc="robustness study", unit="run")
    scenes: dict[str, SceneCache] = {}
    for condition, name in bar:
        bar.set_postfix_str(f"{condition.key}: {name}")
        spec = methods.get(name)
        try:
            if condition.key not in scenes:
                scenes.clear()  # one condition's scenes in memory at a time
                scenes[condition.key] = study.scenes(condition)
            found = method_rows(study, condition, spec, scenes[condition.key],
                                lambda c=condition: clean(c.settings["msi_bands"]))
        except Exception as exc:  # noqa: BLE001 - the condition's row says what happened
            found = [{**not_run(study, condition, spec, ""), "status": "error",
                      "error": f"{type(exc).__name__}: {exc}"[:1000]}]
        rows += found
        fileio.write_csv(path, pd.DataFrame(rows))
        failed = [r for r in found if r["status"] == "error"]
        if failed:
            tqdm.write(f"[{name}] {condition.key}: {failed[0]['error'][:200]}")
    frame = pd.DataFrame(rows)
    write_report(frame, out, axes=axes, reference=reference, convention=convention,
                 seconds=time.perf_counter() - start, dataset=f"{study.dataset}/{study.split}")
    return frame


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.studies.robustness", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    p.add_argument("--out", type=Path, default=Path("results/studies/robustness"),
                   help="study directory")
    p.add_argument("--methods", default="all", help="comma-separated registry names, or all")
    p.add_argument("--axes", default=",".join(AXES),
                   help=f"comma-separated axes of {', '.join(AXES)}")
    p.add_argument("--dataset", default="indian_pines", help="dataset name (python -m datasets list)")
    p.add_argument("--split", default="test", help="split scored")
    p.add_argument("--root", default=None, help="dataset root (for --dataset paper)")
    p.add_argument("--checkpoint", action="append", default=[], metavar="NAME=PATH",
                   help="weights for a deep method (repeatable)")
    p.add_argument("--weights", type=Path, default=None,
                   help="trained weights with manifests (benchmarks.weights)")
    p.add_argument("--reference", default="hssdct",
                   help="method the paired differences are to (falls back to the best measured "
                        "method by mean PSNR when it has no results, and the report says so)")
    p.add_argument("--convention", choices=("paper", "standard"), default="paper",
                   help="metric convention of the tables and figure")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated noise")
    p.add_argument("--resume", action="store_true", help="continue the study in --out")
    add_debug_arg(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        names = method_names(args.methods)
        axes = [a.strip() for a in args.axes.split(",") if a.strip()]
        unknown = [a for a in axes if a not in AXES]
        if unknown:
            raise ValueError(f"unknown axis {', '.join(unknown)}; axes: {', '.join(AXES)}")
        study = Study(args.dataset, args.split, args.root, names, checkpoint_paths(args.checkpoint, names),
                      args.weights, provenance.resolve_device(args.device), args.seed)
        frame = run(study, args.out, axes, args.resume, args.reference, args.convention)
    except Exception as exc:  # noqa: BLE001 - one line for the user, traceback with --debug
        return report_error(exc, args.debug)
    print(f"{len(frame)} rows; report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
