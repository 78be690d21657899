"""Numbers as the site shows them: one formatter for tables, cards, CSV-free text and charts.

A table keeps its decimals so a column lines up ("5.0", "42.9%"); a chart's labels and
coordinates drop trailing zeros ("5", "2.5"), which keeps the SVG small and its text short.
"""

from __future__ import annotations

import math
from decimal import Decimal


def number(value) -> float | None:
    """A cell as a number, or None for blanks and words ("—", "n/a", "12%") and for NaN."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        value = float(value)
        return value if math.isfinite(value) else None
    return None


def number_text(value: int | float | Decimal, *, places: int = 1, trim: bool = True) -> str:
    """`value` with `places` decimals (whole numbers as they are); `trim` drops trailing zeros."""
    if isinstance(value, int):
        return str(value)
    text = f"{float(value):.{places}f}"
    if trim and places:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
