"""What needs attention is in one place (issue 10, item 10): a practitioner's own list,
the owner's list for the whole clinic, and the count in the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_cancel
from attention.selectors import SOURCES, Scope, attention_count
from audit.actor import CLIENT_VIA_LINK, acting_as
from booking.models import BookingHold
from clients.models import ClientHealthFlag, ConsentKind, ConsentSource, HealthFlag
from clients.services import consent_record
from intake.models import IntakeSubmission
from outbox.models import Delivery
from permission.models import PermissionRequest, PermissionStatus
from routines.checkins import checkin_record
from routines.models import CheckIn
from tests.factories import (
    AppointmentFactory,
    BookingHoldFactory,
    ClientFactory,
    DeliveryFactory,
    IntakeSubmissionFactory,
    RoutineFactory,
    SignedSessionFactory,
    TreatmentSessionFactory,
    UserFactory,
)


def _loose_ends(clinic, practitioner, name: str) -> None:
    """One of each kind of loose end for `practitioner`'s client called `name`, and one of
    each that is done and needs nothing."""
    now = timezone.now()
    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name=name, last_name="Loose")
    ClientHealthFlag.objects.create(client=client, flag=HealthFlag.SERIOUS_BACK_INJURY)  # no clearance recorded
    TreatmentSessionFactory(clinic=clinic, client=client, practitioner=practitioner, started_at=now)
    SignedSessionFactory(clinic=clinic, client=client, practitioner=practitioner, started_at=now)
    routine = RoutineFactory(clinic=clinic, client=client)
    failed = DeliveryFactory(routine=routine, status=Delivery.Status.FAILED, last_error="550 Mailbox does not exist")
    checkin_record(delivery=failed, kind=CheckIn.Kind.STOP)  # the client stops the emails from the link
    DeliveryFactory(routine=routine, status=Delivery.Status.SENT, local_date=timezone.localdate() - dt.timedelta(1))
    start = now - dt.timedelta(hours=3)
    AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=start - dt.timedelta(days=1),
        ends_at=start - dt.timedelta(days=1, hours=-1),
        status=Appointment.Status.ATTENDED,
    )
    # A GP letter unanswered for three weeks; and, for a namesake, a GP's permission that ended
    # yesterday (docs/domain.md, rule 16); a letter of yesterday needs nothing yet.
    asked = {"clinic": clinic, "flags": [HealthFlag.SERIOUS_BACK_INJURY.value], "requested_by": practitioner}
    PermissionRequest.objects.create(client=client, requested_at=now - dt.timedelta(days=21), **asked)
    namesake = ClientFactory(clinic=clinic, practitioner=practitioner, first_name=name, last_name="Loose")
    PermissionRequest.objects.create(
        client=namesake,
        requested_at=now - dt.timedelta(days=90),
        status=PermissionStatus.PERMITTED,
        received_on=timezone.localdate() - dt.timedelta(days=80),
        expires_on=timezone.localdate() - dt.timedelta(days=1),
        **asked,
    )
    # A request to book online, waiting for the clinic; a slot still waiting for the client's own
    # confirmation needs nothing from the clinic yet.
    BookingHoldFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name=name,
        last_name="Loose",
        status=BookingHold.Status.REQUESTED,
    )
    BookingHoldFactory(clinic=clinic, practitioner=practitioner, first_name="Fresh", last_name="Letter")
    fresh = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Fresh", last_name="Letter")
    PermissionRequest.objects.create(client=fresh, requested_at=now - dt.timedelta(days=1), **asked)
    # Cancelled by the client from their email (booking/changes.py), for a time still to come.
    later = now + dt.timedelta(days=3)
    cancelled = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=later, ends_at=later + dt.timedelta(hours=1)
    )
    with acting_as(CLIENT_VIA_LINK):
        appointment_cancel(appointment=cancelled)
    IntakeSubmissionFactory(link__client=client)
    IntakeSubmissionFactory(link__client=client, status=IntakeSubmission.Status.REVIEWED)


@pytest.fixture
def colleague(clinic):
    return UserFactory(clinic=clinic, username="pat", first_name="Pat", last_name="Colleague")


@pytest.fixture
def loose_ends(clinic, practitioner, colleague):
    _loose_ends(clinic, practitioner, "Mine")
    _loose_ends(clinic, colleague, "Theirs")


def _section(page: str, title: str) -> str:
    start = page.index(title)
    return page[start : page.index("</section>", start)]


def test_a_practitioner_sees_their_own_drafts_failed_emails_opt_outs_flags_awaiting_clearance_past_booked_and_intakes(
    practitioner_client, loose_ends
):
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    for title in (
        "Sessions waiting to be signed",
        "Emails that could not be sent",
        "Clients who stopped their emails",
        "Flags awaiting clearance from a physician",
        "GP letters unanswered after 14 days",
        "Medical permissions that have expired",
        "Online booking requests to accept or decline",
        "Past appointments still marked booked",
        "Appointments clients moved or cancelled",
        "Intake answers waiting for review",
    ):
        section = _section(page, title)
        assert section.count("Mine Loose") == 1, title
        assert "Theirs Loose" not in section, title
    assert "550 Mailbox does not exist" in _section(page, "Emails that could not be sent")
    assert "Serious back injury: no clearance recorded" in _section(page, "Flags awaiting clearance")
    assert "Fresh Letter" not in page
    assert "10 things to look at in your own work" in page


def test_the_owner_sees_every_practitioners_loose_ends_and_a_practitioner_cannot(
    owner_client, practitioner_client, loose_ends
):
    page = owner_client.get(reverse("attention:clinic")).content.decode()
    assert "Needs attention: the whole clinic" in page
    for source in SOURCES:
        section = _section(page, source.title)
        assert "Mine Loose" in section and "Theirs Loose" in section, source.title
    assert practitioner_client.get(reverse("attention:clinic")).status_code == 404


def test_an_empty_list_says_nothing_needs_attention(practitioner_client):
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    assert "Nothing needs attention" in page
    assert "Every session is signed." in page


def test_the_navigation_links_to_the_list_and_its_count_is_every_source_in_one_query(
    practitioner_client, owner_client, clinic, practitioner, loose_ends
):
    page = practitioner_client.get(reverse("appointments:day")).content.decode()
    assert f'href="{reverse("attention:mine")}">Needs attention' in page
    assert f'data-src="{reverse("attention:count")}"' in page
    assert practitioner_client.get(reverse("attention:count")).json() == {"count": 10}
    assert owner_client.get(reverse("attention:count")).json() == {"count": 20}

    with CaptureQueriesContext(connection) as queries:
        assert attention_count(Scope(clinic, practitioner)) == 10
    assert len(queries) == 1


def test_a_client_who_stopped_the_emails_and_then_agreed_again_no_longer_needs_attention(
    practitioner_client, clinic, practitioner
):
    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Ada", last_name="Again")
    delivery = DeliveryFactory(routine=RoutineFactory(clinic=clinic, client=client))
    checkin_record(delivery=delivery, kind=CheckIn.Kind.STOP, one_click=True)
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    section = _section(page, "Clients who stopped their emails")
    assert "Ada Again" in section and "the one-click unsubscribe of their mail program" in section

    consent_record(
        client=client, kind=ConsentKind.ROUTINE_EMAILS, given=True, source=ConsentSource.RENEWED, note="Said yes"
    )
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    assert "Ada Again" not in page
