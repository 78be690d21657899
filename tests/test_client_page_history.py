"""The client page stays the same size however long the client's history (issue 13).

It lists the appointments still to come and the latest past lines of the timeline, and
charts the latest signed sessions; older lines are a link away, a page at a time
(docs/domain.md, "The client page"), and the progress report charts every session.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.models import AuditEntry
from routines.models import CheckIn
from sessions.client_page import PAIN_CHART_LENGTH, TIMELINE_LENGTH
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    DeliveryFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    RoutineFactory,
    SignedSessionFactory,
)

pytestmark = pytest.mark.django_db

OLDER = "Show older appointments and sessions"


def client_with_sessions(
    clinic, practitioner, n: int, *, hour: int = 10, last_name: str = "Lindqvist", emailed_weeks: int | None = None
):
    """A client with `n` weekly attended appointments, each with a signed session with
    pressure notes on two zones (newest a day ago), and an at-home pain score from a
    routine email between each two (in the last `emailed_weeks` weeks only, if given)."""
    client = ClientFactory(clinic=clinic, first_name="Maren", last_name=last_name, practitioner=practitioner)
    zones = [ReflexZoneFactory(clinic=clinic, code=code) for code in ("lumbar", "neck")]
    latest = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    routine = RoutineFactory(clinic=clinic, client=client, created_by=practitioner)
    for k in range(n):
        when = latest - dt.timedelta(weeks=k)
        appointment = AppointmentFactory(
            clinic=clinic, client=client, practitioner=practitioner, starts_at=when, status=Appointment.Status.ATTENDED
        )
        session = SignedSessionFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            appointment=appointment,
            started_at=when,
            pain_before=7,
            pain_after=4,
            focus=f"Visit {n - k:02d}",
        )
        for zone in zones:
            PressureNoteFactory(session=session, zone=zone, response="tender")
        if emailed_weeks is not None and k >= emailed_weeks:
            continue
        delivery = DeliveryFactory(routine=routine, local_date=when.date() + dt.timedelta(days=3))
        CheckIn.objects.create(
            clinic=clinic, client=client, delivery=delivery, kind="pain", pain=5, local_date=delivery.local_date
        )
    return client


def shown_sessions(page: str) -> list[str]:
    return re.findall(r"Session: <strong>(Visit \d+)</strong>", page)


def test_a_client_with_60_sessions_has_a_page_no_bigger_than_one_with_10(
    practitioner_client, clinic, practitioner, django_assert_num_queries
):
    # The same routine emails for both (their log on the page is the latest 30, whatever the history).
    ten = client_with_sessions(clinic, practitioner, 10, hour=9, last_name="Lindqvist", emailed_weeks=10)
    sixty = client_with_sessions(clinic, practitioner, 60, hour=15, last_name="Lindgrenn", emailed_weeks=10)

    sizes = {}
    for client in (ten, sixty):
        # The same queries for both: none of them reads further back the longer the history
        # (20: the page's own, the intake panel's two and the GP permission requests).
        with django_assert_num_queries(20):
            response = practitioner_client.get(reverse("clients:detail", args=[client.pk]))
        sizes[client.pk] = len(response.content)
    # Within 2%: "60" against "10", and the dates the chart writes.
    assert sizes[sixty.pk] <= sizes[ten.pk] * 1.02, sizes

    page = practitioner_client.get(reverse("clients:detail", args=[sixty.pk])).content.decode()
    assert shown_sessions(page) == [f"Visit {n}" for n in range(60, 50, -1)]
    assert "the latest 10 of 60 sessions" in page
    assert "The latest 10 of 60 sessions; the" in page
    assert reverse("reports:client_report", args=[sixty.pk]) in page
    assert OLDER in page
    assert OLDER not in practitioner_client.get(reverse("clients:detail", args=[ten.pk])).content.decode()


def test_older_appointments_and_sessions_are_a_page_at_a_time_until_the_first(
    practitioner_client, clinic, practitioner, django_assert_num_queries
):
    client = client_with_sessions(clinic, practitioner, 25)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    second = f"{reverse('sessions:client_history', args=[client.pk])}?page=2"
    assert second in page

    with django_assert_num_queries(7):
        response = practitioner_client.get(second)
    older = response.content.decode()
    assert "Maren Lindqvist: older appointments and sessions" in older
    assert shown_sessions(older) == [f"Visit {n:02d}" for n in range(15, 5, -1)]
    assert f"{reverse('sessions:client_history', args=[client.pk])}?page=3" in older

    last = practitioner_client.get(reverse("sessions:client_history", args=[client.pk]) + "?page=3").content.decode()
    assert shown_sessions(last) == [f"Visit {n:02d}" for n in range(5, 0, -1)]
    assert OLDER not in last
    # Each session opens from its line.
    first = client.treatment_sessions.get(focus="Visit 01")
    assert reverse("sessions:detail", args=[first.pk]) in last
    # Looking at the history is an access to the client's record, like the client page.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, what="client history").count() == 2


@pytest.mark.parametrize("raw", ["", "abc", "0", "-1", "²", "99999999999999999999999", "9" * 30])
def test_a_garbled_or_huge_page_number_shows_a_page_never_an_error(practitioner_client, clinic, practitioner, raw):
    client = client_with_sessions(clinic, practitioner, 3)
    response = practitioner_client.get(reverse("sessions:client_history", args=[client.pk]), {"page": raw})
    assert response.status_code == 200
    assert "older appointments and sessions" in response.content.decode()


def test_appointments_to_come_stay_on_the_client_page_above_the_latest_past_lines(
    practitioner_client, clinic, practitioner
):
    client = client_with_sessions(clinic, practitioner, 12)
    start = timezone.now().replace(hour=11, minute=0, second=0, microsecond=0)
    upcoming = [
        AppointmentFactory(
            clinic=clinic, client=client, practitioner=practitioner, starts_at=start + dt.timedelta(days=7 * k + 2)
        )
        for k in range(12)
    ]
    response = practitioner_client.get(reverse("clients:detail", args=[client.pk]))
    entries = response.context["timeline"].entries
    assert [e.appointment for e in entries[:12]] == upcoming[::-1]
    assert len(entries) == 12 + TIMELINE_LENGTH
    assert shown_sessions(response.content.decode()) == [f"Visit {n:02d}" for n in range(12, 2, -1)]


def test_the_pain_chart_draws_the_latest_sessions_numbered_from_the_first_and_the_report_all(
    practitioner_client, clinic, practitioner
):
    client = client_with_sessions(clinic, practitioner, PAIN_CHART_LENGTH + 2)
    chart = practitioner_client.get(reverse("clients:detail", args=[client.pk])).context["pain_chart"]
    assert [p.number for p in chart.points] == list(range(3, PAIN_CHART_LENGTH + 3))
    assert chart.summary.startswith("Pain before and after each of the latest 10 of 12 sessions")
    # At-home scores from before the first session drawn are left out with it.
    assert chart.home and min(h.day for h in chart.home) >= chart.points[0].day

    report = practitioner_client.get(reverse("reports:client_report", args=[client.pk])).context["pain_chart"]
    assert [p.number for p in report.points] == list(range(1, PAIN_CHART_LENGTH + 3))


def test_another_clinic_gets_404_for_a_clients_older_history(other_client, clinic, practitioner):
    client = client_with_sessions(clinic, practitioner, 12)
    response = other_client.get(reverse("sessions:client_history", args=[client.pk]), {"page": 2})
    assert response.status_code == 404
    assert "Lindqvist" not in response.content.decode()
