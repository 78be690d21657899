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
from attention.selectors import CONSENT_AHEAD_DAYS, SOURCES, Scope, attention_count, attention_list
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
    # Consent to treatment due again (docs/domain.md, rule 14) for a client seen in two days; for
    # a client seen in three weeks it can wait, and a consent given after the change covers it.
    _consent_due(clinic, practitioner, name, "Loose", visit_in=dt.timedelta(days=2))
    _consent_due(clinic, practitioner, "Fresh", "Letter", visit_in=dt.timedelta(days=21))
    _consent_due(clinic, practitioner, "Fresh", "Letter", visit_in=dt.timedelta(days=2, hours=3), consented_since=True)


def _consent_due(clinic, practitioner, first, last, *, visit_in, consented_since=False):
    """A client whose health flags changed a day ago, after they consented a month ago (or, with
    `consented_since`, before they consented again), with a visit booked `visit_in` from now."""
    now = timezone.now()
    consented = now - (dt.timedelta(hours=1) if consented_since else dt.timedelta(days=30))
    client = ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name=first,
        last_name=last,
        consent_treatment_at=consented,
        health_changed_at=now - dt.timedelta(days=1),
    )
    start = now + visit_in
    AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    return client


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


def test_a_practitioner_sees_their_own_drafts_emails_opt_outs_clearances_consents_due_past_booked_and_intakes(
    practitioner_client, loose_ends
):
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    for title in (
        "Sessions waiting to be signed",
        "Emails that could not be sent",
        "Clients who stopped their emails",
        "Flags awaiting clearance from a physician",
        "Consent due again before a visit",
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
    assert "11 things to look at in your own work" in page


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
    assert practitioner_client.get(reverse("attention:count")).json() == {"count": 11}
    assert owner_client.get(reverse("attention:count")).json() == {"count": 22}

    with CaptureQueriesContext(connection) as queries:
        assert attention_count(Scope(clinic, practitioner)) == 11
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


def test_a_client_whose_consent_is_due_again_is_listed_before_their_visit_until_they_consent_again(
    practitioner_client, clinic, practitioner
):
    client = _consent_due(clinic, practitioner, "Ada", "Renew", visit_in=dt.timedelta(days=5))
    url = reverse("attention:mine")
    section = _section(practitioner_client.get(url).content.decode(), "Consent due again before a visit")
    assert "Ada Renew" in section and "Next visit" in section
    assert "health flags or treatment plan changed on" in section
    assert f'href="{reverse("clients:detail", args=[client.pk])}#consent-due"' in section
    # The client page it leads to offers the renewal link (docs/domain.md, rule 14).
    client_page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert 'id="consent-due"' in client_page and "a renewal link" in client_page

    consent_record(
        client=client, kind=ConsentKind.TREATMENT, given=True, source=ConsentSource.RENEWED, note="Said yes again"
    )
    page = practitioner_client.get(url).content.decode()
    assert "Ada Renew" not in page
    assert f"No client with a visit in the next {CONSENT_AHEAD_DAYS} days has consent due again." in page


def test_a_consent_due_again_without_a_visit_soon_or_with_a_cancelled_one_is_not_listed(
    practitioner_client, clinic, practitioner
):
    _consent_due(clinic, practitioner, "Ada", "Later", visit_in=dt.timedelta(days=CONSENT_AHEAD_DAYS, hours=1))
    cancelled = _consent_due(clinic, practitioner, "Bea", "Cancelled", visit_in=dt.timedelta(days=1))
    Appointment.objects.filter(client=cancelled).update(status=Appointment.Status.CANCELLED)
    archived = _consent_due(clinic, practitioner, "Cy", "Archived", visit_in=dt.timedelta(days=1))
    type(archived).objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    page = practitioner_client.get(reverse("attention:mine")).content.decode()
    section = _section(page, "Consent due again before a visit")
    assert "Ada Later" not in section and "Bea Cancelled" not in section and "Cy Archived" not in section
    assert practitioner_client.get(reverse("attention:count")).json() == {"count": 0}


def test_a_colleagues_client_whose_consent_is_due_shows_on_the_owners_list_only(
    practitioner_client, owner_client, clinic, colleague
):
    _consent_due(clinic, colleague, "Theo", "Colleague", visit_in=dt.timedelta(days=1))
    assert "Theo Colleague" not in practitioner_client.get(reverse("attention:mine")).content.decode()
    section = _section(owner_client.get(reverse("attention:clinic")).content.decode(), "Consent due again")
    assert "Theo Colleague" in section


def test_another_clinics_client_whose_consent_is_due_never_shows_on_the_list_or_in_the_count(
    other_client, other_clinic, clinic, practitioner
):
    _consent_due(clinic, practitioner, "Zed", "Elsewhere", visit_in=dt.timedelta(days=1))
    assert "Zed Elsewhere" not in other_client.get(reverse("attention:mine")).content.decode()
    assert other_client.get(reverse("attention:count")).json() == {"count": 0}
    # The other clinic's owner's list (the whole clinic) has nothing of this clinic either.
    assert not [item for section in attention_list(Scope(other_clinic)) for item in section.items]
    assert attention_count(Scope(other_clinic)) == 0


def test_the_whole_clinics_list_takes_the_same_queries_however_many_loose_ends(
    owner_client, clinic, django_assert_num_queries
):
    url = reverse("attention:clinic")
    _loose_ends(clinic, UserFactory(clinic=clinic, username="one"), "One")
    owner_client.get(url)
    # The session, the user and their clinic, then one query per source (and the clearance
    # source's prefetch of the flags).
    with django_assert_num_queries(3 + len(SOURCES) + 1):
        owner_client.get(url)
    for name in ("Two", "Three"):
        _loose_ends(clinic, UserFactory(clinic=clinic, username=name.lower()), name)
    with django_assert_num_queries(3 + len(SOURCES) + 1):
        page = owner_client.get(url).content.decode()
    assert all(_section(page, source.title).count("Three Loose") == 1 for source in SOURCES)
