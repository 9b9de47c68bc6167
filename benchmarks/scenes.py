"""The scenes of a split as a run uses them: each loaded once (``SceneCache``), with the anchor
cube that some methods need added (``add_anchors``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

import fileio
import methods
from benchmarks.schema import file_stem
from datasets import Scene


class SceneCache:
    """The scenes of one split, each loaded (or simulated) once per run and shared by every
    method; a scene that cannot be loaded keeps its error, which becomes that scene's rows."""

    def __init__(self, scenes: Sequence[Scene]) -> None:
        self.source = scenes
        names = getattr(scenes, "names", None)
        self.names: list[str] = list(names) if names is not None else [s.name for s in scenes]
        self._loaded: dict[int, Scene | Exception] = {}

    def __len__(self) -> int:
        return len(self.names)

    def load(self, i: int) -> Scene:
        if i not in self._loaded:
            try:
                self._loaded[i] = self.source[i]
            except Exception as exc:  # noqa: BLE001 - re-raised for every method that asks
                self._loaded[i] = exc
        found = self._loaded[i]
        if isinstance(found, Exception):
            raise found
        return found

    def replace(self, i: int, scene: Scene) -> None:
        """Keep ``scene`` as scene i from now on (e.g. with an anchor added)."""
        self._loaded[i] = scene

    def loadable(self) -> list[Scene]:
        """Every scene that loads, in order (the others keep their errors)."""
        found = []
        for i in range(len(self)):
            try:
                found.append(self.load(i))
            except Exception:  # noqa: BLE001 - the scene's error rows say why
                continue
        return found

    def first_loadable(self) -> Scene:
        """The first scene that loads (its band counts and ratio build the models)."""
        errors = []
        for i in range(len(self)):
            try:
                return self.load(i)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{self.names[i]}: {type(exc).__name__}: {exc}")
        raise ValueError("no scene could be loaded: " + "; ".join(errors))


def add_anchors(scenes: SceneCache, device: torch.device, cache_dir: Path) -> None:
    """Give every loadable scene without an anchor cube the suite's CNMF estimate (computed
    once per scene, cached as ``cache_dir/<scene>.npz``), for the methods that need one."""
    cnmf = methods.get("cnmf")
    for i in range(len(scenes)):
        try:
            scene = scenes.load(i)
        except Exception:  # noqa: BLE001 - the scene's error rows say why
            continue
        if scene.anchor is not None:
            continue
        cache = cache_dir / f"{file_stem(scene.name)}.npz"
        if cache.exists():
            anchor = torch.from_numpy(np.load(cache)["anchor"])
        else:
            model = cnmf.build_model(scene.bands, scene.msi_bands, int(scene.meta.ratio))
            anchor = cnmf.fuse(model, scene, torch.device("cpu"))
            fileio.write_npz(cache, anchor=anchor.numpy())
        scenes.replace(i, replace(scene, anchor=anchor))
