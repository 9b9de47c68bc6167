"""How a method looks in every figure: a colour-blind-safe colour, a marker and a dash pattern.

Colours: Okabe & Ito's palette without black (black is the ground truth's), then Paul Tol's
"muted" colours; markers never repeat within 13 methods, and from the eighth method on the dash
pattern changes too, so lines and points differ without colour.
"""

from __future__ import annotations

from dataclasses import dataclass

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#332288",
           "#882255", "#999933", "#44AA99", "#AA4499", "#117733", "#DDCC77")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "p", "*", "d")
DASHES = ("-", "--", "-.", ":")


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str
    linestyle: str


def style_at(i: int) -> Style:
    """The ``i``-th method's style (0-based)."""
    return Style(COLOURS[i % len(COLOURS)], MARKERS[i % len(MARKERS)],
                 DASHES[(i // 7) % len(DASHES)])


def method_styles(names: list[str]) -> dict[str, Style]:
    """A fixed style per method, in the order given."""
    return {name: style_at(i) for i, name in enumerate(names)}
