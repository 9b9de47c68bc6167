"""The method registry: one decorator registers a fusion method; nothing else is edited.

    @register("bicubic", family="baseline", paper="...")
    def bicubic(bands, msi_bands, ratio, **cfg): return BicubicFusion(ratio)

Every built method is called as ``method(lrhsi, hrmsi, **side)`` with batched tensors
lrhsi (B, C, h, w) and hrmsi (B, c, H, W), returning (B, C, H, W). ``side`` holds what the entry
``needs`` (``srf`` (c, C), ``psf`` (k, k), ``anchor`` (B, C, H, W)), taken from the Scene.
``domain`` says which value range the built object expects: ``unit`` means the Scene's [0, 1]
values, ``pm1`` means the authors' (x - 0.5) * 2 mapping, applied by the caller in both directions.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Family = Literal["deep", "classical", "baseline"]
Domain = Literal["unit", "pm1"]
NEEDS = frozenset({"srf", "psf", "anchor", "training"})


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

    loss: name of a loss in the method's own package, resolved by ``loss_fn`` (a callable
    ``(pred, target) -> scalar`` in the model's domain).
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


@dataclass(frozen=True)
class MethodSpec:
    name: str
    family: Family
    build: Callable[..., Any]
    label: str
    paper: str = ""
    needs: frozenset[str] = frozenset()
    domain: Domain = "unit"
    recipe: TrainingRecipe | None = None
    published: tuple[Published, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)
    notes: str = ""


_REGISTRY: dict[str, MethodSpec] = {}


def register(
    name: str,
    *,
    family: Family,
    paper: str = "",
    label: str | None = None,
    needs: tuple[str, ...] | frozenset[str] = (),
    domain: Domain = "unit",
    recipe: TrainingRecipe | None = None,
    published: tuple[Published, ...] = (),
    defaults: dict[str, Any] | None = None,
    notes: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``build(bands, msi_bands, ratio, **cfg)`` under ``name``."""
    unknown = set(needs) - NEEDS
    if unknown:
        raise ValueError(f"method {name!r}: unknown needs {sorted(unknown)}; known: {sorted(NEEDS)}")
    if family not in ("deep", "classical", "baseline"):
        raise ValueError(f"method {name!r}: family must be deep|classical|baseline, got {family!r}")

    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].build.__qualname__ != build.__qualname__:
            raise ValueError(f"method {name!r} is already registered by {_REGISTRY[name].build}")
        _REGISTRY[name] = MethodSpec(
            name=name, family=family, build=build, label=label or name, paper=paper,
            needs=frozenset(needs), domain=domain, recipe=recipe, published=tuple(published),
            defaults=dict(defaults or {}), notes=notes,
        )
        return build

    return decorator


def _load_all() -> None:
    """Import every method module in this package so that their decorators run."""
    import importlib
    import pkgutil

    import methods

    for info in pkgutil.walk_packages(methods.__path__, prefix="methods."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or info.name.endswith(".registry"):
            continue
        importlib.import_module(info.name)


def list_methods(pattern: str = "*") -> list[str]:
    """Registered names matching a glob pattern, sorted."""
    _load_all()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def get(name: str) -> MethodSpec:
    _load_all()
    if name not in _REGISTRY:
        raise KeyError(f"unknown method {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def build(name: str, bands: int, msi_bands: int, ratio: int = 4, **cfg: Any) -> Any:
    """Build a registered method, with the entry's defaults overridden by ``cfg``."""
    spec = get(name)
    return spec.build(bands, msi_bands, ratio, **{**spec.defaults, **cfg})
