"""Learning curves: validation metrics against optimizer step and time, one row per validation.

``curve.csv`` (written atomically after every point) has the columns of ``COLUMNS``: ``step``
(optimizer steps taken), ``epoch`` (crops seen / crops per epoch, a float), ``train_s`` (seconds
spent in training steps, validation and checkpoint writes excluded), ``wall_s`` (seconds since
the run started, everything included), ``lr``, ``train_loss`` (mean finite loss since the previous
point), then the validation means in both metric conventions. When the ``tensorboard`` package is
installed the same scalars go to TensorBoard event files under ``<out>/tensorboard`` as well.

``val_steps`` says at which steps a run validates: every N steps, or ``per_decade`` points per
decade of steps on a log grid (dense early, where curves move fast).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pandas as pd

import fileio

VAL_COLUMNS = ("psnr_paper", "sam_paper", "ergas_paper", "rmse_paper", "psnr_standard",
               "sam_standard")
COLUMNS = ("step", "epoch", "train_s", "wall_s", "lr", "train_loss", *VAL_COLUMNS)


def val_steps(max_step: int, *, every: int | None = None, per_decade: int | None = None
              ) -> set[int]:
    """The steps in 1..max_step after which to validate.

    every: every this many steps; per_decade: round(10 ** (k / per_decade)) for k = 0, 1, ...
    (both may be given; their union is returned).
    """
    steps: set[int] = set()
    if every is not None:
        if every < 1:
            raise ValueError(f"validation every N steps needs N >= 1, got {every}")
        steps.update(range(every, max_step + 1, every))
    if per_decade is not None:
        if per_decade < 1:
            raise ValueError(f"validation points per decade must be >= 1, got {per_decade}")
        k = 0
        while (s := round(10 ** (k / per_decade))) <= max_step:
            steps.add(s)
            k += 1
    return steps


def tensorboard_available() -> bool:
    """Whether the optional ``tensorboard`` package is installed."""
    return importlib.util.find_spec("tensorboard") is not None


class CurveLog:
    """Collects curve points; with ``out`` set, writes ``<out>/curve.csv`` (and TensorBoard)."""

    def __init__(self, out: Path | None, rows: list[dict[str, Any]] | None = None) -> None:
        self.out = out
        self.rows: list[dict[str, Any]] = list(rows or [])
        self._writer: Any = None
        if out is not None and tensorboard_available():
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(out / "tensorboard"))

    def append(self, point: dict[str, Any]) -> None:
        """Add one point (missing columns become NaN) and write the file."""
        row = {k: point.get(k, math.nan) for k in COLUMNS}
        self.rows.append(row)
        if self.out is None:
            return
        fileio.write_csv(self.out / "curve.csv", self.frame())
        if self._writer is not None:
            for key in ("train_loss", "lr", *VAL_COLUMNS):
                if math.isfinite(row[key]):
                    self._writer.add_scalar(f"{'val' if key in VAL_COLUMNS else 'train'}/{key}",
                                            row[key], global_step=int(row["step"]),
                                            walltime=None)
            self._writer.flush()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(COLUMNS))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
