"""The client hears about every change to an appointment (issue 10): a move sends an
update of the same calendar entry, a cancellation removes it, each as one delivery row
in the client's delivery log; every email says it is from the clinic.

The calendar files are read back with vobject, a parser other than the icalendar
library that writes them, so a file only passes if another program reads it the same way.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from outbox.mailer import send_deliveries
from outbox.models import Delivery
from outbox.services import delivery_create
from tests.factories import ClientFactory

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _mail(settings, clinic):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "ReflexClinic <no-reply@reflexclinic.local>"
    clinic.email = "hello@calmfeet.example"
    clinic.save()


@pytest.fixture
def client_record(clinic):
    return ClientFactory(clinic=clinic, first_name="Theo", last_name="Quill", email="theo@example.org")


def _slot(practitioner, day: dt.date, time: str) -> dict:
    return {"practitioner": practitioner.pk, "date": day.isoformat(), "start_time": time, "duration": 60}


def _book(practitioner_client, practitioner, client_record, day, outbox_sends) -> Appointment:
    with outbox_sends():
        response = practitioner_client.post(
            reverse("appointments:book"), {**_slot(practitioner, day, "10:00"), "client": client_record.pk}
        )
    assert response.status_code == 302, response.content.decode()
    return Appointment.objects.get(client=client_record)


def _notice(kind: str, appointment: Appointment, **about) -> Delivery:
    """The row the app makes for `kind` about `appointment` (as a booking or a dispatch pass would)."""
    return delivery_create(
        kind=kind,
        clinic_id=appointment.clinic_id,
        local_date=timezone.localdate(),
        **appointment.client.as_recipient,
        client=appointment.client,
        appointment=appointment,
        **about,
    )


def _calendar(message) -> tuple[str, vobject.base.Component]:
    """The email's calendar part as a mail client sees it: its method parameter and the parsed file."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), vobject.readOne(part.get_content())


def _event(message) -> vobject.base.Component:
    method, calendar = _calendar(message)
    assert calendar.method.value == method
    return calendar.vevent


def test_moving_an_appointment_emails_the_client_an_update_of_the_same_calendar_entry(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    appointment = _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    with outbox_sends():
        response = practitioner_client.post(
            reverse("appointments:reschedule", kwargs={"pk": appointment.pk}), _slot(practitioner, day, "15:00")
        )
    assert response.status_code == 302

    confirmation, update = mail.outbox
    assert update.to == ["Theo Quill <theo@example.org>"]
    assert update.subject.startswith("Moved: your reflexology appointment is now on")
    assert "15:00 to 16:00" in update.body and "has moved to a new time" in update.body
    booked, moved = _event(confirmation), _event(update)
    assert _calendar(confirmation)[0] == "PUBLISH" and _calendar(update)[0] == "REQUEST"
    assert moved.uid.value == booked.uid.value == f"appointment-{appointment.pk}@reflexclinic.local"
    assert int(moved.sequence.value) > int(booked.sequence.value)
    assert moved.dtstart.value == dt.datetime.combine(day, dt.time(15), tzinfo=LONDON)
    assert moved.dtend.value == dt.datetime.combine(day, dt.time(16), tzinfo=LONDON)
    # A REQUEST names who organises it and who attends (RFC 5546), so calendars accept the update.
    assert moved.organizer.value == "mailto:hello@calmfeet.example"
    assert moved.attendee.value == "mailto:theo@example.org"


def test_cancelling_an_appointment_emails_the_client_a_cancellation_of_the_same_calendar_entry(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    appointment = _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    with outbox_sends():
        response = practitioner_client.post(
            reverse("appointments:cancel", kwargs={"pk": appointment.pk}), {"reason": "Practitioner away"}
        )
    assert response.status_code == 302

    confirmation, cancellation = mail.outbox
    assert cancellation.subject.startswith("Cancelled: your reflexology appointment on")
    assert "is cancelled" in cancellation.body and "removes it from your calendar" in cancellation.body
    booked, cancelled = _event(confirmation), _event(cancellation)
    assert _calendar(cancellation)[0] == "CANCEL"
    assert cancelled.uid.value == booked.uid.value
    assert cancelled.status.value == "CANCELLED"
    assert int(cancelled.sequence.value) > int(booked.sequence.value)


def test_each_notice_is_one_delivery_row_sent_once_and_listed_in_the_clients_delivery_log(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    appointment = _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    with outbox_sends():
        practitioner_client.post(
            reverse("appointments:reschedule", kwargs={"pk": appointment.pk}), _slot(practitioner, day, "15:00")
        )
    with outbox_sends():
        practitioner_client.post(reverse("appointments:cancel", kwargs={"pk": appointment.pk}), {"reason": ""})
    rows = Delivery.objects.filter(appointment=appointment).order_by("pk")
    assert [(d.kind, d.status) for d in rows] == [
        (Delivery.Kind.CONFIRMATION, Delivery.Status.SENT),
        (Delivery.Kind.CHANGE, Delivery.Status.SENT),
        (Delivery.Kind.CANCELLATION, Delivery.Status.SENT),
    ]
    assert len(mail.outbox) == 3

    # Sending again sends nothing; asking for the same notice again gives the same row.
    assert send_deliveries([d.pk for d in rows])["sent"] == 0
    change = rows[1]
    again = _notice(Delivery.Kind.CHANGE, appointment, sequence=change.sequence)
    assert again.pk == change.pk
    assert len(mail.outbox) == 3
    # The database holds one change notice per sequence and one cancellation per appointment.
    for kind, extra in ((Delivery.Kind.CHANGE, {"sequence": change.sequence}), (Delivery.Kind.CANCELLATION, {})):
        with pytest.raises(IntegrityError), transaction.atomic():
            Delivery.objects.create(
                kind=kind, clinic=appointment.clinic, appointment=appointment, local_date=change.local_date, **extra
            )

    page = practitioner_client.get(reverse("clients:detail", kwargs={"pk": client_record.pk})).content.decode()
    assert "Appointment moved" in page and "Appointment cancelled" in page


def test_a_reminder_after_a_move_carries_the_moved_entrys_sequence(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    appointment = _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    with outbox_sends():
        practitioner_client.post(
            reverse("appointments:reschedule", kwargs={"pk": appointment.pk}), _slot(practitioner, day, "15:00")
        )
    reminder = _notice(Delivery.Kind.REMINDER, appointment)
    assert send_deliveries([reminder.pk])["sent"] == 1
    moved, reminded = _event(mail.outbox[1]), _event(mail.outbox[2])
    assert reminded.uid.value == moved.uid.value
    assert int(reminded.sequence.value) == int(moved.sequence.value) == 1


def test_an_appointment_moved_twice_before_the_first_notice_went_sends_only_the_latest(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    appointment = _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    url = reverse("appointments:reschedule", kwargs={"pk": appointment.pk})
    practitioner_client.post(url, _slot(practitioner, day, "15:00"))  # queued, not yet sent
    practitioner_client.post(url, _slot(practitioner, day, "16:00"))
    notices = Delivery.objects.filter(appointment=appointment, kind=Delivery.Kind.CHANGE).order_by("sequence")
    assert [n.sequence for n in notices] == [1, 2]

    result = send_deliveries([n.pk for n in notices])
    assert (result["sent"], result["skipped"]) == (1, 1)
    assert len(mail.outbox) == 2
    first, latest = notices
    first.refresh_from_db()
    assert first.status == Delivery.Status.SKIPPED and "changed again" in first.last_error
    assert "16:00 to 17:00" in mail.outbox[1].body
    assert int(_event(mail.outbox[1]).sequence.value) == 2


def test_the_sender_is_the_clinic_by_name_and_replies_go_to_the_clinics_address(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    _book(practitioner_client, practitioner, client_record, day, outbox_sends)
    [confirmation] = mail.outbox
    parsed = email.message_from_bytes(confirmation.message().as_bytes(), policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Calm Feet Reflexology"
    assert parsed["From"].addresses[0].addr_spec == "no-reply@reflexclinic.local"
    assert parsed["Reply-To"].addresses[0].addr_spec == "hello@calmfeet.example"
    assert parsed["Reply-To"].addresses[0].display_name == "Calm Feet Reflexology"


def test_a_course_is_confirmed_as_a_course_with_every_date_and_every_visit_in_its_calendar_file(
    practitioner_client, practitioner, client_record, day, outbox_sends
):
    with outbox_sends():
        response = practitioner_client.post(
            reverse("appointments:course_book"),
            {**_slot(practitioner, day, "10:00"), "client": client_record.pk, "sessions": 4, "interval_days": 7},
            follow=True,
        )
    dates = [day + dt.timedelta(days=7 * n) for n in range(4)]
    page = response.content.decode()
    # The page after booking lists the dates booked.
    listed = page[page.index('id="course-dates"') :]
    for date in dates:
        assert f"{date:%A} {date.day} {date:%B %Y}, 10:00" in listed

    [confirmation] = mail.outbox
    assert confirmation.subject.startswith("Booked: your 4 reflexology sessions, the first on")
    assert "Your course of 4 reflexology sessions is booked, every 7 days:" in confirmation.body
    for date in dates:
        assert f"When: {date:%A} {date.day} {date:%B %Y}, 10:00 to 11:00" in confirmation.body
    method, calendar = _calendar(confirmation)
    assert method == "PUBLISH"
    events = sorted(calendar.vevent_list, key=lambda e: e.dtstart.value)
    assert [e.dtstart.value for e in events] == [dt.datetime.combine(d, dt.time(10), tzinfo=LONDON) for d in dates]
    visits = Appointment.objects.filter(client=client_record).order_by("starts_at")
    assert [e.uid.value for e in events] == [f"appointment-{a.pk}@reflexclinic.local" for a in visits]
