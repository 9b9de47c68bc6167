"""Spatially disjoint train/val/test tiles from one cube: contiguous stripes along one axis.

The axis is cut into ``n = L // tile`` blocks. Test takes the last ceil(n * test_fraction)
blocks, val the ceil(n * val_fraction) blocks before them, and train the rest of the axis from 0
(including the remainder, so the regions are [0, a), [a, b), [b, L)). Val and test tiles do not
overlap; train tiles may (``train_stride`` < ``tile``). Every tile lies inside its region, so no
val or test tile shares a pixel with a train tile; ``check_disjoint`` verifies it anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SPLITS = ("train", "val", "test")


@dataclass
class SplitPlan:
    """Tiles (top-left row, column) per split, and each split's [start, stop) along ``axis``."""

    axis: str  # "rows" or "cols"
    tile: int
    train_stride: int
    regions: dict[str, tuple[int, int]]
    tiles: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def describe(self) -> str:
        spans = ", ".join(f"{s} {self.axis} [{a}, {b})" for s, (a, b) in self.regions.items())
        return (f"contiguous stripes along {self.axis}: {spans}; tiles {self.tile}x{self.tile}, "
                f"train stride {self.train_stride}, val/test stride {self.tile}")


def _positions(start: int, stop: int, tile: int, stride: int) -> list[int]:
    return list(range(start, stop - tile + 1, stride))


def plan_stripes(height: int, width: int, tile: int, train_stride: int | None = None,
                 val_fraction: float = 0.1, test_fraction: float = 0.2,
                 axis: str = "auto") -> SplitPlan:
    """Plan the tiles of a ``height`` x ``width`` cube (see module docstring)."""
    if axis == "auto":
        axis = "cols" if width >= height else "rows"
    if axis not in ("rows", "cols"):
        raise ValueError(f"axis must be auto, rows or cols, got {axis!r}")
    stride = train_stride or tile
    if tile < 1 or stride < 1:
        raise ValueError(f"tile and train stride must be >= 1, got {tile} and {stride}")
    along, across = (width, height) if axis == "cols" else (height, width)
    if across < tile:
        raise ValueError(f"a {height}x{width} cube is smaller than one {tile}x{tile} tile")
    n = along // tile
    n_test = math.ceil(n * test_fraction) if test_fraction > 0 else 0
    n_val = math.ceil(n * val_fraction) if val_fraction > 0 else 0
    if n - n_test - n_val < 1:
        raise ValueError(f"a {height}x{width} cube holds {n} tiles of {tile} along {axis}, "
                         f"too few for {n_test} test + {n_val} val + at least 1 train; use a "
                         "smaller --tile or --val-fraction 0")
    b = along - n_test * tile
    a = b - n_val * tile
    regions = {"train": (0, a), "val": (a, b), "test": (b, along)}
    plan = SplitPlan(axis, tile, stride, {s: r for s, r in regions.items() if r[1] > r[0]})
    for split, (lo, hi) in plan.regions.items():
        step = stride if split == "train" else tile
        pairs = [(u, v) for v in _positions(0, across, tile, step)
                 for u in _positions(lo, hi, tile, step)]
        plan.tiles[split] = [(v, u) if axis == "cols" else (u, v) for u, v in pairs]
    check_disjoint(plan.tiles, tile)
    return plan


def _overlap(a: tuple[int, int], b: tuple[int, int], tile: int) -> bool:
    return abs(a[0] - b[0]) < tile and abs(a[1] - b[1]) < tile


def check_disjoint(tiles: dict[str, list[tuple[int, int]]], tile: int) -> None:
    """Raise ValueError if a tile of one split shares a pixel with a tile of another."""
    names = list(tiles)
    for i, s in enumerate(names):
        for t in names[i + 1:]:
            for a in tiles[s]:
                for b in tiles[t]:
                    if _overlap(a, b, tile):
                        raise ValueError(f"{s} tile {a} overlaps {t} tile {b} (tile {tile})")
