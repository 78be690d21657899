"""What every report figure is: a Table of already-aggregated rows.

Cells are plain Python values so the page, the charts and the CSV export share them:
ints for counts, floats for means (one decimal), `Percent` for rates and None where a
figure is undefined (a rate over nothing). `cell_text` turns a cell into what the page
shows; None is shown as an em dash, never as NaN or 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DASH = "—"


class Percent(float):
    """A rate in percent (0-100, one decimal). Still a number for charts and CSV;
    its text on the page carries the percent sign."""

    def __str__(self) -> str:
        return f"{float(self):.1f}%"

    def __repr__(self) -> str:
        return f"Percent({float(self)!r})"


def percent(part: int | None, whole: int | None) -> Percent | None:
    """part/whole as a Percent, or None when there is nothing to divide by."""
    if not whole:
        return None
    return Percent(round(100 * (part or 0) / whole, 1))


def mean(value) -> float | None:
    """A database mean rounded to one decimal (None stays None)."""
    return None if value is None else round(float(value), 1)


def cell_text(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, Percent):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[tuple]
    # Definitions of the figures, shown under the table on the page.
    note: str = ""

    @property
    def display_rows(self) -> list[tuple[str, ...]]:
        return [tuple(cell_text(v) for v in row) for row in self.rows]

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def value(self, measure: str, column: int = 1):
        """The cell of the row whose first cell is `measure` (for Measure/Value tables);
        None when the row is absent (an empty table)."""
        for row in self.rows:
            if row[0] == measure:
                return row[column]
        return None
