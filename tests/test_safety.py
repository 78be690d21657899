"""What an attacker could reach (issue 11): stored script in the email preview, pages
without a Content-Security-Policy, 500s under hostile input, names that break email
headers, unlimited password guessing, and answers recorded after a routine stopped.

tests/test_fuzz.py posts generated values to every form; the cases here are the ones
named in the issue, each pinned by its own test.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from accounts.inputs import parse_day, parse_id
from clients.models import Client
from routines.links import checkin_url
from routines.models import CheckIn, Routine
from routines.proposal import routine_propose
from sessions.models import TreatmentSession
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    DeliveryFactory,
    OwnerFactory,
    PressureNoteFactory,
    RoutineFactory,
    TreatmentSessionFactory,
    UserFactory,
)
from tests.test_tenancy import CASES, _url

HOSTILE = "<script>alert('owned')</script>"


def csp(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def assert_strict(response) -> None:
    policy = csp(response)
    assert policy, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    for directive in ("script-src", "style-src"):
        assert directive in policy and "'self'" in policy[directive], policy
        assert "unsafe-inline" not in policy[directive] and "unsafe-eval" not in policy[directive], policy
    assert "object-src 'none'" in policy.values(), policy


# --- stored XSS and the Content-Security-Policy ----------------------------------------


@pytest.fixture
def hostile_routine(clinic, practitioner):
    client = ClientFactory(clinic=clinic, first_name=HOSTILE, email="h@example.org", consent_email=True)
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session)
    routine = routine_propose(session=session, by=practitioner)
    routine.intro = HOSTILE
    routine.save(update_fields=["intro"])
    routine.steps.update(title=HOSTILE, instruction=HOSTILE)
    return routine


def test_the_email_preview_shows_a_hostile_name_as_text_under_a_strict_policy(practitioner_client, hostile_routine):
    response = practitioner_client.get(reverse("routines:preview", args=[hostile_routine.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in page
    # The plain-text part of the email, where the name, intro and steps were printed raw.
    text_part = page.split("Plain-text version", 1)[1]
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in text_part
    assert_strict(response)


def test_the_email_preview_frame_keeps_its_own_policy(practitioner_client, hostile_routine):
    response = practitioner_client.get(reverse("routines:preview_html", args=[hostile_routine.pk]))
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in response["Content-Security-Policy"]  # so default-src 'none': no script runs
    assert "<script>alert" not in response.content.decode()


# The email preview's frame shows the email's own HTML, whose inline styles emails need; it
# has a policy of its own that runs nothing at all (the test above).
EMAIL_FRAME = "routines:preview_html"


@pytest.mark.parametrize("name", sorted(set(CASES) - {EMAIL_FRAME}))
def test_every_page_carries_a_strict_content_security_policy(name, world, owner_client):
    response = owner_client.get(_url(name, CASES[name], world))
    assert response.status_code != 500
    assert_strict(response)


@pytest.mark.parametrize("name", ["login", "password_reset"])
def test_the_sign_in_pages_carry_it_too(name, anon, db):
    assert_strict(anon.get(reverse(name)))


def test_a_check_in_page_carries_it_too(anon, clinic):
    delivery = DeliveryFactory(routine=RoutineFactory(clinic=clinic))
    assert_strict(anon.get(urlsplit(checkin_url(delivery, "done")).path))


# --- no 500 under hostile input ---------------------------------------------------------


def test_ids_and_days_are_read_strictly():
    assert parse_id("42") == 42
    for raw in ("²", "٣", "-1", "1.0", "", None, "9" * 30):
        assert parse_id(raw) is None, raw
    assert parse_day("2026-03-03") == dt.date(2026, 3, 3)
    for raw in ("0001-01-01", "9999-12-31", "2026-02-30", "", None, "２０２６-01-01"):
        assert parse_day(raw) is None, raw


@pytest.mark.parametrize("view", ["appointments:day", "appointments:week"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "10000-01-01"])
def test_a_calendar_at_the_ends_of_time_shows_today_instead(owner_client, view, day):
    response = owner_client.get(reverse(view), {"date": day, "practitioner": "all"})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


@pytest.mark.parametrize(("start", "end"), [("9999-12-01", "9999-12-31"), ("0001-01-01", "0001-01-31")])
def test_a_report_range_at_the_ends_of_time_is_a_field_message(owner_client, start, end):
    response = owner_client.get(reverse("reports:dashboard"), {"range": "custom", "start": start, "end": end})
    assert response.status_code == 200
    assert "Check the year: choose a date between 1900 and 2999." in response.content.decode()


def test_a_client_report_range_at_the_ends_of_time_is_a_field_message(owner_client, clinic):
    client = ClientFactory(clinic=clinic)
    response = owner_client.get(
        reverse("reports:client_report", args=[client.pk]),
        {"range": "custom", "start": "9999-12-01", "end": "9999-12-31"},
    )
    assert response.status_code == 200


def test_a_non_ascii_digit_in_a_calendar_or_booking_query_is_ignored(owner_client, clinic):
    for view, query in [
        ("appointments:day", {"practitioner": "²"}),
        ("appointments:week", {"practitioner": "٣"}),
        ("appointments:book", {"client": "²", "practitioner": "²"}),
        ("appointments:course_book", {"client": "²"}),
    ]:
        assert owner_client.get(reverse(view), query).status_code == 200, (view, query)


def test_a_non_ascii_digit_as_a_routine_step_is_a_404(practitioner_client, clinic, practitioner):
    session = TreatmentSessionFactory(
        clinic=clinic, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session)
    routine = routine_propose(session=session, by=practitioner)
    response = practitioner_client.post(reverse("routines:edit", args=[routine.pk]), {"action": "up", "step": "²"})
    assert response.status_code == 404


def test_a_non_ascii_digit_as_the_notes_count_is_a_form_message(practitioner_client, clinic, practitioner):
    # Begun half an hour ago: no session is recorded before its appointment starts (issue 10, item 7).
    start = timezone.now() - dt.timedelta(minutes=30)
    appointment = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    url = reverse("sessions:record", args=[appointment.pk])
    for extra in ({}, {"add_rows": "1"}):
        response = practitioner_client.post(url, {"notes-TOTAL_FORMS": "²", "notes-INITIAL_FORMS": "0", **extra})
        assert response.status_code in (200, 400), extra
    assert not TreatmentSession.objects.filter(appointment=appointment).exists()


def test_a_nul_byte_in_the_client_search_is_a_message(owner_client, clinic):
    ClientFactory(clinic=clinic, first_name="Ada")
    response = owner_client.get(reverse("clients:list"), {"q": "Ad\x00a"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


def test_a_nul_byte_in_a_stop_reason_stops_nothing_and_says_why(practitioner_client, clinic, practitioner):
    routine = RoutineFactory(clinic=clinic, created_by=practitioner, status=Routine.Status.ACTIVE)
    response = practitioner_client.post(reverse("routines:stop", args=[routine.pk]), {"reason": "a\x00b"}, follow=True)
    assert response.status_code == 200
    assert "The routine was not stopped" in response.content.decode()
    routine.refresh_from_db()
    assert routine.status == Routine.Status.ACTIVE


@pytest.mark.parametrize(
    "target", ["http://[::1", "javascript:alert(1)", "//evil.example/", "\x00", "not a url ²", "/ok\r\nSet-Cookie: x=1"]
)
def test_a_mark_with_a_next_that_is_not_our_url_goes_back_to_the_appointment(owner_client, clinic, target):
    appointment = AppointmentFactory(clinic=clinic, starts_at=timezone.now() - dt.timedelta(hours=2))
    response = owner_client.post(reverse("appointments:mark", args=[appointment.pk]), {"status": "x", "next": target})
    assert response.status_code == 302
    assert response.url == reverse("appointments:detail", args=[appointment.pk])


# --- names with a line break --------------------------------------------------------------

CONTROL_NAMES = ["Ann\nSmith", "Ann\r\nBcc: x@evil.example", "Ann\tSmith", "Ann\x00", "Ann\u202eSmith"]


@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_the_intake_form_refuses_a_name_with_a_control_character(practitioner_client, clinic, name):
    response = practitioner_client.post(
        reverse("clients:add"),
        {"first_name": name, "last_name": "Lee", "email": "ann@example.org", "timezone": "Europe/London"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "first_name" in errors
    assert not Client.objects.filter(clinic=clinic).exists()


@pytest.mark.parametrize("name", CONTROL_NAMES[:2])
def test_the_staff_forms_refuse_a_name_with_a_line_break(owner_client, clinic, practitioner, name):
    add = owner_client.post(
        reverse("staff_add"),
        {"first_name": "Nell", "last_name": name, "username": "nell", "email": "n@example.org", "role": "practitioner"},
    )
    assert "last_name" in add.context["form"].errors
    edit = owner_client.post(
        reverse("staff_edit", args=[practitioner.pk]),
        {"first_name": name, "last_name": "P", "email": "p@example.org", "role": "practitioner", "is_active": "on"},
    )
    assert "Use letters, spaces and punctuation only" in edit.content.decode()
    practitioner.refresh_from_db()
    assert practitioner.first_name == "Priya"


def test_a_name_with_a_line_break_keeps_a_persian_joiner():
    from accounts.inputs import has_control_characters

    assert not has_control_characters("Mehr\u200cnoosh")
    assert has_control_characters("Ann\nSmith")
    from outbox.render import address

    assert address("Ann\r\n  Smith\u202e ", "ann@example.org") == "Ann Smith <ann@example.org>"


def test_an_email_to_a_name_stored_with_a_line_break_still_goes_out(clinic, practitioner):
    from routines.emails import preview_routine_email

    client = ClientFactory(clinic=clinic, first_name="Ann\r\nBcc: x@evil.example", email="ann@example.org")
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session)
    routine = routine_propose(session=session, by=practitioner)
    message = preview_routine_email(routine, timezone.localdate())
    parsed = message_from_bytes(message.message().as_bytes())
    # One header, the would-be Bcc line quoted inside the display name.
    assert parsed["To"] == f'"Ann Bcc: x@evil.example {client.last_name}" <ann@example.org>'
    assert parsed["Bcc"] is None


# --- brute force ----------------------------------------------------------------------------


def _login(http, username, password):
    return http.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.1")


@pytest.fixture
def limit(settings):
    settings.AXES_FAILURE_LIMIT = 5
    return 5


def test_wrong_passwords_lock_the_account_even_with_the_right_one(anon, practitioner, limit):
    for _ in range(limit - 1):
        assert _login(anon, "priya", "nope").status_code == 200
    locked = _login(anon, "priya", "nope")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    # From another address too: the count is per account.
    elsewhere = HttpClient().post(reverse("login"), {"username": "priya", "password": "pw"}, REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 429
    assert "_auth_user_id" not in elsewhere.client.session


def test_the_lockout_message_is_the_same_for_a_made_up_username(anon, practitioner, limit):
    pages = []
    for username in ("priya", "nobody-here"):
        http = HttpClient()
        for _ in range(limit):
            response = http.post(
                reverse("login"), {"username": username, "password": "x"}, REMOTE_ADDR=f"10.1.{len(pages)}.1"
            )
        pages.append(response)
    assert [p.status_code for p in pages] == [429, 429]
    assert pages[0].context["locked_message"] == pages[1].context["locked_message"]


def test_one_address_trying_many_accounts_is_locked(anon, practitioner, limit):
    for n in range(limit):
        response = _login(anon, f"guess{n}", "x")
    assert response.status_code == 429
    assert _login(anon, "priya", "pw").status_code == 429


def test_the_owner_sees_the_clinics_locked_accounts_and_unlocks_one(owner_client, practitioner, limit, anon):
    for _ in range(limit):
        _login(anon, "priya", "nope")
    page = owner_client.get(reverse("staff_list")).content.decode()
    assert 'id="locked-accounts"' in page and "Unlock priya" in page
    response = owner_client.post(reverse("staff_unlock", args=[practitioner.pk]), follow=True)
    assert "can log in again" in response.content.decode()
    assert 'id="locked-accounts"' not in response.content.decode()
    assert HttpClient().post(reverse("login"), {"username": "priya", "password": "pw"}).status_code == 302


def test_another_clinics_owner_neither_sees_nor_unlocks_our_locked_account(other_clinic, practitioner, limit, anon):
    for _ in range(limit):
        _login(anon, "priya", "nope")
    outsider = HttpClient()
    outsider.force_login(OwnerFactory(clinic=other_clinic, username="otto"))
    assert "priya" not in outsider.get(reverse("staff_list")).content.decode()
    assert outsider.post(reverse("staff_unlock", args=[practitioner.pk])).status_code == 404
    assert _login(HttpClient(), "priya", "pw").status_code == 429


def test_a_right_password_resets_the_count(anon, practitioner, limit):
    for _ in range(limit - 1):
        _login(anon, "priya", "nope")
    assert _login(anon, "priya", "pw").status_code == 302
    other = HttpClient()
    for _ in range(limit - 1):
        assert _login(other, "priya", "nope").status_code == 200


def test_demo_logins_are_never_locked_while_debug_is_on(anon, clinic, limit, settings):
    settings.DEBUG = True
    UserFactory(clinic=clinic, username="demo", password="demo", is_demo=True)
    for _ in range(limit + 2):
        _login(anon, "demo", "wrong")
    assert _login(anon, "demo", "demo").status_code == 302


# --- a stopped routine takes no further answers ----------------------------------------------


def test_after_a_one_click_stop_the_pause_link_records_nothing(clinic, practitioner):
    routine = RoutineFactory(clinic=clinic, created_by=practitioner)
    delivery = DeliveryFactory(routine=routine)
    provider = HttpClient(enforce_csrf_checks=True)
    provider.post(urlsplit(checkin_url(delivery, "stop")).path, {"List-Unsubscribe": "One-Click"})
    routine.refresh_from_db()
    assert routine.status == Routine.Status.STOPPED
    for kind in ("pause", "done"):
        page = HttpClient().post(urlsplit(checkin_url(delivery, kind)).path).content.decode()
        assert "already stopped" in page and 'type="submit"' not in page, kind
    assert list(CheckIn.objects.values_list("kind", flat=True)) == ["stop"]
    routine.refresh_from_db()
    assert routine.status == Routine.Status.STOPPED and routine.paused_until is None
