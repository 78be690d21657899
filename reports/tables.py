"""What every report figure is: a Table of already-aggregated rows, and the declaration
(`ReportTable`) that says what a table is.

Cells are plain Python values so the page, the charts and the CSV export share them:
ints for counts, floats for means (one decimal), `Percent` for rates and None where a
figure is undefined (a rate over nothing). `cell_text` turns a cell into what the page
shows; None is shown as an em dash, never as NaN or 0.

A ReportTable declares one table once: its slug, title, columns by name, the function that
computes it, its chart, the sentence shown when it is empty and its section. The dashboard,
the CSV export, the charts and the KPI cards all read the declarations (reports.metrics.TABLES);
`problems()` lists what is missing or inconsistent in them (a test and a system check run it).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from charts.numbers import number_text

if TYPE_CHECKING:
    from .charts import Chart
    from .scope import Scope

DASH = "—"


class Percent(float):
    """A rate in percent (0-100, one decimal). Still a number for charts and CSV;
    its text on the page carries the percent sign."""

    def __str__(self) -> str:
        return f"{number_text(self, trim=False)}%"

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
        return number_text(value, trim=False)
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
    # Named figures computed with the rows, which the KPI cards read (e.g. "active").
    figures: dict[str, object] = field(default_factory=dict)

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


# --- Declarations ------------------------------------------------------------------------


class DeclarationError(Exception):
    """A computation returned other columns or figures than its table declares."""


@dataclass(frozen=True)
class Column:
    key: str  # how the computation names it
    title: str  # the header on the page and in the CSV


@dataclass
class Computed:
    """What a table's computation returns: rows keyed by column name, and the named figures
    its declaration lists (they exist even when there are no rows: "0 active clients")."""

    rows: list[dict[str, object]]
    figures: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """A part of the dashboard: a heading and its tables (those that name it), in order.
    `intro` and `outro`: templates drawn before and after the tables (the relief
    definition, the heat map); they get the section as `section`."""

    slug: str
    title: str
    intro: str = ""
    outro: str = ""


@dataclass(frozen=True)
class ReportTable:
    """One report table, declared once. Calling it with a Scope computes its Table."""

    slug: str
    title: str
    section: str
    columns: tuple[Column, ...]
    compute: Callable[[Scope], Computed]
    # Definitions of the figures, shown under the table.
    note: str
    chart: Chart | None = None
    # What the page says instead of a table without rows.
    empty: str = "Nothing to count in this period."
    # Named figures the computation returns besides its rows (the KPI cards read them).
    figures: tuple[str, ...] = ()
    # The section shows this table's note at its top, so the table does not repeat it.
    note_in_section: bool = False

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def cells(self, row: Sequence) -> dict[str, object]:
        """A row of this table's Table (cells in column order) by column name."""
        return dict(zip(self.keys, row, strict=False))

    def __call__(self, scope: Scope) -> Table:
        computed = self.compute(scope)
        keys = self.keys
        for row in computed.rows:
            _same_names(f"{self.slug}, a row's columns", keys, row)
        _same_names(f"{self.slug}, figures", self.figures, computed.figures)
        return Table(
            slug=self.slug,
            title=self.title,
            columns=[c.title for c in self.columns],
            rows=[tuple(row[k] for k in keys) for row in computed.rows],
            note=self.note,
            figures=computed.figures,
        )


def _same_names(what: str, declared: Iterable[str], returned: Iterable[str]) -> None:
    declared, returned = list(declared), list(returned)
    missing = [k for k in declared if k not in returned]
    extra = [k for k in returned if k not in declared]
    if missing or extra:
        found = [
            f"{label}: {', '.join(names)}"
            for label, names in (("declared but not returned", missing), ("returned but not declared", extra))
            if names
        ]
        raise DeclarationError(f"{what}: {'; '.join(found)}")


@dataclass(frozen=True)
class Headline:
    """A KPI card: a figure of a table (declared in its `figures`), what it means, and what the
    card says instead when the figure is undefined (a rate over nothing)."""

    key: str
    label: str
    table: str
    figure: str
    note: str
    undefined: str = "Nothing to count in this period."


def format_fields(template: str) -> list[str]:
    """The names a format string reads: "{zone} ({chart})" -> ["zone", "chart"]."""
    return [name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None]


def problems(tables: Sequence[ReportTable], sections: Sequence[Section], headlines: Sequence[Headline]) -> list[str]:
    """What is missing or inconsistent in the declarations, one sentence each ([] when none).
    Whether a computation returns its declared columns is checked each time it runs."""
    found = []
    slugs = [t.slug for t in tables]
    section_slugs = [s.slug for s in sections]
    for duplicate in sorted({s for s in slugs if slugs.count(s) > 1}):
        found.append(f"{duplicate}: declared more than once")
    for t in tables:
        keys = t.keys
        for attribute in ("slug", "title", "note", "empty"):
            if not getattr(t, attribute):
                found.append(f"{t.slug or t.title}: no {attribute}")
        if not t.columns:
            found.append(f"{t.slug}: no columns")
        if len(set(keys)) != len(keys):
            found.append(f"{t.slug}: a column name is used twice")
        if not all(c.key and c.title for c in t.columns):
            found.append(f"{t.slug}: a column without a name or a title")
        if t.section not in section_slugs:
            found.append(f"{t.slug}: not in any section (its section {t.section!r} is not declared)")
        if not callable(t.compute):
            found.append(f"{t.slug}: no computation")
        if t.chart is not None:
            if not t.chart.empty:
                found.append(f"{t.slug}: its chart has no sentence for when there is nothing to draw")
            for name in t.chart.columns():
                if name not in keys:
                    found.append(f"{t.slug}: its chart reads the column {name!r}, which the table does not declare")
    for s in sections:
        if s.slug not in {t.section for t in tables}:
            found.append(f"section {s.slug}: has no table")
    by_slug = {t.slug: t for t in tables}
    for h in headlines:
        if h.table not in by_slug:
            found.append(f"card {h.key}: reads the table {h.table!r}, which is not declared")
        elif h.figure not in by_slug[h.table].figures:
            found.append(f"card {h.key}: reads the figure {h.figure!r}, which {h.table} does not declare")
    return found
