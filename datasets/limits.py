"""What the installed methods need of a scene: the LR-HSI sides each one accepts.

Datasets know nothing of methods. A package that provides methods declares their limits under the
entry-point group ``hsfusion_bench.input_limits`` (a callable returning ``InputLimit``s; the
suite's own ``methods`` package does so in pyproject.toml), and ``datasets.prepare`` and
``python -m datasets check`` warn when tiles do not suit one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib.metadata import entry_points

GROUP = "hsfusion_bench.input_limits"


@dataclass(frozen=True)
class InputLimit:
    """``method`` takes LR-HSI sides (px) of at least ``min_lr_side`` that are multiples of
    ``lr_multiple``."""

    method: str
    min_lr_side: int = 1
    lr_multiple: int = 1

    def accepts(self, lr_side: int) -> bool:
        return lr_side >= self.min_lr_side and lr_side % self.lr_multiple == 0

    def text(self) -> str:
        parts = [f">= {self.min_lr_side}"] if self.min_lr_side > 1 else []
        parts += [f"a multiple of {self.lr_multiple}"] if self.lr_multiple > 1 else []
        return f"{self.method} (LR side {' and '.join(parts)})"


def declared_limits() -> tuple[list[InputLimit], list[str]]:
    """(every declared limit, one line per entry point that could not be loaded)."""
    limits: list[InputLimit] = []
    problems: list[str] = []
    for point in entry_points(group=GROUP):
        try:
            limits += list(point.load()())
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is named, not fatal
            problems.append(f"input limits from {point.value}: {type(exc).__name__}: {exc}")
    return limits, problems


def smallest_suitable_side(limits: list[InputLimit]) -> int:
    """The smallest LR side that every limit accepts."""
    step = math.lcm(*(lim.lr_multiple for lim in limits)) if limits else 1
    low = max((lim.min_lr_side for lim in limits), default=1)
    return math.ceil(low / step) * step


def tile_warning(lr_side: int, ratio: int, limits: list[InputLimit]) -> str | None:
    """One line naming the methods that cannot take LR tiles of ``lr_side`` px, or None."""
    refused = sorted((lim for lim in limits if not lim.accepts(lr_side)), key=lambda lim: lim.method)
    if not refused:
        return None
    suitable = smallest_suitable_side(limits) * ratio
    return (f"warning: LR tiles of {lr_side} px do not suit {', '.join(lim.text() for lim in refused)}; "
            f"those methods will fail on this data. The smallest HR tile (--tile) that suits "
            f"every method is {suitable} px.")


def warn_small_tiles(lr_side: int, ratio: int) -> list[str]:
    """The warning lines for LR tiles of ``lr_side`` px (empty when every method takes them)."""
    limits, problems = declared_limits()
    warning = tile_warning(lr_side, ratio, limits)
    return [f"warning: {p}" for p in problems] + ([warning] if warning else [])
