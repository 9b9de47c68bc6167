"""Trained weights found by their manifests (``benchmarks.training.manifest``): which weights under a
directory fit a run's scenes, and what a directory holds.

    python -m benchmarks.weights list runs/            # every manifest under runs/, as a table
    python -m benchmarks.run --weights runs/ ...       # reuse matching weights instead of training

Weights fit a run when the method, the band counts, the ratio, the model options and the
degradation model (``datasets.scene.degradation_model``: PSF, SRF, SNR, misalignment, ...) all
agree, and the file's SHA-256 is the manifest's. Among several that fit, the newest is used.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.cli import HelpFormatter, add_debug_arg, report_error
from benchmarks.training.manifest import MANIFEST, read_manifest, sha256_of
from datasets import Scene
from datasets.scene import degradation_model


@dataclass(frozen=True)
class FoundWeights:
    """A weights file and its manifest."""

    path: Path
    manifest: dict[str, Any]
    manifest_path: Path

    def budget_text(self) -> str:
        """The rows' ``train_budget``: steps, training time and device, from the manifest."""
        b = self.manifest["budget"]
        data = self.manifest["data"]
        return (f"trained: {b['steps']} steps ({b['train_s'] / 60:.1f} min of training) on "
                f"{b['device_name']}, {data.get('dataset', '?')}/{data.get('split', '?')}; "
                f"manifest {self.manifest_path}")


def manifests(root: str | Path) -> list[Path]:
    """Every ``manifest.json`` under ``root`` (``root`` itself may be one), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ValueError(f"--weights {root}: no such directory")
    return sorted(root.rglob(MANIFEST))


def _short(value: Any, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def mismatches(manifest: dict[str, Any], scene: Scene, model_cfg: dict[str, Any] | None = None
               ) -> list[str]:
    """How the weights of ``manifest`` differ from what a model for ``scene`` needs (empty: they
    fit): band counts, ratio, model options and the degradation model, one phrase each."""
    build = manifest["build"]
    found = []
    wanted = {"bands": scene.bands, "msi_bands": scene.msi_bands, "ratio": int(scene.meta.ratio),
              "model_cfg": model_cfg or {}}
    for key, value in wanted.items():
        if build.get(key) != value:
            found.append(f"{key}: weights {_short(build.get(key))}, scenes {_short(value)}")
    theirs = manifest["data"].get("degradation", {})
    ours = degradation_model(scene.meta.degradation)
    for key in sorted(set(theirs) | set(ours)):
        if theirs.get(key) != ours.get(key):
            found.append(f"degradation {key}: weights {_short(theirs.get(key))}, "
                         f"scenes {_short(ours.get(key))}")
    return found


def find_weights(root: str | Path, method: str, scene: Scene,
                 model_cfg: dict[str, Any] | None = None) -> FoundWeights | None:
    """The newest weights of ``method`` under ``root`` that fit ``scene``.

    None when ``root`` holds no manifest of ``method``. ValueError when it holds some but none
    fits (each one's differences named) or an unreadable manifest and none that fits, or when the
    fitting file's SHA-256 is not the manifest's.
    """
    candidates, refused = [], []
    for path in manifests(root):
        try:
            manifest = read_manifest(path)
        except ValueError as err:  # whose it is cannot be told: named if nothing else fits
            refused.append(str(err))
            continue
        if manifest["method"] != method:
            continue
        problems = mismatches(manifest, scene, model_cfg)
        if problems:
            refused.append(f"{path}: " + "; ".join(problems))
        else:
            candidates.append((manifest.get("created", ""), path, manifest))
    if not candidates:
        if refused:
            raise ValueError(f"--weights {root}: no {method} weights fit these scenes; "
                             + " | ".join(refused))
        return None
    _, path, manifest = max(candidates, key=lambda c: c[0])
    weights = path.parent / manifest["weights"]
    if not weights.is_file():
        raise ValueError(f"weights manifest {path}: its file {weights} is missing")
    digest = sha256_of(weights)
    if digest != manifest["sha256"]:
        raise ValueError(f"{weights}: SHA-256 {digest[:12]}... is not the {manifest['sha256'][:12]}"
                         f"... of its manifest {path}; the file changed after training")
    return FoundWeights(weights, manifest, path)


def listing(root: str | Path) -> pd.DataFrame:
    """One row per manifest under ``root``: method, data, build, budget, best validation."""
    rows = []
    for path in manifests(root):
        try:
            m = read_manifest(path)
        except ValueError as err:
            rows.append({"manifest": str(path), "method": "?", "problem": str(err)})
            continue
        best = m.get("validation", {}).get("best", {})
        b, data, build = m["budget"], m["data"], m["build"]
        weights = path.parent / m["weights"]
        rows.append({
            "method": m["method"],
            "data": f"{data.get('dataset', '?')}/{data.get('split', '?')}",
            "bands/msi/ratio": f"{build['bands']}/{build['msi_bands']}/{build['ratio']}",
            "steps": b["steps"], "train_min": round(b["train_s"] / 60, 1),
            "device": b["device_name"],
            "best PSNR (dB, paper)": round(best.get("psnr_paper", float("nan")), 2),
            "best SAM (deg, paper)": round(best.get("sam_paper", float("nan")), 2),
            "created": m.get("created", ""),
            "weights": str(weights),
            "problem": "" if weights.is_file() else "weights file missing",
        })
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.weights", description=__doc__,
                                formatter_class=HelpFormatter, allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="every manifest under DIR, as a table")
    ls.add_argument("dir", type=Path)
    add_debug_arg(ls)
    args = p.parse_args(argv)
    try:
        table = listing(args.dir)
    except Exception as exc:  # noqa: BLE001 - one line, the traceback with --debug
        return report_error(exc, args.debug)
    if table.empty:
        print(f"no {MANIFEST} under {args.dir}")
        return 0
    print(table.to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
