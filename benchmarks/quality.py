"""Scoring: a scene through a method's one fuse path (``MethodSpec.fuse``), then the metrics.

``score_scene`` is what ``benchmarks.run`` and ``benchmarks.evaluate`` call for every scene: any
failure (loading the scene, fusing, scoring) becomes that scene's error, never an exception.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import metrics
from datasets import Scene, to_original
from methods import MethodSpec

CONVENTIONS = ("standard", "paper")


def score(fused: torch.Tensor, scene: Scene,
          conventions: tuple[str, ...] = CONVENTIONS) -> dict[str, dict[str, float]]:
    """Metrics per convention for a fused (C, H, W) cube: ``standard`` on the Scene's [0, 1]
    units, ``paper`` on the data's original units (value * scale + offset)."""
    ratio = int(scene.meta.ratio)
    found = {}
    for convention in conventions:
        pred, target = fused, scene.gt
        if convention == "paper":
            pred, target = to_original(fused, scene.meta), to_original(scene.gt, scene.meta)
        found[convention] = metrics.compute_all(pred[None], target[None], convention=convention,
                                                ratio=ratio)[0]
    return found


def per_band_psnr(fused: torch.Tensor, scene: Scene) -> np.ndarray:
    """(C,) PSNR per band, ``standard`` convention, in dB."""
    return metrics.psnr_per_band(fused[None], scene.gt[None], convention="standard")[0].numpy()


@dataclass
class SceneScore:
    """One scene's outcome: the scores per convention, or the error that stopped it."""

    name: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    fused: torch.Tensor | None = None
    fuse_s: float = float("nan")
    error: str | None = None
    trace: str = ""
    scene: Scene | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def rows(self, base: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per convention, in ``CONVENTIONS`` order, on top of ``base``."""
        if not self.ok:
            return [{**base, "scene": self.name, "convention": c, "status": "error",
                     "error": self.error[:1000]} for c in CONVENTIONS]
        return [{**base, "scene": self.name, **self.scores[c], "convention": c, "status": "ok",
                 "fuse_s": self.fuse_s} for c in CONVENTIONS]


def score_scene(spec: MethodSpec, model: Any, scene: Scene | Callable[[], Scene], name: str,
                device: torch.device | str = "cpu") -> SceneScore:
    """Load (when ``scene`` is a loader), fuse and score one scene under both conventions."""
    try:
        loaded = scene() if callable(scene) else scene
        t0 = time.perf_counter()
        fused = spec.fuse(model, loaded, device)
        fuse_s = time.perf_counter() - t0
        return SceneScore(loaded.name, score(fused, loaded), fused, fuse_s, scene=loaded)
    except Exception as exc:  # noqa: BLE001 - the scene's error row says what happened
        return SceneScore(name, error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
