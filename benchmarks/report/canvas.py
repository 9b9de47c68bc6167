"""The figures' canvas: an Agg figure without pyplot's global state, saved atomically as PNG."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fileio import write_atomic

DPI = 150


class FigureSkipped(Exception):
    """A figure's inputs are missing; the message says which."""


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: Path, dpi: int) -> Path:
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
