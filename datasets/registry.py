"""The dataset registry, parallel to the method registry: one decorator registers a dataset.

    @register_dataset("indian_pines", description="...", splits=("train", "test"))
    def indian_pines(split="test", ratio=4, ...) -> SceneList: ...

    datasets.list_datasets()                         # ['indian_pines', 'paper', 'synthetic']
    datasets.get("indian_pines", split="test")       # a sequence of Scenes (len, [i], iteration)
    datasets.get("paper", root="DATA", list="DATA/test.txt")
    datasets.get("cave:x8-gauss", split="test", root="CAVE")   # dataset:protocol
"""

from __future__ import annotations

import fnmatch
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, overload

from datasets.scene import Scene


class SceneList(Sequence[Scene]):
    """A lazy sequence of Scenes: ``names[i]`` is known up front, ``load(i)`` builds scene i."""

    def __init__(self, names: Sequence[str], load: Callable[[int], Scene]) -> None:
        self.names = list(names)
        self._load = load

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, i: int) -> Scene: ...
    @overload
    def __getitem__(self, i: slice) -> list[Scene]: ...
    def __getitem__(self, i: int | slice) -> Scene | list[Scene]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        if not -len(self) <= i < len(self):
            raise IndexError(f"scene index {i} out of range for {len(self)} scenes")
        return self._load(i % len(self))

    def __iter__(self) -> Iterator[Scene]:
        for i in range(len(self)):
            yield self._load(i)

    def __repr__(self) -> str:
        more = ", ..." if len(self) > 3 else ""
        return f"SceneList({len(self)} scenes: {', '.join(self.names[:3])}{more})"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    factory: Callable[..., Sequence[Scene]]
    description: str
    splits: tuple[str, ...]
    source: str = ""
    licence: str = ""
    protocols: tuple[Any, ...] = ()  # datasets.protocol.Protocol, first = default

    def protocol_names(self) -> list[str]:
        return [p.name for p in self.protocols]


_REGISTRY: dict[str, DatasetSpec] = {}


def register_dataset(
    name: str,
    *,
    description: str,
    splits: tuple[str, ...] = ("train", "val", "test"),
    source: str = "",
    licence: str = "",
    protocols: Sequence[Any] = (),
) -> Callable[[Callable[..., Sequence[Scene]]], Callable[..., Sequence[Scene]]]:
    """Decorator: register ``factory(split, **options) -> Sequence[Scene]`` under ``name``.

    A dataset with ``protocols`` (``datasets.protocol.Protocol``) is asked for one as
    ``name:protocol``; its factory takes ``protocol=<name>`` (the first when none is named)."""

    def decorator(factory: Callable[..., Sequence[Scene]]) -> Callable[..., Sequence[Scene]]:
        known = _REGISTRY.get(name)
        if known and known.factory.__qualname__ != factory.__qualname__:
            raise ValueError(f"dataset {name!r} is already registered by {known.factory}")
        _REGISTRY[name] = DatasetSpec(name, factory, description, tuple(splits), source, licence,
                                      tuple(protocols))
        return factory

    return decorator


@contextmanager
def registered_dataset(
    name: str, factory: Callable[..., Sequence[Scene]], **options: Any
) -> Iterator[DatasetSpec]:
    """Register ``factory`` under ``name`` for the duration of a ``with`` block (tests, examples);
    the entry is removed afterwards, whatever happens inside."""
    _load_all()
    if name in _REGISTRY:
        raise ValueError(f"dataset {name!r} is already registered")
    register_dataset(name, **options)(factory)
    try:
        yield _REGISTRY[name]
    finally:
        _REGISTRY.pop(name, None)


def _load_all() -> None:
    """Import every module of this package so that their decorators run."""
    import importlib
    import pkgutil

    import datasets

    for info in pkgutil.iter_modules(datasets.__path__, prefix="datasets."):
        leaf = info.name.rsplit(".", 1)[-1]
        if not leaf.startswith("_") and leaf not in ("registry", "prepare"):
            importlib.import_module(info.name)


def list_datasets(pattern: str = "*") -> list[str]:
    """Registered dataset names matching a glob pattern, sorted."""
    _load_all()
    return sorted(n for n in _REGISTRY if fnmatch.fnmatch(n, pattern))


def parse_name(name: str) -> tuple[str, str | None]:
    """``"cave:x8-gauss"`` -> ("cave", "x8-gauss"); ``"cave"`` -> ("cave", None)."""
    dataset, _, protocol = name.partition(":")
    return dataset, protocol or None


def spec(name: str) -> DatasetSpec:
    """The entry of ``name`` (a dataset, or ``dataset:protocol`` with a protocol it has)."""
    _load_all()
    dataset, protocol = parse_name(name)
    if dataset not in _REGISTRY:
        raise KeyError(f"unknown dataset {dataset!r}; registered: {', '.join(sorted(_REGISTRY))}")
    entry = _REGISTRY[dataset]
    if protocol is not None and protocol not in entry.protocol_names():
        known = ", ".join(f"{dataset}:{p}" for p in entry.protocol_names()) or "none"
        raise KeyError(f"dataset {dataset!r} has no protocol {protocol!r}; its protocols: {known}")
    return entry


def splits_of(name: str) -> tuple[str, ...]:
    """The splits of a dataset, or of ``dataset:protocol`` (a protocol dataset without one named:
    its first protocol's)."""
    entry = spec(name)
    if not entry.protocols:
        return entry.splits
    chosen = parse_name(name)[1] or entry.protocols[0].name
    if chosen not in entry.protocol_names():
        raise ValueError(f"dataset {entry.name!r} has no protocol {chosen!r}; its protocols: "
                         f"{', '.join(entry.protocol_names())}")
    return next(p for p in entry.protocols if p.name == chosen).split.names


def get(name: str, split: str = "test", **options: Any) -> Sequence[Scene]:
    """The scenes of ``name``'s ``split``, built with ``options`` (see each factory's docstring);
    ``name`` may be ``dataset:protocol``."""
    entry = spec(name)
    dataset, protocol = parse_name(name)
    if protocol is not None:
        options = {**options, "protocol": protocol}
    protocol = options.get("protocol")
    splits = splits_of(f"{dataset}:{protocol}" if protocol else dataset)
    if split not in splits:
        raise ValueError(f"dataset {name!r} has splits {list(splits)}, got {split!r}")
    params = inspect.signature(entry.factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = [k for k in options if k not in params and not takes_any]
    if unknown:
        known = [k for k in params if k != "split"]
        hint = (" (the paper's on-disk layout is the dataset 'paper': --dataset paper --root R)"
                if "root" in unknown else "")
        raise ValueError(f"dataset {name!r} takes no option {', '.join(map(repr, unknown))}; its "
                         f"options: {', '.join(known) or 'none'}{hint}")
    return entry.factory(split=split, **options)
