"""The report pages as the clinic sees them: the dashboard, the CSV exports and the
client's progress report.

The fixture is a small clinic: Priya's client Alma (two sessions, an attended and a
missed appointment, two routine emails and her answers) and her colleague Pat's client
Basil (one session). Tests read the page as a user would: the figures, the messages by
the fields, what is and is not there.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from outbox.models import Delivery
from routines.models import CheckIn
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    DeliveryFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    SignedSessionFactory,
    UserFactory,
)

DASHBOARD = reverse("reports:dashboard")
SLUGS = [
    "sessions-per-week",
    "clients",
    "practitioners",
    "appointments",
    "routines",
    "pain-by-session-number",
    "first-to-latest",
    "sessions-to-relief",
    "adherence-bands",
    "zones",
]
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def colleague(clinic):
    return UserFactory(username="pat", first_name="Pat", last_name="Colleague", clinic=clinic)


def _ago(days: int, hour: int = 10) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def make_history(clinic, practitioner, colleague, copies: int = 1) -> dict:
    """`copies` times over: Alma (Priya's) and Basil (Pat's) with sessions in the last
    four weeks, appointments, pressure notes, routine emails and check-ins."""
    spine = ReflexZoneFactory(clinic=clinic, code="rpt-spine", name="Lumbar spine")
    neck = ReflexZoneFactory(clinic=clinic, code="rpt-neck", name="Neck", x=40, y=20)
    made: dict = {}
    for n in range(copies):
        suffix = "" if n == 0 else f" {n}"
        hour = 9 + n  # one-hour appointments of one practitioner must not overlap (PostgreSQL checks)
        alma = ClientFactory(
            clinic=clinic, first_name="Alma", last_name=f"Fairweather{suffix}", practitioner=practitioner
        )
        basil = ClientFactory(clinic=clinic, first_name="Basil", last_name=f"Hedgerow{suffix}", practitioner=colleague)
        first_appt = AppointmentFactory(
            clinic=clinic,
            client=alma,
            practitioner=practitioner,
            starts_at=_ago(10, hour),
            ends_at=_ago(10, hour) + dt.timedelta(hours=1),
            status=Appointment.Status.ATTENDED,
        )
        AppointmentFactory(
            clinic=clinic,
            client=alma,
            practitioner=practitioner,
            starts_at=_ago(6, hour),
            ends_at=_ago(6, hour) + dt.timedelta(hours=1),
            status=Appointment.Status.NO_SHOW,
        )
        first = SignedSessionFactory(
            clinic=clinic,
            client=alma,
            practitioner=practitioner,
            appointment=first_appt,
            started_at=_ago(10, hour),
            pain_before=7,
            pain_after=4,
        )
        second = SignedSessionFactory(
            clinic=clinic, client=alma, practitioner=practitioner, started_at=_ago(3), pain_before=5, pain_after=2
        )
        SignedSessionFactory(
            clinic=clinic, client=basil, practitioner=colleague, started_at=_ago(4), pain_before=6, pain_after=5
        )
        PressureNoteFactory(session=first, zone=spine, response="tender")
        PressureNoteFactory(session=first, zone=neck)
        PressureNoteFactory(session=second, zone=spine)
        routine = RoutineFactory(clinic=clinic, client=alma, created_by=practitioner, session=first)
        for days, answers in ((5, ("done",)), (4, ("done", "pain")), (3, ())):
            local_date = timezone.localdate() - dt.timedelta(days=days)
            delivery = DeliveryFactory(routine=routine, local_date=local_date, status=Delivery.Status.SENT)
            for kind in answers:
                CheckIn.objects.create(
                    clinic=clinic,
                    client=alma,
                    delivery=delivery,
                    kind=kind,
                    pain=3 if kind == "pain" else None,
                    local_date=local_date,
                )
        made.setdefault("alma", alma)
        made.setdefault("basil", basil)
    return made


@pytest.fixture
def history(clinic, practitioner, colleague):
    return make_history(clinic, practitioner, colleague)


def _text(response) -> str:
    """The page as words: tags removed, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<svg\b.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _kpi(response, label: str) -> str:
    match = re.search(
        rf'<div class="kpi-label">{re.escape(label)}</div>\s*<div class="kpi-value">([^<]*)</div>',
        response.content.decode(),
    )
    assert match, f"no KPI card {label!r}"
    return match.group(1)


def _assert_no_junk(response):
    text = _text(response)
    for junk in ("None", "NaN", "nan%", "inf"):
        assert not re.search(rf"\b{re.escape(junk)}\b", text), junk


# --- Dashboard ---------------------------------------------------------------------


def test_dashboard_shows_the_clinics_figures_for_the_last_four_weeks(owner_client, history):
    response = owner_client.get(DASHBOARD)
    assert response.status_code == 200
    assert _kpi(response, "Sessions") == "3"
    assert _kpi(response, "Active clients") == "2"
    assert _kpi(response, "No-show rate") == "50.0%"
    assert _kpi(response, "Home-routine adherence") == "66.7%"
    text = _text(response)
    assert "everyone at the clinic" in text
    headings = re.findall(r'<h2 class="h4" id="[a-z]+-heading">([^<]+)</h2>', response.content.decode())
    assert headings == ["Activity", "Appointments", "Home routines", "Outcomes", "Reflex zones"]
    assert "Pat Colleague" in text and "Priya Practitioner" in text
    assert "Lumbar spine" in text
    _assert_no_junk(response)


def test_every_chart_stands_beside_its_table_with_a_csv_link_carrying_the_same_query(owner_client, history):
    response = owner_client.get(DASHBOARD, {"range": "quarter"})
    html = response.content.decode()
    for slug in SLUGS:
        assert f'href="/reports/export/{slug}.csv?range=quarter"' in html, slug
    # Charts are images with a text alternative; the drawn ones are those with data.
    assert html.count('role="img" aria-labelledby="rc-report-chart-') == 6
    assert 'id="relief-definition"' in html
    definition = _text(response).split("How relief is counted.")[1][:300]
    assert "pain was 2 or less" in definition and "at most half" in definition


def test_owner_can_narrow_the_dashboard_to_one_practitioner(owner_client, history, colleague):
    response = owner_client.get(DASHBOARD, {"practitioner": colleague.pk})
    assert _kpi(response, "Sessions") == "1"
    assert _kpi(response, "Active clients") == "1"
    text = _text(response)
    assert "clients of Pat Colleague" in text
    assert "Priya Practitioner" not in text.split("Practitioners", 1)[1]


def test_practitioner_sees_only_their_own_clients_whatever_the_query_string_says(
    practitioner_client, history, colleague
):
    response = practitioner_client.get(DASHBOARD, {"practitioner": colleague.pk})
    assert response.status_code == 200
    assert _kpi(response, "Sessions") == "2"
    assert _kpi(response, "Active clients") == "1"
    text = _text(response)
    assert "your clients" in text
    assert "Pat Colleague" not in text
    # Practitioners get no practitioner filter at all.
    assert 'name="practitioner"' not in response.content.decode()


def test_a_practitioner_of_another_clinic_in_the_filter_is_refused_by_the_field(
    owner_client, history, other_practitioner
):
    response = owner_client.get(DASHBOARD, {"practitioner": other_practitioner.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="id_practitioner-error">Choose a practitioner of this clinic\.', html)
    assert "Oscar" not in html
    # The figures fall back to the whole clinic.
    assert _kpi(response, "Sessions") == "3"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"range": "custom", "start": "2025-05-10", "end": "2025-05-01"},
            "end",
            "The last day is before the first day.",
        ),
        ({"range": "custom", "start": "the 10th", "end": "2025-05-20"}, "start", "Enter a date like"),
        ({"range": "custom", "start": "2025-05-10"}, "end", "Choose the last day of the range."),
        ({"range": "fortnight"}, "range", "Choose a period from the list."),
    ],
)
def test_a_bad_range_shows_the_error_by_the_field_and_the_page_still_renders(
    owner_client, history, query, field, message
):
    response = owner_client.get(DASHBOARD, query)
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(rf'<div class="invalid-feedback" id="id_{field}-error">([^<]*)</div>', html)
    assert error and message in error.group(1)
    assert f'id="id_{field}" ' in html and 'aria-invalid="true"' in html
    # The default period is shown instead.
    assert _kpi(response, "Sessions") == "3"
    _assert_no_junk(response)


def test_a_custom_range_without_sessions_says_so_instead_of_drawing_empty_charts(owner_client, history):
    response = owner_client.get(DASHBOARD, {"range": "custom", "start": "2020-01-06", "end": "2020-01-26"})
    assert response.status_code == 200
    assert _kpi(response, "Sessions") == "0"
    text = _text(response)
    assert "No sessions in this period, so there is nothing to draw." in text
    assert "No pressure notes were recorded in this period." in text
    assert "rc-report-chart--" not in response.content.decode()
    _assert_no_junk(response)


def test_a_new_clinic_gets_a_page_that_explains_what_will_appear_and_how_to_start(owner_client):
    response = owner_client.get(DASHBOARD)
    assert response.status_code == 200
    text = _text(response)
    assert "Your reports will appear here once the clinic has some history" in text
    assert "Book an appointment" in text and "record the session" in text
    html = response.content.decode()
    assert f'href="{reverse("appointments:book")}"' in html
    assert "<svg" not in html and "kpi-value" not in html
    _assert_no_junk(response)


def test_a_practitioner_without_clients_gets_the_how_to_start_page_even_in_a_busy_clinic(
    clinic, colleague, history, client
):
    newcomer = UserFactory(username="nina", first_name="Nina", last_name="New", clinic=clinic)
    client.force_login(newcomer)
    text = _text(client.get(DASHBOARD))
    assert "None of your clients has an appointment or a session yet" in text
    assert "Alma" not in text and "Pat Colleague" not in text


def test_the_dashboard_prints_without_navigation_filters_or_buttons(owner_client, history):
    html = owner_client.get(DASHBOARD).content.decode()
    assert "reports/reports.css" in html
    assert "data-print hidden" in html
    print_rules = _css().split("@media print", 1)[1]
    for selector in ("nav.navbar", ".report-filters", ".btn", "break-inside: avoid"):
        assert selector in print_rules


# --- CSV export ----------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_every_table_downloads_as_csv_with_a_byte_order_mark(owner_client, history, slug):
    response = owner_client.get(reverse("reports:export", args=[slug]), {"range": "quarter"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert slug in response["Content-Disposition"]
    body = response.content
    assert body.startswith(BOM)
    header = body[len(BOM) :].decode("utf-8").split("\r\n", 1)[0]
    assert header.count(",") >= 1


def test_csv_holds_the_same_figures_as_the_page(owner_client, history):
    body = owner_client.get(reverse("reports:export", args=["practitioners"])).content.decode("utf-8-sig")
    lines = body.strip().split("\r\n")
    assert lines[0].startswith("Practitioner,Sessions,Clients seen")
    names = sorted(line.split(",")[0] for line in lines[1:])
    assert names == ["Pat Colleague", "Priya Practitioner"]


def test_an_unknown_table_is_a_not_found_page(owner_client, history):
    response = owner_client.get(reverse("reports:export", args=["salaries"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_practitioners_export_covers_only_their_own_clients(practitioner_client, history, colleague):
    response = practitioner_client.get(
        reverse("reports:export", args=["practitioners"]), {"practitioner": colleague.pk}
    )
    body = response.content.decode("utf-8-sig")
    assert "Priya Practitioner" in body
    assert "Pat Colleague" not in body


# --- Client progress report -------------------------------------------------------------


def test_client_report_tells_the_client_their_progress_in_plain_words(owner_client, history, practitioner):
    alma = history["alma"]
    response = owner_client.get(reverse("reports:client_report", args=[alma.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert "Your reflexology progress, Alma" in text
    assert "You have had 2 sessions" in text
    assert (
        "You rated your pain 7 out of 10 when you came to your first session, and 2 out of 10 after your latest" in text
    )
    assert "You told us you did your home routine after 2 of the 3 routine emails we sent (67%)" in text
    assert "Reflexology is a complementary practice" in text and "see your doctor" in text
    for claim in ("cure", "heal", "treats "):
        assert claim not in text.lower()
    html = response.content.decode()
    # Pain over time, the same chart as the client page, including the pain reported at home.
    assert 'class="pain-chart"' in html and "At-home pain" in html
    # Sessions: date, who, pain before and after, zones worked.
    rows = re.findall(r"<tr>\s*<th scope=\"row\" class=\"fw-normal num\">(\d+)</th>(.*?)</tr>", html, flags=re.S)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", r[1]) for r in rows]
    assert [c[1:] for c in cells] == [["Priya Practitioner", "7", "4", "2"], ["Priya Practitioner", "5", "2", "1"]]
    # Check-ins, one line a day, newest first.
    assert "Did the routine · Pain 3 out of 10" in text
    assert "data-print" in html and "@media print" in _css()
    _assert_no_junk(response)


def test_client_report_of_a_client_without_sessions_says_so_kindly(owner_client, clinic):
    newcomer = ClientFactory(clinic=clinic, first_name="Cora", last_name="Newleaf")
    response = owner_client.get(reverse("reports:client_report", args=[newcomer.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert "You have not had a session yet." in text
    assert "No home-routine emails have been sent to you yet." in text
    assert "<svg" not in response.content.decode()
    _assert_no_junk(response)


def test_the_client_page_links_to_the_progress_report(owner_client, history):
    alma = history["alma"]
    html = owner_client.get(reverse("clients:detail", args=[alma.pk])).content.decode()
    assert f'href="{reverse("reports:client_report", args=[alma.pk])}"' in html


def test_another_clinics_client_report_is_not_found(other_client, history):
    response = other_client.get(reverse("reports:client_report", args=[history["alma"].pk]))
    assert response.status_code == 404
    assert "Alma" not in response.content.decode()


def _css() -> str:
    with open(finders.find("reports/reports.css"), encoding="utf-8") as f:
        return f.read()


# --- Query counts ------------------------------------------------------------------------
# Pinned: the same number of queries with three times the data.

DASHBOARD_QUERIES = 17
EXPORT_QUERIES = 4
CLIENT_REPORT_QUERIES = 9


@pytest.mark.parametrize("copies", [1, 3])
def test_dashboard_query_count_is_pinned(
    owner_client, clinic, practitioner, colleague, copies, django_assert_num_queries
):
    make_history(clinic, practitioner, colleague, copies=copies)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert owner_client.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("copies", [1, 3])
def test_export_query_count_is_pinned(owner_client, clinic, practitioner, colleague, copies, django_assert_num_queries):
    make_history(clinic, practitioner, colleague, copies=copies)
    with django_assert_num_queries(EXPORT_QUERIES):
        assert owner_client.get(reverse("reports:export", args=["sessions-to-relief"])).status_code == 200


@pytest.mark.parametrize("copies", [1, 3])
def test_client_report_query_count_is_pinned(
    owner_client, clinic, practitioner, colleague, copies, django_assert_num_queries
):
    alma = make_history(clinic, practitioner, colleague, copies=copies)["alma"]
    # Three times the sessions and emails for the same client.
    for _ in range(copies - 1):
        SignedSessionFactory(clinic=clinic, client=alma, practitioner=practitioner, started_at=_ago(2))
    with django_assert_num_queries(CLIENT_REPORT_QUERIES):
        assert owner_client.get(reverse("reports:client_report", args=[alma.pk])).status_code == 200
