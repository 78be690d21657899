"""Reporting: the dashboard, CSV exports of every table, and the per-client progress report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.tenancy import clinic_required
from audit.services import audit_view
from clients import selectors as client_selectors
from clients.charts import PainChart
from routines import selectors as routine_selectors
from sessions.charts import zone_heat
from sessions.models import ReflexZone

from . import metrics
from . import selectors as report_selectors
from .csv import csv_response
from .scope import clinic_today, notes_qs, scope_and_form
from .tables import ReportTable, Section, Table, cell_text


@dataclass
class Block:
    """One table of the dashboard as the template draws it."""

    table: Table
    declaration: ReportTable
    csv_url: str

    @cached_property
    def chart(self) -> SafeString:
        return metrics.chart_for(self.table)

    @property
    def charted(self) -> bool:
        return self.declaration.chart is not None

    @property
    def no_chart(self) -> str:
        return self.declaration.chart.empty if self.declaration.chart else ""

    @property
    def no_rows(self) -> str:
        return self.declaration.empty

    @property
    def chart_cols(self) -> str:
        # Narrow tables sit beside their chart; wider ones from extra-large screens on,
        # and the widest (zones) below it, so no table needs a sideways scroll.
        return {2: "col-lg-7", 3: "col-lg-7", 4: "col-xl-6"}.get(len(self.table.columns), "col-12")

    @property
    def table_cols(self) -> str:
        return {2: "col-lg-5", 3: "col-lg-5", 4: "col-xl-6"}.get(len(self.table.columns), "col-12")

    @property
    def show_note(self) -> bool:
        return bool(self.table.note) and not self.declaration.note_in_section

    @property
    def _numeric(self) -> list[bool]:
        # A column is numeric when every filled cell is a number (None shows as a dash);
        # the first column names the row, so it reads as text even when it is a number.
        return [
            i > 0
            and all(isinstance(row[i], int | float | Decimal) for row in self.table.rows if row[i] is not None)
            and any(row[i] is not None for row in self.table.rows)
            for i in range(len(self.table.columns))
        ]

    @property
    def header(self) -> list[tuple[str, bool]]:
        return list(zip(self.table.columns, self._numeric, strict=True))

    @property
    def rows(self) -> list[list[tuple[str, bool]]]:
        numeric = self._numeric
        return [
            [(text, numeric[i]) for i, text in enumerate(row)]
            for row in (tuple(_display(v) for v in r) for r in self.table.rows)
        ]

    @property
    def body(self) -> SafeString:
        """The table's rows as HTML: the first cell heads its row, numbers align right.
        Joined here rather than looped in the template, whose lookups per cell were most
        of the page's drawing time."""
        cells = (
            format_html_join("", "{}{}{}", (_cell(i == 0, numeric, text) for i, (text, numeric) in enumerate(row)))
            for row in self.rows
        )
        return format_html_join("\n", "<tr>{}</tr>", ((row,) for row in cells))


@dataclass
class SectionBlocks:
    """A dashboard section as the template draws it: its declaration and its tables' blocks."""

    section: Section
    blocks: list[Block]

    @property
    def notes(self) -> str:
        """The notes its tables leave to the section (the relief definition)."""
        return " ".join(b.table.note for b in self.blocks if b.declaration.note_in_section)


# A cell's opening and closing tags: the first cell heads its row, numbers align right.
_CELL_TAGS = {
    (True, False): (mark_safe('<th scope="row" class="fw-normal">'), mark_safe("</th>")),
    (True, True): (mark_safe('<th scope="row" class="fw-normal num">'), mark_safe("</th>")),
    (False, False): (mark_safe("<td>"), mark_safe("</td>")),
    (False, True): (mark_safe('<td class="num">'), mark_safe("</td>")),
}


def _cell(first: bool, numeric: bool, text: str) -> tuple[SafeString, str, SafeString]:
    opening, closing = _CELL_TAGS[first, numeric]
    return opening, text, closing


def _display(value) -> str:
    text = cell_text(value)
    # Weeks read as dates ("3 Mar 2025") on the page; the CSV keeps ISO dates.
    if hasattr(value, "strftime"):
        return f"{value.day} {value:%b %Y}"
    return text


def _who(scope, user) -> str:
    if scope.practitioner is None:
        return "everyone at the clinic"
    if scope.practitioner == user and not user.is_owner:
        return "your clients"
    return f"clients of {scope.practitioner.get_full_name() or scope.practitioner.username}"


@clinic_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope, form = scope_and_form(request)
    context = {
        "form": form,
        "scope": scope,
        "scope_label": scope.label,
        "who": _who(scope, request.user),
        "practitioner_view": not request.user.is_owner,
    }
    if not report_selectors.has_history(scope):
        return render(request, "reports/dashboard.html", {**context, "empty": True})
    tables = metrics.build(scope)
    query = request.GET.urlencode()
    blocks = [
        Block(
            table=table,
            declaration=metrics.TABLES[slug],
            csv_url=reverse("reports:export", args=[slug]) + (f"?{query}" if query else ""),
        )
        for slug, table in tables.items()
    ]
    return render(
        request,
        "reports/dashboard.html",
        {
            **context,
            "empty": False,
            "kpis": metrics.headline(scope, tables).values(),
            "sections": [
                SectionBlocks(section, [b for b in blocks if b.declaration.section == section.slug])
                for section in metrics.SECTIONS
            ],
            # The zones table's tally serves the heat map too: the notes are read once.
            "heat": zone_heat(
                notes_qs(scope),
                ReflexZone.objects.filter(clinic=scope.clinic, is_active=True),
                tally=metrics.zone_tally(scope),
            ),
        },
    )


@clinic_required
def export_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in metrics.TABLES:
        raise Http404("There is no report table of that name.")
    scope, _form = scope_and_form(request)
    built = metrics.build(scope, [table])[table]
    return csv_response(built, f"{request.clinic.slug}-{table}-{scope.start:%Y-%m-%d}-to-{scope.end:%Y-%m-%d}.csv")


@clinic_required
def client_report(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_selectors.client_for_page(clinic=request.clinic, pk=pk)
    audit_view(request, client, "progress report")
    sessions = report_selectors.client_sessions(client)
    home_pain = routine_selectors.home_pain(client)
    check_ins, more = report_selectors.client_check_in_days(client)
    first, last = (sessions[0], sessions[-1]) if sessions else (None, None)
    return render(
        request,
        "reports/client_report.html",
        {
            "client": client,
            "today": clinic_today(request.clinic),
            "sessions": sessions,
            "last_session": last,
            "first_pain": first.pain_before if first else None,
            "latest_pain": last.pain_after if last else None,
            "pain_chart": PainChart.from_sessions(sessions, request.clinic.timezone, home=home_pain),
            "home_pain": home_pain,
            "latest_home_pain": home_pain[-1][1] if home_pain else None,
            "adherence": routine_selectors.adherence(client),
            "check_ins": check_ins,
            "check_ins_more": more,
        },
    )
