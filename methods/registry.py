"""The method registry: one decorator registers a fusion method's adapter; nothing else is edited.

    @register("bicubic", family="baseline", paper="...")
    def bicubic(bands, msi_bands, ratio, **cfg): return BicubicUpsampling(ratio)

What an entry declares, and how the suite uses it, is ``methods/adapter.py``'s ``MethodSpec``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from datasets.limits import InputLimit
from methods.adapter import NEEDS, Domain, Family, MethodSpec, Published, TrainingRecipe, WeightFormat

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
    notes: str = "",
    weight_formats: tuple[WeightFormat, ...] = (),
    min_lr_side: int = 1,
    lr_multiple: int = 1,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``build(bands, msi_bands, ratio, **cfg)`` under ``name``."""
    unknown = set(needs) - NEEDS
    if unknown:
        raise ValueError(f"method {name!r}: unknown needs {sorted(unknown)}; known: {sorted(NEEDS)}")
    if family not in ("deep", "classical", "baseline"):
        raise ValueError(f"method {name!r}: family must be deep|classical|baseline, got {family!r}")
    if family == "deep" and recipe is None:
        raise ValueError(f"method {name!r}: a deep method needs recipe=TrainingRecipe(...) "
                         "(from methods import TrainingRecipe)")

    def decorator(build: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].build.__qualname__ != build.__qualname__:
            raise ValueError(f"method {name!r} is already registered by {_REGISTRY[name].build}")
        _REGISTRY[name] = MethodSpec(
            name=name, family=family, build=build, label=label or name, paper=paper,
            needs=frozenset(needs), domain=domain, recipe=recipe, published=tuple(published),
            notes=notes, weight_formats=tuple(weight_formats), min_lr_side=min_lr_side,
            lr_multiple=lr_multiple,
        )
        return build

    return decorator


@contextmanager
def registered(name: str, build: Callable[..., Any], **options: Any) -> Iterator[MethodSpec]:
    """Register ``build`` under ``name`` for the duration of a ``with`` block (tests, examples);
    the entry is removed afterwards, whatever happens inside."""
    _load_all()
    if name in _REGISTRY:
        raise ValueError(f"method {name!r} is already registered")
    register(name, **options)(build)
    try:
        yield _REGISTRY[name]
    finally:
        _REGISTRY.pop(name, None)


def _load_all() -> None:
    """Import every method module in this package so that their decorators run."""
    import importlib
    import pkgutil

    package = importlib.import_module("methods")
    for info in pkgutil.walk_packages(package.__path__, prefix="methods."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or leaf in ("registry", "adapter"):
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
    """Build a registered method with the options ``cfg``."""
    return get(name).build_model(bands, msi_bands, ratio, **cfg)


def input_limits() -> list[InputLimit]:
    """The LR-HSI sides every entry with a limit accepts (the ``hsfusion_bench.input_limits``
    entry point, read by ``datasets.prepare`` and ``datasets check``)."""
    specs = [get(n) for n in list_methods()]
    return [InputLimit(s.name, s.min_lr_side, s.lr_multiple) for s in specs
            if s.min_lr_side > 1 or s.lr_multiple > 1]
