"""A report table's chart, as its declaration states it (reports.metrics.TABLES): which
drawing of the site's chart toolkit (charts.svg), the rows' labels and the series, each
read from the table's columns by name.

Every chart is a picture of a table that the page shows beside it, so the table stays
the source of truth; a chart with nothing to draw is "" and the page says why instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.safestring import SafeString

from charts.svg import Look, Series

from .tables import ReportTable, Table, format_fields


@dataclass(frozen=True)
class Chart:
    # A drawing of charts.svg: bar_chart, histogram, line_chart or hbar_chart.
    draw: Callable[..., SafeString]
    # A row's label: a format string over the row's columns, e.g. "{week}" or "{zone} ({chart})".
    label: str
    # The series: (column, look); the column's title names the series in the legend.
    series: tuple[tuple[str, Look], ...]
    # Why there is no chart, in words, when there is nothing to draw.
    empty: str
    # The drawing's other arguments: y_label, x_label, y_max, apart.
    options: dict = field(default_factory=dict)
    # Only the rows that are shares of one whole are drawn (e.g. not a rate over part of it).
    where: Callable[[dict], bool] | None = None

    def columns(self) -> list[str]:
        return [*format_fields(self.label), *(column for column, _look in self.series)]

    def svg(self, table: Table, declaration: ReportTable) -> SafeString:
        """This chart of `table` (built from `declaration`), or "" when there is nothing to draw."""
        titles = {c.key: c.title for c in declaration.columns}
        rows = [declaration.cells(row) for row in table.rows]
        rows = [row for row in rows if self.where is None or self.where(row)]
        named = format_fields(self.label)
        return self.draw(
            title=table.title,
            labels=[self.label.format(**{k: _label(row[k]) for k in named}) for row in rows],
            series=[Series(titles[column], [row[column] for row in rows], look) for column, look in self.series],
            **self.options,
        )


def _label(cell) -> str:
    if hasattr(cell, "strftime"):
        return date_format(cell, "j M")
    return str(cell)
