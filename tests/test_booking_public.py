"""Online booking from the clinic's public page (docs/domain.md, "Online booking").

A client chooses a treatment, a practitioner or anyone, and a free time; gives their name,
email and phone; and confirms by the link emailed to them. Nothing is booked before the
link is followed; the time is held for 15 minutes meanwhile. The pages say nothing about
other bookings but free / not free, nor whether an address belongs to a client.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from unittest import mock
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from audit.actor import CLIENT_VIA_LINK
from audit.models import AuditEntry
from booking import services
from booking.links import VERIFY_LINK, verify_url
from booking.models import BookingHold, BookingSettings
from clients.models import Client
from outbox.models import Delivery
from tests.factories import (
    AppointmentFactory,
    BookingHoldFactory,
    BookingSettingsFactory,
    ClientFactory,
    TreatmentTypeFactory,
    UserFactory,
    WorkingHoursFactory,
)
from tests.races import book_at_once

LONDON = ZoneInfo("Europe/London")
SECRET_NAME = "Zebedee Quillfeather"
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org", "phone": "07700 900123"}


@pytest.fixture
def online(clinic, practitioner, day):
    """The clinic takes bookings directly; the practitioner works 09:00-12:00 on `day`."""
    clinic.email, clinic.phone = "hello@calmfeet.example", "01632 960000"
    clinic.save()
    BookingSettingsFactory(clinic=clinic, min_notice_hours=12)
    WorkingHoursFactory(
        clinic=clinic, practitioner=practitioner, weekday=day.weekday(), starts=dt.time(9), ends=dt.time(12)
    )
    return TreatmentTypeFactory(clinic=clinic, name="Foot reflexology", duration_minutes=60)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def page_url(clinic, treatment, day, practitioner="any") -> str:
    return reverse("booking_public:page", kwargs={"slug": clinic.slug}) + (
        f"?type={treatment.pk}&practitioner={practitioner}&from={day.isoformat()}"
    )


def choose(anon, clinic, treatment, starts_at, practitioner="any", **person):
    data = {"type": treatment.pk, "practitioner": practitioner, "at": starts_at.isoformat(), **ADA, **person}
    return anon.post(reverse("booking_public:details", kwargs={"slug": clinic.slug}), data)


def link_in(message) -> str:
    match = re.search(r"Confirm my booking: (\S+)", message.body)
    assert match, message.body
    return urlsplit(match.group(1)).path


def times_on(response, day: dt.date) -> list[str]:
    """The times the page offers on `day`, as the client reads them."""
    html = response.content.decode()
    heading = f"{day:%A} {day.day} {day:%B}"
    if heading not in html:
        return []
    section = html.split(heading, 1)[1].split("</ul>", 1)[0]
    return re.findall(r">(\d\d:\d\d)</a>", section)


# --- The page ------------------------------------------------------------------------


def test_the_page_offers_the_free_times_and_nothing_about_other_bookings(
    online, clinic, practitioner, day, anon, django_assert_num_queries
):
    someone = ClientFactory(clinic=clinic, first_name="Zebedee", last_name="Quillfeather")
    AppointmentFactory(
        clinic=clinic, client=someone, practitioner=practitioner, starts_at=at(day, 10), ends_at=at(day, 11)
    )
    # Clinic, settings, treatments, working hours (for the choices), then the slots: hours,
    # time off, appointments, holds (the session and the settings are not read again).
    with django_assert_num_queries(8):
        response = anon.get(page_url(clinic, online, day))
    assert response.status_code == 200
    assert times_on(response, day) == ["09:00", "11:00"]
    page = response.content.decode()
    assert SECRET_NAME not in page and "Zebedee" not in page
    assert "Foot reflexology (60 minutes)" in page


def test_with_one_treatment_the_page_shows_times_at_once(online, clinic, day, anon):
    response = anon.get(reverse("booking_public:page", kwargs={"slug": clinic.slug}))
    assert "Free times from" in response.content.decode()


def test_week_by_week_the_next_week_has_its_own_times(online, clinic, day, anon):
    response = anon.get(page_url(clinic, online, day))
    later = re.search(r'href="([^"]+)">Later times', response.content.decode()).group(1).replace("&amp;", "&")
    next_week = anon.get(later)
    assert times_on(next_week, day + dt.timedelta(days=7)) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_an_unknown_clinic_is_a_404_and_a_clinic_without_online_booking_gives_its_phone(online, clinic, anon):
    assert anon.get(reverse("booking_public:page", kwargs={"slug": "no-such-clinic"})).status_code == 404
    BookingSettings.objects.filter(clinic=clinic).update(online=False)
    response = anon.get(reverse("booking_public:page", kwargs={"slug": clinic.slug}))
    page = response.content.decode()
    assert "Please contact us to book" in page and "01632 960000" in page


def test_booking_off_takes_no_booking_and_sends_no_email(online, clinic, day, anon):
    BookingSettings.objects.filter(clinic=clinic).update(online=False)
    response = choose(anon, clinic, online, at(day, 9))
    assert "Please contact us to book" in response.content.decode()
    assert not BookingHold.objects.exists() and not Delivery.objects.exists()


# --- Holding, verifying, booking ---------------------------------------------------------


def test_a_new_client_books_by_confirming_the_emailed_link(online, clinic, practitioner, day, anon, outbox_sends):
    with outbox_sends():
        response = choose(anon, clinic, online, at(day, 9))
    assert response.status_code == 302 and response.url == reverse("booking_public:sent", kwargs={"slug": clinic.slug})
    assert "Check your email" in anon.get(response.url).content.decode()
    (message,) = mail.outbox
    assert message.to == ["Ada Lovelace <ada@example.org>"]
    assert message.subject == f"Please confirm your booking on {day:%A} {day.day} {day:%B} at 09:00"
    assert "Foot reflexology" in message.body and "We keep this time for you for 15 minutes" in message.body
    assert not Appointment.objects.exists(), "nothing is booked before the link is followed"

    link = link_in(message)
    opened = anon.get(link)  # a mail scanner's GET books nothing
    assert "Confirm your booking" in opened.content.decode()
    assert not Appointment.objects.exists()
    with outbox_sends():
        confirmed = anon.post(link)
    assert "Your booking is confirmed" in confirmed.content.decode()

    appointment = Appointment.objects.get()
    assert (appointment.practitioner, appointment.starts_at, appointment.ends_at) == (
        practitioner,
        at(day, 9),
        at(day, 10),
    )
    assert appointment.treatment_type == online
    client = appointment.client
    assert (client.first_name, client.last_name, client.email, client.phone) == (
        "Ada",
        "Lovelace",
        "ada@example.org",
        "+447700900123",
    )
    assert client.clinic == clinic
    confirmation = mail.outbox[-1]
    assert Delivery.objects.get(appointment=appointment).kind == Delivery.Kind.CONFIRMATION
    assert confirmation.to == ["Ada Lovelace <ada@example.org>"]


def test_a_returning_client_is_matched_by_the_verified_email_and_booked_as_themselves(
    online, clinic, day, anon, outbox_sends
):
    known = ClientFactory(clinic=clinic, first_name="Ada", last_name="King", email="Ada@Example.org")
    with outbox_sends():
        choose(anon, clinic, online, at(day, 9))
    anon.post(link_in(mail.outbox[0]))
    assert Appointment.objects.get().client == known
    assert Client.objects.count() == 1


def test_a_returning_client_whose_record_is_archived_is_booked_as_themselves_and_back_on_the_client_list(
    online, clinic, day, anon, practitioner_client, outbox_sends
):
    # docs/domain.md, "Archived clients": their flags, consents and history still hold.
    archived = ClientFactory(
        clinic=clinic, first_name="Ada", last_name="King", email="ada@example.org", archived_at=timezone.now()
    )
    with outbox_sends():
        choose(anon, clinic, online, at(day, 9))
    with outbox_sends():
        confirmed = anon.post(link_in(mail.outbox[0]))
    assert "Your booking is confirmed" in confirmed.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.client == archived and Client.objects.count() == 1
    archived.refresh_from_db()
    assert not archived.is_archived
    assert mail.outbox[-1].to == ["Ada King <ada@example.org>"], "the confirmation goes out as for any client"
    page = practitioner_client.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert "The client was archived; booking brought them back to the client list." in page
    (entry,) = AuditEntry.objects.filter(
        content_type__model="client", object_id=archived.pk, action=AuditEntry.Action.UPDATE
    )
    assert entry.actor_label == CLIENT_VIA_LINK and entry.changes["archived_at"][1] is None


def test_an_accepted_request_of_an_archived_client_brings_them_back_in_the_practitioners_name(
    online, clinic, practitioner, practitioner_client, day, anon, outbox_sends
):
    BookingSettings.objects.filter(clinic=clinic).update(mode=BookingSettings.Mode.REQUEST)
    archived = ClientFactory(clinic=clinic, email="ada@example.org", archived_at=timezone.now())
    with outbox_sends():
        choose(anon, clinic, online, at(day, 9))
    anon.post(link_in(mail.outbox[0]))
    archived.refresh_from_db()
    assert archived.is_archived, "a request changes no record until it is accepted"
    practitioner_client.post(reverse("booking:request_accept", kwargs={"pk": BookingHold.objects.get().pk}))
    archived.refresh_from_db()
    assert Appointment.objects.get().client == archived and not archived.is_archived
    (entry,) = AuditEntry.objects.filter(
        content_type__model="client", object_id=archived.pk, action=AuditEntry.Action.UPDATE
    )
    assert entry.actor == practitioner


def test_the_pages_and_the_email_read_the_same_for_a_known_and_an_unknown_address(
    online, clinic, day, anon, outbox_sends
):
    ClientFactory(clinic=clinic, email="known@example.org")
    answers = []
    for email, hour in (("known@example.org", 9), ("stranger@example.org", 11)):
        with outbox_sends():
            response = choose(anon, clinic, online, at(day, hour), email=email)
        answers.append((response.status_code, response.url, anon.get(response.url).content))
    assert answers[0] == answers[1]
    known, stranger = mail.outbox
    assert re.sub(r"\S+/book/v/\S+|09:00|10:00|11:00|12:00", "", known.body) == re.sub(
        r"\S+/book/v/\S+|09:00|10:00|11:00|12:00", "", stranger.body
    )


def test_a_held_time_is_not_offered_to_others_until_the_hold_expires(online, clinic, day, anon):
    choose(anon, clinic, online, at(day, 9))
    assert times_on(anon.get(page_url(clinic, online, day)), day) == ["10:00", "10:30", "11:00"]
    BookingHold.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert times_on(anon.get(page_url(clinic, online, day)), day)[0] == "09:00"


def test_the_second_client_choosing_a_held_time_sees_the_next_free_times(online, clinic, day, anon):
    choose(anon, clinic, online, at(day, 9))
    response = choose(anon, clinic, online, at(day, 9), email="grace@example.org")
    assert response.status_code == 302
    page = anon.get(response.url)
    assert "Sorry, that time has just been taken. Here are the next free times." in page.content.decode()
    assert times_on(page, day) == ["10:00", "10:30", "11:00"]
    assert BookingHold.objects.count() == 1


def test_anyone_gives_the_time_to_whichever_practitioner_is_free(online, clinic, practitioner, day, anon):
    colleague = UserFactory(clinic=clinic, first_name="Zoe")
    WorkingHoursFactory(
        clinic=clinic, practitioner=colleague, weekday=day.weekday(), starts=dt.time(9), ends=dt.time(10)
    )
    choose(anon, clinic, online, at(day, 9))
    choose(anon, clinic, online, at(day, 9), email="grace@example.org")
    assert {h.practitioner for h in BookingHold.objects.all()} == {practitioner, colleague}


def test_a_time_that_was_never_offered_is_refused(online, clinic, day, anon):
    response = choose(anon, clinic, online, at(day, 9, 10))
    assert response.status_code == 302 and "taken=1" in response.url
    response = choose(anon, clinic, online, at(day, 7))
    assert "taken=1" in response.url
    assert not BookingHold.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_clients_choosing_one_slot_at_the_same_moment_exactly_one_holds_it(monkeypatch, clinic, practitioner, day):
    BookingSettingsFactory(clinic=clinic)
    WorkingHoursFactory(
        clinic=clinic, practitioner=practitioner, weekday=day.weekday(), starts=dt.time(9), ends=dt.time(10)
    )
    treatment = TreatmentTypeFactory(clinic=clinic, duration_minutes=60)

    def booking(email):
        return lambda: services.hold_create(
            clinic=clinic,
            treatment_type=treatment,
            practitioner=None,
            starts_at=at(day, 9),
            first_name="Ada",
            last_name="Lovelace",
            email=email,
            phone="+447700900123",
        )

    outcomes = book_at_once(
        monkeypatch, services, "free_at", {"ada": booking("ada@example.org"), "grace": booking("grace@example.org")}
    )
    assert sorted(map(type, outcomes.values()), key=str) == sorted([str, services.SlotGone], key=str), outcomes
    assert BookingHold.objects.count() == 1
    assert Delivery.objects.count() == 1, "the loser sends no email"


def test_the_link_books_once_and_says_so_when_followed_again(online, clinic, day, anon, outbox_sends):
    with outbox_sends():
        choose(anon, clinic, online, at(day, 9))
    link = link_in(mail.outbox[0])
    anon.post(link)
    again = anon.post(link)
    assert "This booking was confirmed already" in again.content.decode()
    assert anon.get(link).status_code == 200
    assert Appointment.objects.count() == 1


def test_an_expired_link_books_nothing_and_names_the_clinic(online, clinic, day, anon):
    hold = BookingHoldFactory(clinic=clinic, practitioner=online.clinic.staff.first(), treatment_type=online)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 16 * 60):
        old = urlsplit(verify_url(hold)).path
    for method in ("get", "post"):
        response = getattr(anon, method)(old)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page and clinic.name in page and "01632 960000" in page
    assert not Appointment.objects.exists()


def test_a_hold_that_ran_out_books_nothing_even_with_a_fresh_link(online, clinic, practitioner, day, anon):
    hold = BookingHoldFactory(
        clinic=clinic,
        practitioner=practitioner,
        treatment_type=online,
        starts_at=at(day, 9),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    response = anon.post(urlsplit(verify_url(hold)).path)
    assert "This link has expired" in response.content.decode()
    assert not Appointment.objects.exists() and not Client.objects.exists()


def test_a_tampered_link_books_nothing_and_names_the_clinic_when_it_can(online, clinic, practitioner, anon):
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online)
    path = urlsplit(verify_url(hold)).path
    segment, token = path.strip("/").split("/")[-2:]
    broken = path.replace(token, token[:-2] + ("xy" if token[-2:] != "xy" else "zz"))
    for method in ("get", "post"):
        response = getattr(anon, method)(broken)
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode() and clinic.name in response.content.decode()
    # A changed clinic segment names no clinic, and the token alone does not book.
    other_segment = VERIFY_LINK.clinic_segment(clinic.pk + 1)
    response = anon.post(path.replace(segment, other_segment))
    assert response.status_code == 400 and clinic.name not in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_link_of_one_purpose_is_not_read_as_another(online, clinic, practitioner, anon):
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online)
    from django.core import signing

    forged = signing.TimestampSigner(salt="routines.checkin").sign_object({"h": hold.pk}, compress=True)
    segment = VERIFY_LINK.clinic_segment(clinic.pk)
    response = anon.post(reverse("booking_public:verify", kwargs={"clinic": segment, "token": forged}))
    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_when_the_clinic_booked_the_time_meanwhile_the_link_says_so_and_saves_nothing(
    online, clinic, practitioner, day, anon
):
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online, starts_at=at(day, 9))
    AppointmentFactory(clinic=clinic, practitioner=practitioner, starts_at=at(day, 9), ends_at=at(day, 10))
    clients = Client.objects.count()
    response = anon.post(urlsplit(verify_url(hold)).path)
    assert response.status_code == 409
    assert "Sorry, this time has just been taken" in response.content.decode()
    assert Client.objects.count() == clients and Appointment.objects.count() == 1


def test_turning_online_booking_off_stops_a_link_already_sent(online, clinic, practitioner, day, anon):
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online, starts_at=at(day, 9))
    BookingSettings.objects.filter(clinic=clinic).update(online=False)
    response = anon.post(urlsplit(verify_url(hold)).path)
    assert "Please contact us to book" in response.content.decode()
    assert not Appointment.objects.exists()


# --- Request mode ------------------------------------------------------------------------


def test_in_request_mode_the_link_makes_a_request_that_keeps_the_time(online, clinic, day, anon, outbox_sends):
    BookingSettings.objects.filter(clinic=clinic).update(mode=BookingSettings.Mode.REQUEST)
    with outbox_sends():
        choose(anon, clinic, online, at(day, 9))
    response = anon.post(link_in(mail.outbox[0]))
    assert f"Your request is with {clinic.name}" in response.content.decode()
    assert not Appointment.objects.exists()
    assert BookingHold.objects.get().status == BookingHold.Status.REQUESTED
    BookingHold.objects.update(expires_at=timezone.now() - dt.timedelta(hours=1))
    assert "09:00" not in times_on(anon.get(page_url(clinic, online, day)), day), "a request keeps its time"


# --- Abuse ----------------------------------------------------------------------------


def test_a_filled_honeypot_is_answered_as_a_success_with_nothing_held_or_sent(online, clinic, day, anon):
    response = choose(anon, clinic, online, at(day, 9), website="http://spam.example")
    assert response.status_code == 302 and response.url.endswith("/sent/")
    assert not BookingHold.objects.exists() and not Delivery.objects.exists()


def test_the_honeypot_is_out_of_sight_without_an_inline_style(online, clinic, day, anon):
    url = reverse("booking_public:details", kwargs={"slug": clinic.slug})
    page = anon.get(url, {"type": online.pk, "practitioner": "any", "at": at(day, 9).isoformat()}).content.decode()
    assert 'class="rc-hp" aria-hidden="true"' in page and 'name="website"' in page
    assert "style=" not in page


def test_too_many_attempts_for_one_email_are_paused_with_a_message(online, clinic, day, anon, settings):
    settings.BOOKING_LIMIT_PER_EMAIL = 2
    for hour in (9, 10):
        assert choose(anon, clinic, online, at(day, hour)).status_code == 302
    response = choose(anon, clinic, online, at(day, 11))
    assert response.status_code == 429
    assert "we have paused online booking for you" in response.content.decode()
    assert BookingHold.objects.count() == 2


def test_too_many_attempts_from_one_address_are_paused_whatever_the_email(online, clinic, day, anon, settings):
    settings.BOOKING_LIMIT_PER_ADDRESS = 2
    for n, hour in enumerate((9, 10, 11)):
        response = choose(anon, clinic, online, at(day, hour), email=f"person{n}@example.org")
    assert response.status_code == 429
    assert BookingHold.objects.count() == 2


def test_bad_details_get_messages_by_the_fields_and_hold_nothing(online, clinic, day, anon):
    response = choose(anon, clinic, online, at(day, 9), email="not-an-email", phone="call me", first_name="A\nB")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert "Enter a phone number using digits" in page
    assert "no line breaks or tabs" in page
    assert not BookingHold.objects.exists()


def test_no_public_booking_page_answers_500_or_half_saves_under_generated_input(
    online, clinic, practitioner, day, anon
):
    from tests.test_fuzz import discover, fuzz, row_counts

    def at_most_one_hold(response, before, what):
        after = row_counts()
        changed = {label for label in after if after[label] != before[label]}
        assert changed <= {"booking.BookingHold", "outbox.Delivery"}, f"{what} changed {changed}"
        assert after["booking.BookingHold"] - before["booking.BookingHold"] <= 1, what

    def at_most_one_booking(response, before, what):
        after = row_counts()
        assert after["appointments.Appointment"] - before["appointments.Appointment"] <= 1, what
        assert after["clients.Client"] - before["clients.Client"] <= 1, what

    details = reverse("booking_public:details", kwargs={"slug": clinic.slug})
    for url in (
        page_url(clinic, online, day),
        f"{details}?type={online.pk}&practitioner=any&at={at(day, 9).isoformat().replace('+', '%2B')}",
    ):
        fuzz(anon, discover(url, anon), check=at_most_one_hold)
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online, starts_at=at(day, 11))
    fuzz(anon, discover(urlsplit(verify_url(hold)).path, anon), check=at_most_one_booking)


def test_holds_nobody_confirmed_are_forgotten_a_day_after_they_lapse(online, clinic, practitioner, day):
    from booking.tasks import forget_lapsed_holds

    now = timezone.now()
    hold = {"clinic": clinic, "practitioner": practitioner, "treatment_type": online}
    BookingHoldFactory(**hold, first_name="Lapsed", expires_at=now - dt.timedelta(days=1, minutes=1))
    BookingHoldFactory(**hold, first_name="Recent", expires_at=now - dt.timedelta(hours=23))
    BookingHoldFactory(
        **hold, first_name="Request", status=BookingHold.Status.REQUESTED, expires_at=now - dt.timedelta(days=3)
    )
    assert forget_lapsed_holds() == 1
    assert sorted(BookingHold.objects.values_list("first_name", flat=True)) == ["Recent", "Request"]
    assert forget_lapsed_holds() == 0


def test_an_old_link_whose_hold_was_forgotten_says_it_expired_and_names_the_clinic(online, clinic, practitioner, anon):
    hold = BookingHoldFactory(clinic=clinic, practitioner=practitioner, treatment_type=online)
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 2 * 24 * 3600):
        old = urlsplit(verify_url(hold)).path
    hold.delete()
    response = anon.post(old)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode() and clinic.name in response.content.decode()
