"""The report tables are declared once (reports.metrics.TABLES), and an incomplete
declaration fails here, in `manage.py check` and when its computation runs, not on a
page in front of a user.

Each test breaks one real declaration the way an edit could (a chart naming a column the
table does not have, a table in no section, a computation that leaves out a declared
column) and reads the sentence that names what is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from charts.numbers import number_text
from charts.svg import PAIN_AFTER, PAIN_BEFORE
from clients.charts import PainChart
from reports import metrics
from reports.scope import Scope
from reports.tables import Column, Computed, DeclarationError, Percent, ReportTable, Table, cell_text
from tests.factories import ClientFactory, TreatmentSessionFactory


def declared(**changes) -> list[str]:
    """The problems of the real declarations with `changes` made to them: slug -> a
    replacement declaration (None drops it), or sections=[...] / headlines=[...]."""
    tables = dict(metrics.TABLES)
    for slug, replacement in changes.items():
        if slug in ("sections", "headlines"):
            continue
        if replacement is None:
            tables.pop(slug)
        else:
            tables[slug] = replacement
    return metrics.problems(
        list(tables.values()), changes.get("sections", metrics.SECTIONS), changes.get("headlines", metrics.HEADLINES)
    )


def edited(slug: str, **fields) -> ReportTable:
    return dataclasses.replace(metrics.TABLES[slug], **fields)


def test_the_report_tables_are_declared_completely():
    assert metrics.declaration_problems() == []


def test_every_section_on_the_dashboard_has_its_tables_and_every_table_a_section():
    sections = {s.slug for s in metrics.SECTIONS}
    assert {t.section for t in metrics.TABLES.values()} == sections


def test_a_chart_naming_a_column_the_table_does_not_have_is_refused():
    zones = metrics.TABLES["zones"]
    chart = dataclasses.replace(zones.chart, series=(("times", PAIN_BEFORE),))
    assert declared(zones=edited("zones", chart=chart)) == [
        "zones: its chart reads the column 'times', which the table does not declare"
    ]
    label = dataclasses.replace(zones.chart, label="{zone} ({map})")
    assert declared(zones=edited("zones", chart=label)) == [
        "zones: its chart reads the column 'map', which the table does not declare"
    ]


def test_a_chart_without_a_sentence_for_nothing_to_draw_is_refused():
    chart = dataclasses.replace(metrics.TABLES["zones"].chart, empty="")
    assert declared(zones=edited("zones", chart=chart)) == [
        "zones: its chart has no sentence for when there is nothing to draw"
    ]


def test_a_table_in_no_section_is_refused():
    assert declared(clients=edited("clients", section="people")) == [
        "clients: not in any section (its section 'people' is not declared)"
    ]


def test_a_section_without_tables_is_refused():
    assert declared(zones=None, headlines=metrics.HEADLINES) == ["section zones: has no table"]


def test_a_table_without_a_title_a_note_or_an_empty_text_is_refused():
    assert declared(routines=edited("routines", title="", note="", empty="")) == [
        "routines: no title",
        "routines: no note",
        "routines: no empty",
    ]


def test_a_column_named_twice_is_refused():
    columns = (Column("measure", "Measure"), Column("measure", "Value"))
    assert declared(routines=edited("routines", columns=columns)) == ["routines: a column name is used twice"]


def test_a_card_reading_a_figure_its_table_does_not_declare_is_refused():
    cards = [dataclasses.replace(metrics.HEADLINES[0], figure="visits"), *metrics.HEADLINES[1:]]
    assert declared(headlines=cards) == [
        "card sessions: reads the figure 'visits', which sessions-per-week does not declare"
    ]


def test_a_computation_that_leaves_out_a_declared_column_fails_when_it_runs(clinic):
    scope = Scope(clinic=clinic, start=dt.date(2025, 3, 3), end=dt.date(2025, 3, 9))
    short = edited("routines", compute=lambda scope: Computed([{"measure": "Sent"}], {"adherence": None}))
    with pytest.raises(DeclarationError, match="routines, a row's columns: declared but not returned: value$"):
        short(scope)
    extra = edited("routines", compute=lambda scope: Computed([{"measure": "Sent", "value": 1, "rate": 2}]))
    with pytest.raises(DeclarationError, match="routines, a row's columns: returned but not declared: rate$"):
        extra(scope)


def test_a_computation_that_leaves_out_a_declared_figure_fails_when_it_runs(clinic):
    scope = Scope(clinic=clinic, start=dt.date(2025, 3, 3), end=dt.date(2025, 3, 9))
    no_figure = edited("routines", compute=lambda scope: Computed([]))
    with pytest.raises(DeclarationError, match="routines, figures: declared but not returned: adherence$"):
        no_figure(scope)


def test_manage_py_check_names_an_incomplete_declaration(monkeypatch):
    monkeypatch.setitem(metrics.TABLES, "clients", edited("clients", section="people"))
    with pytest.raises(SystemCheckError, match=r"reports.E001.*clients: not in any section"):
        call_command("check")


# --- Adding a table ---------------------------------------------------------------------


def _busiest_days(scope: Scope) -> Computed:
    return Computed([{"day": "Tuesday", "sessions": 3}, {"day": "Friday", "sessions": 1}])


def test_one_declaration_adds_a_table_to_its_section_with_its_chart_and_csv(monkeypatch, owner_client, clinic):
    """The README's "adding a report table": one declaration (and its computation) puts the
    table on the dashboard, in its section, with its chart, and in the CSV export."""
    chart = dataclasses.replace(
        metrics.TABLES["sessions-per-week"].chart, label="{day}", options={"y_label": "Sessions"}
    )
    monkeypatch.setitem(
        metrics.TABLES,
        "busiest-days",
        ReportTable(
            slug="busiest-days",
            title="Busiest days",
            section="activity",
            columns=(Column("day", "Day"), Column("sessions", "Sessions")),
            compute=_busiest_days,
            note="Sessions by the day of the week they started on.",
            chart=chart,
        ),
    )
    assert metrics.declaration_problems() == []
    TreatmentSessionFactory(clinic=clinic, client=ClientFactory(clinic=clinic))  # the clinic has some history
    html = owner_client.get(reverse("reports:dashboard")).content.decode()
    activity = html.split('id="activity-heading"', 1)[1].split('class="report-section"', 1)[0]
    assert 'id="table-busiest-days-heading">Busiest days</h3>' in activity
    assert "<title>Tuesday: 3</title>" in activity
    assert "Sessions by the day of the week they started on." in activity
    body = owner_client.get(reverse("reports:export", args=["busiest-days"])).content.decode("utf-8-sig")
    assert body.split("\r\n")[:3] == ["Day,Sessions", "Tuesday,3", "Friday,1"]


# --- One chart toolkit, one number formatter ----------------------------------------------


def test_pain_before_and_after_look_the_same_on_the_client_page_and_on_the_reports():
    class Session:
        def __init__(self, day, before, after):
            self.started_at = dt.datetime(2026, 1, day, 10, tzinfo=dt.UTC)
            self.pain_before, self.pain_after = before, after

    client_chart = PainChart.from_sessions([Session(5, 7, 4), Session(12, 5, 2)], "Europe/London").svg()
    table = metrics.TABLES["pain-by-session-number"]
    report_chart = metrics.chart_for(
        Table(slug=table.slug, title=table.title, columns=[], rows=[(1, 2, 6.0, 3.0), (2, 2, 5.0, 2.5)])
    )

    def strokes(svg: str) -> list[tuple[str, str | None]]:
        return re.findall(
            r'<polyline points="[^"]*" fill="none" stroke="([^"]+)" stroke-width="2.5"'
            r'(?: stroke-dasharray="([^"]+)")?',
            str(svg),
        )

    expected = [(PAIN_BEFORE.colour, ""), (PAIN_AFTER.colour, PAIN_AFTER.dash)]
    assert strokes(client_chart) == strokes(report_chart) == expected


def test_a_table_keeps_its_decimal_and_a_chart_drops_a_trailing_zero():
    assert [cell_text(v) for v in (5.0, 2.34, Percent(40.0), 7, None)] == ["5.0", "2.3", "40.0%", "7", "—"]
    assert [number_text(v) for v in (5.0, 2.5, 7, 0.2, -0.01)] == ["5", "2.5", "7", "0.2", "0"]
