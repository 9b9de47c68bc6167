"""The figures' canvas: an Agg figure without pyplot's global state, text wrapped to fit it, and
atomic PNG saving that never crops text."""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

from fileio import write_atomic

DPI = 150


class FigureSkipped(Exception):
    """A figure's inputs are missing; the message says which."""


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def wrap(text: str, width_in: float, fontsize: float) -> str:
    """``text`` broken into lines that fit ``width_in`` inches at ``fontsize`` points (each
    existing line wrapped on its own)."""
    chars = max(12, int(width_in * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.fill(line, chars, break_on_hyphens=False)
                     for line in text.split("\n"))


def add_title(fig: Figure, text: str, fontsize: float = 9) -> None:
    """The figure's title, wrapped to its width."""
    fig.suptitle(wrap(text, fig.get_figwidth() * 0.95, fontsize), fontsize=fontsize)


def add_note(fig: Figure, text: str, fontsize: float = 8) -> None:
    """A footnote under everything else (``supxlabel``, which the layout makes room for)."""
    if text:
        fig.supxlabel(wrap(text, fig.get_figwidth() * 0.95, fontsize), fontsize=fontsize,
                      color="0.25")


def _drawn_parts(fig: Figure | SubFigure) -> list[tuple[str, Artist]]:
    """(name, artist) of what a figure draws: visible axes (with ticks, labels and title),
    legends and figure-level texts, in subfigures too."""
    parts: list[tuple[str, Artist]] = []
    for text in [fig._suptitle, fig._supxlabel, fig._supylabel, *fig.texts]:
        if text is not None and text.get_visible() and text.get_text().strip():
            parts.append((text.get_text(), text))
    parts += [(f"legend of {fig}", legend) for legend in fig.legends]
    for ax in fig.axes if isinstance(fig, Figure) else fig.get_axes():
        if ax.get_visible() and ax.get_figure(root=False) is fig:
            parts.append((ax.get_title() or ax.get_xlabel() or "an axes", ax))
    for sub in fig.subfigs:
        if sub.get_visible():
            parts += _drawn_parts(sub)
    return parts


def texts_outside(fig: Figure) -> list[str]:
    """What reaches past the canvas (drawing the figure first): the title of each axes, legend
    or figure text whose extent leaves it."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    outside = []
    for name, artist in _drawn_parts(fig):
        ext = artist.get_tightbbox(renderer)
        if ext is not None and (ext.x0 < box.x0 - 1 or ext.y0 < box.y0 - 1
                                or ext.x1 > box.x1 + 1 or ext.y1 > box.y1 + 1):
            outside.append(name)
    return outside


def save_png(fig: Figure, path: Path, dpi: int) -> Path:
    """Write ``fig`` as PNG; should a text still reach past the canvas, the canvas grows to hold
    it rather than cropping it."""
    tight = "tight" if texts_outside(fig) else None
    return write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png",
                                                      bbox_inches=tight, pad_inches=0.05))
