"""A client moves or cancels an appointment from its emails (issue 12, part 4; docs/domain.md,
"Changes from the email"): signed, expiring, purpose-bound links that work once, the
clinic's cancellation notice, the change recorded as the client's and listed for the
practitioner, and the client's calendar entry updated (same UID, higher SEQUENCE).

The calendar files are read back with vobject, as in tests/test_appointment_notices.py.
"""

from __future__ import annotations

import datetime as dt
import email
import time
from email import policy
from unittest import mock
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import local_to_utc
from appointments.models import Appointment, WorkingHours
from appointments.services import appointment_reschedule
from attention.selectors import Scope, attention_count
from audit.actor import CLIENT_VIA_LINK
from audit.models import AuditEntry
from booking import changes
from booking.change_links import (
    CANCEL,
    CHANGE_LINK,
    RESCHEDULE,
    LinkExpired,
    LinkInvalid,
    change_url,
    read_change_token,
)
from booking.models import BookingHold, BookingSettings
from outbox.mailer import send_deliveries
from outbox.models import Delivery
from outbox.services import delivery_create
from tests.factories import AppointmentFactory, ClientFactory, ClinicFactory, UserFactory
from tests.races import book_at_once
from tests.test_fuzz import discover, fuzz, row_counts

LONDON = ZoneInfo("Europe/London")
PHONE = "+44 20 7946 0321"
TEN_WEEKS_AGO = 71 * 24 * 3600


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_to_utc(day, dt.time(hour, minute), LONDON)


def open_online(clinic, *staff) -> BookingSettings:
    """The clinic takes bookings and changes online; everyone works 09:00 to 17:00 every day."""
    for person in staff:
        for weekday in range(7):
            WorkingHours.objects.create(
                clinic=clinic, practitioner=person, weekday=weekday, starts=dt.time(9), ends=dt.time(17)
            )
    return BookingSettings.objects.create(clinic=clinic, online=True, cancellation_notice_hours=24)


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def reachable(clinic):
    clinic.name, clinic.phone, clinic.email = "Willow Reflexology", PHONE, "hello@willow.example"
    clinic.save()
    return clinic


@pytest.fixture
def online(reachable, practitioner) -> BookingSettings:
    return open_online(reachable, practitioner)


@pytest.fixture
def theo(clinic, practitioner):
    return ClientFactory(
        clinic=clinic, practitioner=practitioner, first_name="Theo", last_name="Quill", email="theo@example.org"
    )


@pytest.fixture
def visit(online, clinic, practitioner, theo, day) -> Appointment:
    return AppointmentFactory(
        clinic=clinic, client=theo, practitioner=practitioner, starts_at=local(day, 10), ends_at=local(day, 11)
    )


def link(appointment: Appointment, purpose: str) -> str:
    return urlsplit(change_url(appointment, purpose)).path


def fresh(appointment: Appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def page(response) -> str:
    return response.content.decode()


def on_day(text: str, day: dt.date) -> str:
    """The picker's times for `day`: from its heading to the next day's."""
    start = text.index(f">{day:%A} {day.day} {day:%B}</h2>")
    end = text.find("<h2", start)
    return text[start : end if end != -1 else None]


def calendar_event(message) -> tuple[str, vobject.base.Component]:
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), vobject.readOne(part.get_content()).vevent


def sent_email(kind: str, appointment: Appointment):
    """The email the app sends for `kind` about `appointment`, through the real outbox."""
    delivery = delivery_create(
        kind=kind,
        clinic_id=appointment.clinic_id,
        local_date=timezone.localdate(),
        **appointment.client.as_recipient,
        client=appointment.client,
        appointment=appointment,
    )
    mail.outbox.clear()
    send_deliveries([delivery.pk])
    [message] = mail.outbox
    return message


# --- the links in the emails -----------------------------------------------------------------


@pytest.mark.parametrize("kind", [Delivery.Kind.CONFIRMATION, Delivery.Kind.REMINDER])
def test_the_confirmation_and_the_reminder_carry_links_to_move_or_cancel_with_the_notice(kind, visit, anon):
    message = sent_email(kind, visit)
    assert "You can move or cancel it yourself, up to 24 hours before:" in message.body
    move = message.body.split("Move to another time: ")[1].split()[0]
    cancel = message.body.split("Cancel: ")[1].split()[0]
    html = message.alternatives[0][0]
    assert move in html and cancel in html
    assert "Move your appointment" in page(anon.get(urlsplit(move).path))
    assert "Cancel your appointment?" in page(anon.get(urlsplit(cancel).path))


def test_no_links_when_the_clinic_takes_no_changes_online(visit, online):
    online.online = False
    online.save()
    message = sent_email(Delivery.Kind.CONFIRMATION, visit)
    assert "/c/" not in message.body
    assert "move or cancel it yourself" not in message.body
    # The clinic's own phone is still there, as before.
    assert f"call us on {PHONE}" in message.body


def test_a_course_confirmation_carries_no_links_each_visit_gets_its_own_in_its_reminder(
    practitioner_client, practitioner, theo, online, day, outbox_sends
):
    with outbox_sends():
        practitioner_client.post(
            reverse("appointments:course_book"),
            {
                "client": theo.pk,
                "practitioner": practitioner.pk,
                "date": day.isoformat(),
                "start_time": "10:00",
                "duration": 60,
                "sessions": 3,
                "interval_days": 7,
            },
        )
    [confirmation] = mail.outbox
    assert "/c/" not in confirmation.body
    reminder = sent_email(Delivery.Kind.REMINDER, Appointment.objects.order_by("starts_at")[1])
    assert "Move to another time: " in reminder.body


# --- cancelling --------------------------------------------------------------------------------


def test_opening_a_cancel_link_changes_nothing_until_the_button_is_pressed(visit, anon):
    response = anon.get(link(visit, CANCEL))
    assert response.status_code == 200
    text = page(response)
    assert "Cancel your appointment?" in text and "Willow Reflexology" in text and "10:00 to 11:00" in text
    assert fresh(visit).status == Appointment.Status.BOOKED
    assert not Delivery.objects.exists()


def test_a_client_cancels_from_the_link_and_gets_the_cancellation_of_the_same_calendar_entry(visit, anon, outbox_sends):
    booked = sent_email(Delivery.Kind.CONFIRMATION, visit)
    with outbox_sends():
        response = anon.post(link(visit, CANCEL))
    assert response.status_code == 200
    assert "Your appointment is cancelled" in page(response)
    cancelled = fresh(visit)
    assert cancelled.status == Appointment.Status.CANCELLED
    assert cancelled.cancel_reason == changes.CLIENT_CANCEL_REASON

    notice = mail.outbox[-1]
    assert notice.subject.startswith("Cancelled: your reflexology appointment")
    (_, before), (method, after) = calendar_event(booked), calendar_event(notice)
    assert method == "CANCEL"
    assert after.uid.value == before.uid.value == f"appointment-{visit.pk}@reflexclinic.local"
    assert int(after.sequence.value) > int(before.sequence.value)
    assert "/c/" not in notice.body  # nothing left to move or cancel


def test_a_cancellation_is_recorded_as_made_by_the_client(visit, anon):
    anon.post(link(visit, CANCEL))
    [entry] = AuditEntry.objects.filter(
        object_id=visit.pk, content_type__model="appointment", action=AuditEntry.Action.UPDATE
    )
    assert entry.actor_label == CLIENT_VIA_LINK == "the client via an email link"
    assert entry.actor is None
    assert entry.changes["status"] == ["booked", "cancelled"]
    assert (entry.clinic_id, entry.client_id) == (visit.clinic_id, visit.client_id)


# --- moving ------------------------------------------------------------------------------------


def test_the_move_page_offers_the_practitioners_free_times_of_the_same_length(visit, practitioner, anon, day):
    AppointmentFactory(clinic=visit.clinic, practitioner=practitioner, starts_at=local(day, 14), ends_at=local(day, 15))
    text = page(anon.get(link(visit, RESCHEDULE)))
    assert "Choose a new time with" in text
    offered = {
        t for t in ("09:00", "11:00", "13:00", "14:00", "15:00", "16:00") if f">{t}</label>" in on_day(text, day)
    }
    # 10:00 is the visit itself; 14:00 is taken; 16:00 to 17:00 still fits the working day.
    assert offered == {"09:00", "11:00", "13:00", "15:00", "16:00"}
    assert f'value="{local(day, 15).isoformat()}"' in text
    assert fresh(visit).sequence == 0


def test_a_client_moves_from_the_link_and_gets_an_update_of_the_same_calendar_entry(visit, anon, day, outbox_sends):
    booked = sent_email(Delivery.Kind.CONFIRMATION, visit)
    with outbox_sends():
        response = anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15).isoformat()})
    assert response.status_code == 200
    assert "Your appointment has moved" in page(response) and "15:00 to 16:00" in page(response)
    moved = fresh(visit)
    assert (moved.starts_at, moved.ends_at, moved.practitioner_id) == (
        local(day, 15),
        local(day, 16),
        visit.practitioner_id,
    )

    notice = mail.outbox[-1]
    assert notice.subject.startswith("Moved: your reflexology appointment is now on")
    (_, before), (method, after) = calendar_event(booked), calendar_event(notice)
    assert method == "REQUEST"
    assert after.uid.value == before.uid.value
    assert int(after.sequence.value) == int(before.sequence.value) + 1
    assert after.dtstart.value == local(day, 15)
    # The change notice has the links for the new time: they work, the old ones do not.
    new_move = urlsplit(notice.body.split("Move to another time: ")[1].split()[0]).path
    assert "Move your appointment" in page(anon.get(new_move))


def test_a_client_of_a_clinic_that_takes_requests_is_told_their_move_is_booked_at_once_and_gets_the_moved_email(
    visit, online, anon, day, outbox_sends
):
    """docs/domain.md, "Changes from the email": a move takes effect at once, also in request mode."""
    online.mode = BookingSettings.Mode.REQUEST
    online.save()

    picker = page(anon.get(link(visit, RESCHEDULE)))
    with outbox_sends():
        done = page(anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15).isoformat()}))

    assert "a move does not wait for Willow Reflexology to accept it" in picker
    assert "Your appointment has moved" in done and "15:00 to 16:00" in done
    assert "a move does not wait for Willow Reflexology to accept it" in done
    assert fresh(visit).starts_at == local(day, 15)
    assert not BookingHold.objects.exists()  # nothing waits to be accepted
    [notice] = mail.outbox
    assert notice.subject.startswith("Moved: your reflexology appointment is now on")
    assert "15:00" in notice.body and "request" not in notice.body.lower()


def test_a_client_of_a_clinic_that_books_directly_reads_that_the_new_time_is_booked_at_once(visit, anon):
    picker = page(anon.get(link(visit, RESCHEDULE)))
    assert "The new time is booked at once." in picker
    assert "accept" not in picker


def test_the_move_page_offers_no_later_times_past_the_clinics_horizon(visit, online, anon):
    last = timezone.localdate() + dt.timedelta(weeks=online.horizon_weeks)

    far = page(anon.get(link(visit, RESCHEDULE) + f"?from={last + dt.timedelta(weeks=10):%Y-%m-%d}"))

    assert f"{last:%A} {last.day} {last:%B}" in far  # the furthest it goes is the horizon's week
    assert "Later times" not in far and "Earlier times" in far


def test_a_move_is_recorded_as_made_by_the_client(visit, anon, day):
    anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15).isoformat()})
    [entry] = AuditEntry.objects.filter(
        object_id=visit.pk, content_type__model="appointment", action=AuditEntry.Action.UPDATE
    )
    assert entry.actor_label == CLIENT_VIA_LINK
    assert set(entry.changes) >= {"starts_at", "ends_at", "sequence"}


def test_a_visit_booked_as_a_treatment_moves_for_that_treatments_length(visit, anon, day):
    from appointments.models import TreatmentType

    long = TreatmentType.objects.create(clinic=visit.clinic, name="Full session", duration_minutes=90)
    Appointment.objects.filter(pk=visit.pk).update(treatment_type=long, ends_at=local(day, 11, 30))
    times = on_day(page(anon.get(link(visit, RESCHEDULE))), day)
    # The working day ends at 17:00: 90 minutes fit from 15:30, not from 16:00.
    assert ">15:30</label>" in times and ">16:00</label>" not in times
    anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15, 30).isoformat()})
    assert (fresh(visit).starts_at, fresh(visit).ends_at) == (local(day, 15, 30), local(day, 17))


@pytest.mark.parametrize(
    "slot",
    ["03:00", "10:30", "bad", "", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-01-01T10:00"],
)
def test_a_time_that_was_not_offered_changes_nothing_and_the_client_chooses_again(visit, anon, day, slot):
    value = local(day, int(slot[:2]), int(slot[3:])).isoformat() if slot[2:3] == ":" else slot
    response = anon.post(link(visit, RESCHEDULE), {"slot": value})
    assert response.status_code in (200, 409)
    text = page(response)
    assert "Choose a new time with" in text
    assert "that time has just been taken" in text or "Choose a time." in text
    assert fresh(visit).starts_at == local(day, 10)
    assert not Delivery.objects.exists()


def test_a_slot_taken_a_moment_ago_shows_the_next_free_times_and_changes_nothing(visit, practitioner, anon, day):
    form = page(anon.get(link(visit, RESCHEDULE)))
    assert f'value="{local(day, 15).isoformat()}"' in form
    # Someone else is booked into 15:00 while the page is open.
    AppointmentFactory(clinic=visit.clinic, practitioner=practitioner, starts_at=local(day, 15), ends_at=local(day, 16))
    response = anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15).isoformat()})
    assert response.status_code == 409
    text = page(response)
    assert "Sorry, that time has just been taken. Here are the next free times." in text
    assert f'value="{local(day, 15).isoformat()}"' not in text
    assert f'value="{local(day, 16).isoformat()}"' in text
    assert fresh(visit).starts_at == local(day, 10)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_moving_into_one_slot_at_once_exactly_one_gets_it(clinic, practitioner, day, monkeypatch):
    """Both see the slot free before either writes: exactly one gets it."""
    open_online(clinic, practitioner)
    first, second = (
        AppointmentFactory(clinic=clinic, practitioner=practitioner, starts_at=local(day, h), ends_at=local(day, h + 1))
        for h in (9, 11)
    )
    target = local(day, 14)

    def move(appointment):
        return lambda: changes.client_reschedule(appointment=appointment, sequence=0, starts_at=target)

    # Both have their appointment in hand and its link checked before either goes on.
    outcomes = book_at_once(monkeypatch, changes, "_lock", {"first": move(first), "second": move(second)})

    assert list(outcomes.values()).count("booked") == 1, outcomes
    loser = next(o for o in outcomes.values() if o != "booked")
    assert isinstance(loser, changes.SlotTaken), outcomes
    assert Appointment.objects.filter(starts_at=target).count() == 1
    # The loser's appointment is as it was, and nothing was sent about it.
    assert {fresh(first).starts_at, fresh(second).starts_at} in ({target, local(day, 11)}, {local(day, 9), target})
    assert Delivery.objects.filter(kind=Delivery.Kind.CHANGE).count() == 1


# --- the cancellation notice ---------------------------------------------------------------------


def _visit_in(practitioner, theo, delta: dt.timedelta) -> Appointment:
    start = (timezone.now() + delta).replace(microsecond=0)
    return AppointmentFactory(
        clinic=practitioner.clinic,
        client=theo,
        practitioner=practitioner,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )


@pytest.mark.parametrize("purpose", [CANCEL, RESCHEDULE])
def test_inside_the_notice_the_page_gives_the_clinics_phone_and_changes_nothing(
    online, practitioner, theo, anon, purpose
):
    visit = _visit_in(practitioner, theo, dt.timedelta(hours=23, minutes=59))
    for response in (anon.get(link(visit, purpose)), anon.post(link(visit, purpose), {"slot": "x"})):
        assert response.status_code == 200
        text = page(response)
        assert "Please call us to change this appointment" in text
        assert "less than 24 hours away" in text and "Nothing was changed." in text
        assert "Please call Willow Reflexology on" in text and PHONE in text
        assert "<form" not in text
    assert fresh(visit).status == Appointment.Status.BOOKED and fresh(visit).sequence == 0
    assert not Delivery.objects.exists()


def test_just_outside_the_notice_the_client_can_still_cancel(online, practitioner, theo, anon):
    visit = _visit_in(practitioner, theo, dt.timedelta(hours=24, minutes=5))
    assert "Cancel your appointment?" in page(anon.get(link(visit, CANCEL)))
    anon.post(link(visit, CANCEL))
    assert fresh(visit).status == Appointment.Status.CANCELLED


def test_exactly_the_notice_ahead_is_still_in_time_and_a_second_later_is_not(online, visit):
    start = visit.starts_at
    state = lambda now: changes.change_state(visit, sequence=0, settings=online, now=now)  # noqa: E731
    assert state(start - dt.timedelta(hours=24)) == changes.OPEN
    assert state(start - dt.timedelta(hours=24) + dt.timedelta(seconds=1)) == changes.TOO_LATE
    with pytest.raises(changes.ChangeRefused):
        changes.client_cancel(appointment=visit, sequence=0, now=start - dt.timedelta(hours=23))
    assert (
        changes.client_cancel(appointment=visit, sequence=0, now=start - dt.timedelta(hours=24)).status == "cancelled"
    )


def test_the_owners_notice_is_the_one_honoured(online, practitioner, theo, anon):
    online.cancellation_notice_hours = 48
    online.save()
    visit = _visit_in(practitioner, theo, dt.timedelta(hours=30))
    text = page(anon.get(link(visit, CANCEL)))
    assert "less than 48 hours away" in text
    assert "up to 48 hours before" in sent_email(Delivery.Kind.CONFIRMATION, visit).body


# --- used, past, expired, tampered ------------------------------------------------------------


def test_a_used_cancel_link_says_the_appointment_is_already_cancelled(visit, anon):
    url = link(visit, CANCEL)
    anon.post(url)
    for response in (anon.get(url), anon.post(url)):
        assert response.status_code == 200
        assert "This appointment has changed since that email" in page(response)
        assert "It has been cancelled since" in page(response)
    assert Delivery.objects.filter(kind=Delivery.Kind.CANCELLATION).count() == 1


def test_the_links_of_an_email_before_a_move_no_longer_work_and_say_the_new_time(visit, anon, day):
    old_move, old_cancel = link(visit, RESCHEDULE), link(visit, CANCEL)
    anon.post(old_move, {"slot": local(day, 15).isoformat()})
    for url in (old_move, old_cancel):
        response = anon.post(url, {"slot": local(day, 13).isoformat()})
        text = page(response)
        assert "This appointment has changed since that email" in text and "15:00 to 16:00" in text
        assert "The most recent email about your appointment has links that do." in text
    moved = fresh(visit)
    assert (moved.status, moved.starts_at, moved.sequence) == ("booked", local(day, 15), 1)


def test_links_made_before_the_practitioner_moved_it_no_longer_work(visit, practitioner, anon, day):
    url = link(visit, CANCEL)
    appointment_reschedule(
        appointment=visit, practitioner=practitioner, starts_at=local(day, 12), ends_at=local(day, 13)
    )
    assert "This appointment has changed since that email" in page(anon.post(url))
    assert fresh(visit).status == Appointment.Status.BOOKED


def test_a_link_cancelled_by_the_clinic_says_so(visit, anon):
    url = link(visit, RESCHEDULE)
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CANCELLED)  # same sequence
    text = page(anon.get(url))
    assert "This appointment is already cancelled" in text and PHONE in text


@pytest.mark.parametrize("purpose", [CANCEL, RESCHEDULE])
def test_a_link_to_an_appointment_in_the_past_gets_a_friendly_page(online, practitioner, theo, anon, purpose):
    visit = _visit_in(practitioner, theo, -dt.timedelta(hours=2))
    for response in (anon.get(link(visit, purpose)), anon.post(link(visit, purpose))):
        assert response.status_code == 200
        assert "This appointment has already taken place" in page(response) and PHONE in page(response)
    assert fresh(visit).status == Appointment.Status.BOOKED


def test_when_the_clinic_stops_taking_changes_online_the_page_says_to_contact_it(visit, online, anon):
    url = link(visit, CANCEL)
    online.online = False
    online.save()
    text = page(anon.post(url))
    assert "Appointments can't be changed online at the moment" in text and PHONE in text
    assert fresh(visit).status == Appointment.Status.BOOKED


@pytest.mark.parametrize("purpose", [CANCEL, RESCHEDULE])
def test_an_expired_link_gets_a_410_page_naming_the_clinic_and_changes_nothing(visit, anon, purpose):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - TEN_WEEKS_AGO):
        old = link(visit, purpose)
    for response in (anon.get(old), anon.post(old)):
        assert response.status_code == 410
        text = page(response)
        assert "This link has expired" in text
        assert "To reach <strong>Willow Reflexology</strong>" in text and PHONE in text
    assert fresh(visit).status == Appointment.Status.BOOKED


@pytest.mark.parametrize("purpose", [CANCEL, RESCHEDULE])
def test_a_tampered_link_gets_a_400_page_naming_the_clinic_from_its_signed_segment(visit, anon, purpose):
    url = link(visit, purpose)
    tampered = url[:-3] + ("x" if url[-3] != "x" else "y") + url[-2:]
    for response in (anon.get(tampered), anon.post(tampered)):
        assert response.status_code == 400
        assert "This link does not work" in page(response) and "Willow Reflexology" in page(response)
    # A changed clinic segment names no clinic at all.
    segment = CHANGE_LINK.clinic_segment(visit.clinic_id)
    forged = url.replace(segment, f"{visit.clinic_id}-0000000000000000").replace(url.split("/")[-2], "garbage")
    assert "Willow Reflexology" not in page(anon.get(forged))
    assert fresh(visit).status == Appointment.Status.BOOKED


def test_reading_a_token_tells_expired_from_tampered_and_keeps_the_purpose(visit):
    token = urlsplit(change_url(visit, RESCHEDULE)).path.rstrip("/").rsplit("/", 1)[1]
    assert read_change_token(token).purpose == RESCHEDULE
    with pytest.raises(LinkExpired):
        read_change_token(token, max_age=-1)
    with pytest.raises(LinkInvalid) as tampered:
        read_change_token(token[:-1] + ("x" if token[-1] != "x" else "y"))
    assert not isinstance(tampered.value, LinkExpired)
    # A routine check-in token, genuine under its own salt, is no change link.
    from routines.links import make_token

    with pytest.raises(LinkInvalid):
        read_change_token(make_token(None, "done"))


def test_a_move_link_cannot_cancel(visit, anon):
    anon.post(link(visit, RESCHEDULE))  # no time chosen
    anon.post(link(visit, RESCHEDULE), {"action": "cancel"})
    assert fresh(visit).status == Appointment.Status.BOOKED


# --- tenancy --------------------------------------------------------------------------------


def test_a_link_of_one_clinic_can_never_touch_another_clinics_appointment(visit, other_clinic, anon):
    other_practitioner = UserFactory(clinic=other_clinic)
    open_online(other_clinic, other_practitioner)
    theirs = AppointmentFactory(
        clinic=other_clinic, practitioner=other_practitioner, starts_at=visit.starts_at, ends_at=visit.ends_at
    )
    ours = link(visit, CANCEL)
    token = ours.rstrip("/").rsplit("/", 1)[1]
    # Our genuine signature over their appointment's id: the signature no longer matches.
    theirs_data = {"a": theirs.pk, "s": 0, "k": "cancel"}
    forged_payload = signing.dumps(theirs_data, salt=CHANGE_LINK.salt, compress=True).split(":")[0]
    forged = ours.replace(token.split(":")[0], forged_payload, 1)
    assert anon.post(forged).status_code == 400
    # Their clinic's segment in front of our token: still only our appointment, never theirs.
    segment = CHANGE_LINK.clinic_segment
    theirs_segment = ours.replace(segment(visit.clinic_id), segment(other_clinic.pk))
    anon.post(theirs_segment)
    assert fresh(theirs).status == Appointment.Status.BOOKED and fresh(theirs).sequence == 0
    assert fresh(visit).status == Appointment.Status.CANCELLED


def test_the_move_page_offers_only_the_appointments_own_clinics_practitioner(visit, other_clinic, anon, day):
    elsewhere = UserFactory(clinic=other_clinic, first_name="Oscar", last_name="Outsider")
    open_online(other_clinic, elsewhere)
    text = page(anon.get(link(visit, RESCHEDULE)))
    assert "Oscar" not in text and "Elsewhere" not in text


# --- the practitioner hears of it ----------------------------------------------------------------


def test_the_practitioner_sees_the_clients_changes_in_needs_attention_and_another_clinic_does_not(
    visit, clinic, practitioner, theo, practitioner_client, other_client, anon, day, django_assert_num_queries
):
    second = AppointmentFactory(
        clinic=clinic, client=theo, practitioner=practitioner, starts_at=local(day, 12), ends_at=local(day, 13)
    )
    anon.post(link(visit, RESCHEDULE), {"slot": local(day, 15).isoformat()})
    anon.post(link(second, CANCEL))

    # The request's own three (session, user, clinic) and one per source, however many rows.
    from attention.selectors import SOURCES

    with django_assert_num_queries(3 + len(SOURCES)):
        response = practitioner_client.get(reverse("attention:mine"))
    text = page(response)
    section = text[text.index("Appointments clients moved or cancelled") :]
    section = section[: section.index("</section>")]
    assert section.count("Theo Quill") == 2
    assert (
        "Moved by the client from their email" in section
        and f"now {local(day, 15).astimezone(LONDON):%a %-d %b %Y}, 15:00" in section
    )
    assert "Cancelled by the client from their email" in section and "12:00" in section
    assert attention_count(Scope(clinic, practitioner)) == 2

    other = page(other_client.get(reverse("attention:mine")))
    assert "Theo Quill" not in other
    assert "No client moved or cancelled an appointment" in other


def test_a_practitioners_own_change_is_not_listed_as_the_clients(visit, practitioner, day):
    appointment_reschedule(
        appointment=visit, practitioner=practitioner, starts_at=local(day, 12), ends_at=local(day, 13)
    )
    assert attention_count(Scope(visit.clinic, practitioner)) == 0


def test_a_clients_change_leaves_the_list_once_its_time_has_passed(visit, practitioner, anon, day):
    anon.post(link(visit, CANCEL))
    scope = Scope(visit.clinic, practitioner)
    assert attention_count(scope) == 1
    assert attention_count(scope, now=visit.starts_at + dt.timedelta(minutes=1)) == 0


# --- query counts and bad input -------------------------------------------------------------


def test_the_pages_take_a_fixed_number_of_queries(visit, anon, django_assert_num_queries, day):
    for n in range(8):
        AppointmentFactory(
            clinic=visit.clinic,
            practitioner=visit.practitioner,
            starts_at=local(day + dt.timedelta(days=n), 16),
            ends_at=local(day + dt.timedelta(days=n), 17),
        )
    # The appointment, the settings; then the slots' five (settings given: hours, time off,
    # appointments, holds).
    with django_assert_num_queries(2):
        anon.get(link(visit, CANCEL))
    with django_assert_num_queries(6):
        anon.get(link(visit, RESCHEDULE))


def at_most_one_appointment_changed(response, before, what):
    after = row_counts()
    changed = {label for label in after if after[label] != before[label]}
    assert changed <= {"outbox.Delivery"}, f"{what} changed {changed}"
    assert after["outbox.Delivery"] - before["outbox.Delivery"] <= 1, what


@pytest.mark.parametrize("purpose", [CANCEL, RESCHEDULE])
def test_no_change_page_answers_500_or_half_saves_under_generated_input(visit, anon, purpose):
    path = link(visit, purpose)
    fuzz(anon, discover(path, anon), check=at_most_one_appointment_changed)


def test_building_a_batch_of_reminders_with_links_takes_the_same_queries_for_3_and_30(
    online, clinic, practitioner, day, django_assert_num_queries
):
    from outbox.mailer import with_email_data
    from outbox.render import render_delivery

    ids = []
    for n in range(30):
        start = local(day + dt.timedelta(days=n // 6), 9 + n % 6)
        visit = AppointmentFactory(
            clinic=clinic, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
        ids.append(
            delivery_create(
                kind=Delivery.Kind.REMINDER,
                clinic_id=clinic.pk,
                local_date=timezone.localdate(),
                **visit.client.as_recipient,
                client=visit.client,
                appointment=visit,
            ).pk
        )
    for batch in (ids[:3], ids):
        with django_assert_num_queries(3):
            deliveries = with_email_data(Delivery.objects.all()).in_bulk(batch)
            bodies = [render_delivery(d).body for d in deliveries.values()]
        assert all("Move to another time: " in body for body in bodies)


def test_a_clinic_that_never_set_up_booking_sends_no_links(db, day):
    elsewhere = ClinicFactory()
    visit = AppointmentFactory(clinic=elsewhere, starts_at=local(day, 10), ends_at=local(day, 11))
    assert "/c/" not in sent_email(Delivery.Kind.CONFIRMATION, visit).body
