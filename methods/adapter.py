"""The adapter of one registry entry: everything the suite needs to run a method, in one place.

A method's file declares its adapter with ``@register(...)`` (see ``methods/registry.py``). The
adapter says

- how the method is built (``build(bands, msi_bands, ratio, **cfg)``; the builder's and its
  config dataclass's defaults are the method's) and which configuration a built model has
  (``config_of``, recorded in every result row);
- its value domain (``unit``: the Scene's [0, 1] values; ``pm1``: the authors' (x - 0.5) * 2) and
  the mapping into and out of it (``to_domain`` / ``from_domain``);
- the side inputs it takes from a Scene (``needs``: ``srf`` (c, C), ``psf`` (k, k), ``anchor``
  (C, H, W)) and how they are passed (``side_inputs``);
- how its weights load (``load_state``): our key names, or one of the ``weight_formats`` it
  declares (e.g. the authors' checkpoints), detected from the keys;
- the one fuse path (``fuse``): Scene in, fused cube (C, H, W) in Scene units out.

Every built method is called as ``method(lrhsi, hrmsi, **side)`` with batched tensors lrhsi
(B, C, h, w) and hrmsi (B, c, H, W) in its domain, returning (B, C, H, W).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from datasets import Scene

Family = Literal["deep", "classical", "baseline"]
Domain = Literal["unit", "pm1"]
NEEDS = frozenset({"srf", "psf", "anchor"})


def to_domain(x: torch.Tensor, domain: Domain) -> torch.Tensor:
    """Scene units [0, 1] -> ``domain``."""
    return (x - 0.5) * 2 if domain == "pm1" else x


def from_domain(x: torch.Tensor, domain: Domain) -> torch.Tensor:
    """``domain`` -> Scene units [0, 1]."""
    return x / 2 + 0.5 if domain == "pm1" else x


@dataclass(frozen=True)
class Published:
    """Figures a paper claims for a method (never measured here). Units: M params, G FLOPs, dB, deg."""

    source: str
    dataset: str
    params_m: float | None = None
    flops_g: float | None = None
    psnr: float | None = None
    sam: float | None = None
    msi_bands: int = 4
    counter: str = "unknown"


@dataclass(frozen=True)
class TrainingRecipe:
    """A deep method's training recipe, as data the shared trainer reads.

    loss_fn: ``(pred, target) -> scalar`` in the model's domain (a class is instantiated first);
    loss_name: how the rows and ``--help`` name it.
    budget_steps: optimizer steps of the runner's ``train`` profile, chosen so that one modern GPU
    trains every deep entry on ``indian_pines`` in about an hour (docs/training.md says how).
    quick_steps: steps after which the entry beat bicubic on a 2-core CPU in about a minute in
    the committed learning study (results/reference/learning/); the ``smoke`` profile trains
    them. None where it did not.
    """

    loss_fn: Callable[..., Any]
    loss_name: str
    optimizer: str = "adam"
    lr: float = 1e-4
    weight_decay: float = 0.0
    scheduler: str = "cosine"  # "cosine" (to eta_min over the epochs) or "step"
    eta_min: float = 1e-10
    step_size: int = 200
    gamma: float = 0.5
    epochs: int = 1000
    batch_size: int = 4
    crop_size: int = 128  # HR crop, a multiple of the ratio
    flips: bool = True
    rot90: bool = True
    train_snr_db: float | None = None  # AWGN on the LR-HSI during training only
    seed: int = 0
    source: str = ""
    budget_steps: int | None = None
    quick_steps: int | None = None


@dataclass(frozen=True)
class WeightFormat:
    """A checkpoint layout other than our own key names, e.g. the authors' released weights.

    ``detect(state)``: True for this layout's key names. ``load(state, **config)``: a model built
    with ``config`` (the built model's config fields) holding those weights (keys and shapes
    validated; ValueError otherwise). ``build_args(state)``: the builder arguments (bands,
    msi_bands, ratio, model options) read off the tensor shapes.
    """

    name: str
    detect: Callable[[Mapping[str, torch.Tensor]], bool]
    load: Callable[..., torch.nn.Module]
    build_args: Callable[[Mapping[str, torch.Tensor]], dict[str, Any]]


def _model_config(model: Any) -> dict[str, Any]:
    """A built model's own configuration: its ``config`` dataclass, else its ``params`` dict."""
    config = getattr(model, "config", None)
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    return dict(getattr(model, "params", None) or {})


@dataclass(frozen=True)
class MethodSpec:
    """One registry entry: the method's metadata and its adapter (see the module docstring)."""

    name: str
    family: Family
    build: Callable[..., Any]
    label: str
    paper: str = ""
    needs: frozenset[str] = frozenset()
    domain: Domain = "unit"
    recipe: TrainingRecipe | None = None
    published: tuple[Published, ...] = ()
    notes: str = ""
    weight_formats: tuple[WeightFormat, ...] = ()
    min_lr_side: int = 1  # smallest LR-HSI side (px) the default build accepts
    lr_multiple: int = 1  # LR-HSI sides the default build accepts are multiples of this

    # ---- building ------------------------------------------------------------------------------
    def build_model(self, bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> Any:
        """The method built for (bands, msi_bands, ratio) with the options ``cfg``."""
        return self.build(bands, msi_bands, ratio, **cfg)

    def config_of(self, model: Any, bands: int, msi_bands: int, ratio: int) -> dict[str, Any]:
        """What a built model was built with, JSON-ready: the build arguments and the model's own
        config (its ``config`` dataclass or ``params`` dict)."""
        found = {"bands": bands, "msi_bands": msi_bands, "ratio": ratio, **_model_config(model)}
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in found.items()}

    # ---- values --------------------------------------------------------------------------------
    def to_domain(self, x: torch.Tensor) -> torch.Tensor:
        return to_domain(x, self.domain)

    def from_domain(self, x: torch.Tensor) -> torch.Tensor:
        return from_domain(x, self.domain)

    def side_inputs(self, scene: Scene, anchor: torch.Tensor | None = None,
                    device: torch.device | str = "cpu") -> dict[str, Any]:
        """What the entry ``needs`` from ``scene``: ``srf``/``psf`` as stored, and ``anchor``
        (``anchor`` if given, else the scene's), batched, in the method's domain on ``device``."""
        side: dict[str, Any] = {k: getattr(scene.meta, k) for k in ("srf", "psf") if k in self.needs}
        if "anchor" in self.needs:
            cube = anchor if anchor is not None else scene.anchor
            if cube is None:
                raise ValueError(f"method {self.name!r} needs an anchor cube for scene "
                                 f"{scene.name!r}, and none was given")
            side["anchor"] = self.to_domain(cube[None].to(device))
        return side

    # ---- the one fuse path ---------------------------------------------------------------------
    def fuse(self, model: Any, scene: Scene, device: torch.device | str = "cpu",
             anchor: torch.Tensor | None = None) -> torch.Tensor:
        """Fused cube (C, H, W) of ``scene`` in Scene units (float32, on the CPU).

        ValueError when the method returns the wrong shape or non-finite values."""
        lr = self.to_domain(scene.lrhsi[None].to(device))
        hr = self.to_domain(scene.hrmsi[None].to(device))
        side = self.side_inputs(scene, anchor, device)
        with torch.inference_mode():
            out = model(lr, hr, **side)
        out = self.from_domain(out)[0].float().cpu()
        expected = (scene.bands, *scene.hrmsi.shape[-2:])
        if tuple(out.shape) != expected:
            raise ValueError(f"{self.name} returned {tuple(out.shape)} for scene {scene.name!r}; "
                             f"expected {expected}")
        if not torch.isfinite(out).all():
            raise ValueError(f"{self.name} returned non-finite values for scene {scene.name!r}")
        return out

    # ---- weights -------------------------------------------------------------------------------
    def weight_format(self, state: Mapping[str, torch.Tensor]) -> WeightFormat | None:
        """The declared format whose key names ``state`` uses, else None (our own names)."""
        return next((f for f in self.weight_formats if f.detect(state)), None)

    def build_args_of(self, state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
        """Builder arguments read off a foreign checkpoint's shapes ({} for our own names)."""
        found = self.weight_format(state)
        return found.build_args(state) if found is not None else {}

    def load_state(self, model: Any, state: Mapping[str, torch.Tensor], source: str) -> None:
        """Load ``state`` into the built ``model`` strictly, mapping a declared format's keys
        first; ValueError names ``source`` and the problem."""
        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"method {self.name!r} does not build a torch module; it has no "
                             "weights to load")
        found = self.weight_format(state)
        if found is not None:
            try:
                state = found.load(state, **_model_config(model)).state_dict()
            except (ValueError, TypeError) as err:
                raise ValueError(f"checkpoint {source} ({found.name}): {err}") from err
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f"checkpoint {source} does not fit {self.name}: "
                             f"{str(err).splitlines()[0]}") from err
