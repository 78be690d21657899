"""CSV downloads: what a spreadsheet or a csv reader gets back."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from reports.csv import csv_response
from reports.tables import Percent, Table


def table(*rows, columns=("Name", "Value")) -> Table:
    return Table(slug="test", title="Test", columns=list(columns), rows=list(rows))


def body(response) -> str:
    return response.content.decode("utf-8")


def read_back(response) -> list[list[str]]:
    text = body(response)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_the_download_starts_with_a_utf8_bom_so_excel_reads_accents():
    response = csv_response(table(("Zoë", 1)), "x.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_lines_end_with_crlf():
    text = body(csv_response(table(("a", 1), ("b", 2)), "x.csv"))
    assert text == "\ufeffName,Value\r\na,1\r\nb,2\r\n"


def test_quotes_commas_and_newlines_round_trip_through_a_csv_reader():
    tricky = ['She said "ouch"', "left, then right", "line one\nline two", "crlf\r\ninside", "  spaced  "]
    response = csv_response(table(*((t, 1) for t in tricky)), "x.csv")
    assert [row[0] for row in read_back(response)[1:]] == tricky


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(start):
    cell = f'{start}HYPERLINK("http://evil.example")'
    rows = read_back(csv_response(table((cell, 1)), "x.csv"))
    assert rows[1][0] == "'" + cell


def test_a_formula_in_a_column_name_is_neutralised_too():
    rows = read_back(csv_response(table(columns=("=cmd", "Value")), "x.csv"))
    assert rows[0] == ["'=cmd", "Value"]


def test_negative_numbers_stay_numbers():
    text = body(csv_response(table(("Mean change", -3.0), ("Delta", -2)), "x.csv"))
    assert "Mean change,-3.0\r\n" in text
    assert "Delta,-2\r\n" in text


def test_text_that_merely_contains_formula_characters_is_left_alone():
    rows = read_back(csv_response(table(("a=b", 1), ("Under 25%", 2), ("25-74%", 3)), "x.csv"))
    assert [r[0] for r in rows[1:]] == ["a=b", "Under 25%", "25-74%"]


def test_non_ascii_names_are_intact():
    names = ["Zoë Ångström", "Łukasz Żółć", "Søren", "李小龍", "José 😊"]
    rows = read_back(csv_response(table(*((n, 1) for n in names)), "x.csv"))
    assert [r[0] for r in rows[1:]] == names


def test_rates_are_plain_numbers_dates_iso_and_missing_values_empty():
    rows = read_back(
        csv_response(
            table((dt.date(2025, 3, 3), Percent(42.9)), ("none", None), columns=("Week starting", "Rate")),
            "x.csv",
        )
    )
    assert rows[1:] == [["2025-03-03", "42.9"], ["none", ""]]


def test_an_empty_table_is_its_header_row():
    assert body(csv_response(table(), "x.csv")) == "\ufeffName,Value\r\n"


def test_the_download_is_an_attachment_with_a_safe_filename():
    response = csv_response(table(), 'calm feet/"zones" 2025-03-03 to 2025-03-30;\r\n.csv')
    assert response["Content-Disposition"] == 'attachment; filename="calm-feet-zones-2025-03-03-to-2025-03-30.csv"'


def test_a_filename_without_the_extension_gets_it():
    assert csv_response(table(), "sessions-2025-03-03-to-2025-03-30")["Content-Disposition"].endswith(
        'filename="sessions-2025-03-03-to-2025-03-30.csv"'
    )


def test_a_report_table_downloads_with_its_negative_change_as_a_number(clinic, practitioner):
    from reports.metrics import TABLES
    from reports.scope import Scope
    from tests.factories import ClientFactory, SignedSessionFactory

    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Zoë")
    for day, pain in ((3, 7), (10, 4)):
        SignedSessionFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            started_at=dt.datetime(2025, 3, day, 10, tzinfo=dt.UTC),
            pain_before=pain,
        )
    scope = Scope(clinic=clinic, start=dt.date(2025, 3, 3), end=dt.date(2025, 3, 30))
    rows = read_back(csv_response(TABLES["first-to-latest"](scope), "first-to-latest.csv"))
    assert rows[0] == ["Measure", "Value"]
    assert ["Mean change", "-3.0"] in rows
