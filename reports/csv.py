"""CSV downloads of the report tables: RFC 4180, UTF-8 with a BOM (so Excel reads the
accents right), and no formula injection.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before
one of them) as a formula, so such text cells get a leading apostrophe. Only text is
touched: numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from django.http import HttpResponse

from .tables import Table

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        # Percent is a float: written as its number (42.9), the column name says what it is.
        return value if isinstance(value, int) else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(c) for c in table.columns])
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return BOM + out.getvalue()


def safe_filename(filename: str) -> str:
    """Letters, digits, dot, dash and underscore only, ending in .csv."""
    stem = filename[:-4] if filename.lower().endswith(".csv") else filename
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_") or "report"
    return f"{stem[:150]}.csv"


def csv_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(table).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
