"""The one-click links of a routine email, from the client's side, and what the
practitioner then sees on the client page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from unittest import mock
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from outbox.models import Delivery, DeliveryAttempt
from routines.links import SALT, LinkExpired, LinkInvalid, checkin_url, make_token, read_checkin_token
from routines.models import CheckIn, Routine
from routines.selectors import home_pain
from tests.factories import (
    ClientFactory,
    DeliveryFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
    TreatmentSessionFactory,
)


@pytest.fixture
def delivery(clinic, practitioner):
    client = ClientFactory(
        clinic=clinic, first_name="Maya", last_name="Lindqvist", email="maya@example.org", timezone="Pacific/Auckland"
    )
    routine = RoutineFactory(clinic=clinic, client=client, created_by=practitioner)
    return DeliveryFactory(routine=routine)


def _path(delivery, kind, pain=None) -> str:
    return urlsplit(checkin_url(delivery, kind, pain)).path


def _local_today(client) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(client.timezone)).date()


# --- opening a link records nothing --------------------------------------------------


@pytest.mark.parametrize("kind", ["done", "pause", "stop"])
def test_opening_a_link_shows_a_button_and_records_nothing(delivery, anon, kind):
    response = anon.get(_path(delivery, kind))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post"' in page and 'type="submit"' in page
    assert "Hello Maya," in page
    assert not CheckIn.objects.exists()
    delivery.routine.refresh_from_db()
    assert delivery.routine.status == Routine.Status.ACTIVE and delivery.routine.paused_until is None


def test_the_done_page_asks_and_shows_no_more_than_the_first_name(delivery, anon):
    page = anon.get(_path(delivery, "done")).content.decode()
    assert "Record that you did today's routine?" in page
    assert "Lindqvist" not in page and "maya@example.org" not in page


def test_a_pain_link_opens_with_its_score_chosen(delivery, anon):
    page = anon.get(_path(delivery, "pain", 7)).content.decode()
    assert 'value="7" autocomplete="off" checked' in page
    assert 'value="6" autocomplete="off">' in page
    assert not CheckIn.objects.exists()


# --- pressing the button records once ------------------------------------------------


def test_pressing_the_button_records_once_and_a_second_press_says_already_recorded(delivery, anon):
    url = _path(delivery, "done")
    first = anon.post(url)
    assert first.status_code == 200 and "Thank you, that's recorded" in first.content.decode()
    second = anon.post(url)
    assert second.status_code == 200 and "Already recorded, thank you" in second.content.decode()
    check_in = CheckIn.objects.get()
    assert (check_in.kind, check_in.delivery, check_in.client, check_in.clinic) == (
        "done",
        delivery,
        delivery.client,
        delivery.clinic,
    )
    assert check_in.local_date == delivery.local_date
    # Opening the link again afterwards says so too, without a button.
    again = anon.get(url).content.decode()
    assert "Already recorded, thank you" in again and 'type="submit"' not in again


def test_pain_records_the_score_the_client_settles_on(delivery, anon):
    response = anon.post(_path(delivery, "pain", 7), {"pain": "5"})
    assert "5 out of 10" in response.content.decode()
    assert CheckIn.objects.get().pain == 5
    # Another score link of the same email is the same answer: already recorded.
    response = anon.post(_path(delivery, "pain", 2))
    assert "Already recorded" in response.content.decode() and "5 out of 10" in response.content.decode()
    assert CheckIn.objects.count() == 1


def test_pain_without_a_choice_uses_the_links_score_and_a_nonsense_score_records_nothing(delivery, anon):
    bad = anon.post(_path(delivery, "pain", 4), {"pain": "11"})
    assert bad.status_code == 200 and "Choose a number from 0 to 10." in bad.content.decode()
    assert not CheckIn.objects.exists()
    anon.post(_path(delivery, "pain", 4))
    assert CheckIn.objects.get().pain == 4


def test_pause_stops_emails_for_a_week_and_says_when_they_start_again(delivery, anon):
    response = anon.post(_path(delivery, "pause"))
    routine = Routine.objects.get(pk=delivery.routine_id)
    today = _local_today(delivery.client)
    assert routine.paused_until == today + dt.timedelta(days=7)
    assert routine.status == Routine.Status.ACTIVE
    resumes = today + dt.timedelta(days=8)
    assert f"They start again on <strong>{resumes:%A} {resumes.day} {resumes:%B}</strong>" in response.content.decode()
    assert CheckIn.objects.get().kind == "pause"


def test_stop_ends_the_routine_and_says_the_clinic_has_been_told(delivery, anon):
    response = anon.post(_path(delivery, "stop"))
    page = response.content.decode()
    assert "You won't get any more routine emails" in page and "Calm Feet Reflexology has been told" in page
    routine = Routine.objects.get(pk=delivery.routine_id)
    assert routine.status == Routine.Status.STOPPED and routine.stopped_at is not None
    assert "stopped the emails" in routine.stop_reason
    # Pausing afterwards has nothing left to pause.
    later = DeliveryFactory(routine=routine, local_date=delivery.local_date + dt.timedelta(days=1))
    page = anon.get(_path(later, "pause")).content.decode()
    assert "already stopped" in page and 'type="submit"' not in page


def test_one_click_unsubscribe_post_stops_without_the_confirm_page_or_a_csrf_token(delivery):
    provider = HttpClient(enforce_csrf_checks=True)
    response = provider.post(_path(delivery, "stop"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Routine.objects.get(pk=delivery.routine_id).status == Routine.Status.STOPPED


def test_one_click_body_only_works_on_a_stop_link(delivery):
    provider = HttpClient(enforce_csrf_checks=True)
    response = provider.post(_path(delivery, "done"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 403
    assert not CheckIn.objects.exists()


def test_the_confirm_button_is_csrf_protected_and_works_with_the_token_from_the_page(delivery):
    browser = HttpClient(enforce_csrf_checks=True)
    url = _path(delivery, "done")
    assert browser.post(url).status_code == 403
    assert not CheckIn.objects.exists()
    page = browser.get(url)
    token = page.context["csrf_token"]
    assert f'value="{token}"' in page.content.decode()
    assert browser.post(url, {"csrfmiddlewaretoken": str(token)}).status_code == 200
    assert CheckIn.objects.count() == 1


# --- bad links -------------------------------------------------------------------------


def test_a_tampered_link_gets_a_friendly_400_page_and_records_nothing(delivery, anon):
    url = _path(delivery, "stop")
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    for method in ("get", "post"):
        response = getattr(anon, method)(tampered)
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not CheckIn.objects.exists()
    assert Routine.objects.get(pk=delivery.routine_id).status == Routine.Status.ACTIVE


def test_an_expired_link_gets_a_friendly_410_page_and_records_nothing(delivery, anon):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 15 * 24 * 3600):
        old = _path(delivery, "done")
    for method in ("get", "post"):
        response = getattr(anon, method)(old)
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_reading_a_token_tells_expired_from_tampered(delivery):
    token = make_token(delivery, "done")
    assert read_checkin_token(token).delivery_id == delivery.pk
    with pytest.raises(LinkExpired):
        read_checkin_token(token, max_age=-1)
    with pytest.raises(LinkInvalid) as tampered:
        read_checkin_token(token[:-1] + ("x" if token[-1] != "x" else "y"))
    assert not isinstance(tampered.value, LinkExpired)


def test_a_link_is_bound_to_its_purpose(delivery, anon):
    # A "done" link POSTed with a different purpose still only records "done".
    anon.post(_path(delivery, "done"), {"kind": "stop", "k": "stop"})
    assert list(CheckIn.objects.values_list("kind", flat=True)) == ["done"]
    assert Routine.objects.get(pk=delivery.routine_id).status == Routine.Status.ACTIVE
    # The same payload signed for another purpose of the site (another salt) is refused.
    other = signing.dumps({"d": delivery.pk, "k": "stop", "p": None}, salt="accounts.something-else")
    assert anon.post(reverse("checkin:page", args=[other])).status_code == 400
    # And so is a payload we never issue, even correctly signed.
    odd = signing.dumps({"d": delivery.pk, "k": "delete"}, salt=SALT)
    assert anon.post(reverse("checkin:page", args=[odd])).status_code == 400
    assert Routine.objects.get(pk=delivery.routine_id).status == Routine.Status.ACTIVE


def test_a_link_carries_no_personal_data(delivery):
    for kind, pain in [("done", None), ("pain", 3), ("pause", None), ("stop", None)]:
        url = checkin_url(delivery, kind, pain)
        token = url.rstrip("/").rsplit("/", 1)[1]
        payload = token.split(":")[0].lstrip(".")
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert set(data) == {"d", "k", "p"} and data["d"] == delivery.pk
        for personal in ("Maya", "Lindqvist", "maya@example.org", "example.org"):
            assert personal.lower() not in url.lower()


def test_a_link_for_an_appointment_email_or_a_deleted_row_records_nothing(delivery, anon):
    appointment_email = Delivery(pk=delivery.pk + 1000)
    assert anon.post(_path(appointment_email, "done")).status_code == 400
    assert not CheckIn.objects.exists()


# --- what the practitioner sees --------------------------------------------------------


@pytest.fixture
def client_with_routine(clinic, practitioner):
    client = ClientFactory(clinic=clinic, first_name="Ruth", last_name="Okafor")
    TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        started_at=timezone.now() - dt.timedelta(days=6),
        pain_before=7,
        pain_after=4,
    )
    routine = RoutineFactory(
        clinic=clinic,
        client=client,
        created_by=practitioner,
        starts_on=timezone.localdate() - dt.timedelta(days=5),
        paused_until=timezone.localdate() + dt.timedelta(days=3),
    )
    zone = ReflexZoneFactory(clinic=clinic, code="t-spine", name="Spine", reflex_map="hand_palm")
    RoutineStepFactory(
        routine=routine, zone=zone, title="Spine along the palm", side_order="right_then_left", pressure=4
    )
    RoutineStepFactory(routine=routine, kind="lifestyle", title="Walk a little every day")
    return client, routine


def _add_deliveries(routine, days: range) -> list[Delivery]:
    out = []
    for n in days:
        d = DeliveryFactory(routine=routine, local_date=timezone.localdate() - dt.timedelta(days=n))
        out.append(d)
    return out


def test_client_page_shows_the_routine_the_delivery_log_adherence_and_at_home_pain(
    practitioner_client, client_with_routine
):
    client, routine = client_with_routine
    sent = _add_deliveries(routine, range(1, 4))
    failed = DeliveryFactory(
        routine=routine,
        local_date=timezone.localdate(),
        status=Delivery.Status.FAILED,
        attempts=1,
        last_error="550 Mailbox unavailable",
    )
    DeliveryAttempt.objects.create(delivery=failed, outcome="permanent", smtp_code=550, error="550 Mailbox unavailable")
    for d in sent[:2]:
        CheckIn.objects.create(clinic=d.clinic, client=client, delivery=d, kind="done", local_date=d.local_date)
    CheckIn.objects.create(
        clinic=routine.clinic, client=client, delivery=sent[0], kind="pain", pain=2, local_date=sent[0].local_date
    )
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Home routine" in page and "Spine along the palm" in page and "Walk a little every day" in page
    assert "Right first, then left" in page and "Firm pressure" in page
    assert "Every day" in page and "until the next session" in page
    assert f"Paused by the client until {routine.paused_until:%-d %b %Y}" in page
    assert "2 of 3 emails (67%)" in page
    assert "550 Mailbox unavailable" in page and "Failed" in page
    assert 'class="pain-series pain-series-home"' in page and "At-home pain</text>" in page
    assert "<polygon" in page and 'stroke-dasharray="1 5"' in page
    assert 'class="table table-sm mt-2 mb-0 home-pain-table"' in page
    assert "Pain 2/10" in page


def test_client_page_without_a_routine_says_so(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No routine is being emailed to this client" in page
    assert "No routine emails sent yet" in page and "No emails yet." in page


def test_client_page_never_shows_another_clients_routine_emails(practitioner_client, clinic, client_with_routine):
    client, routine = client_with_routine
    someone_else = RoutineFactory(clinic=clinic)
    d = DeliveryFactory(routine=someone_else, last_error="Someone else's error")
    CheckIn.objects.create(
        clinic=clinic, client=someone_else.client, delivery=d, kind="pain", pain=9, local_date=d.local_date
    )
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Someone else" not in page and "pain-series-home" not in page


def test_client_page_query_count_stays_the_same_with_3_and_30_emails(practitioner_client, client_with_routine):
    from tests.test_clients import _detail_queries

    client, routine = client_with_routine
    for d in _add_deliveries(routine, range(1, 4)):
        CheckIn.objects.create(clinic=d.clinic, client=client, delivery=d, kind="pain", pain=3, local_date=d.local_date)
    with_three = _detail_queries(practitioner_client, client)
    for d in _add_deliveries(routine, range(4, 31)):
        CheckIn.objects.create(clinic=d.clinic, client=client, delivery=d, kind="pain", pain=3, local_date=d.local_date)
        CheckIn.objects.create(clinic=d.clinic, client=client, delivery=d, kind="done", local_date=d.local_date)
    assert _detail_queries(practitioner_client, client) == with_three


# --- correcting a pain score the same day (issue 10, item 16) --------------------------


@pytest.fixture
def todays_delivery(delivery):
    delivery.local_date = _local_today(delivery.client)
    delivery.save(update_fields=["local_date"])
    return delivery


def test_a_client_who_taps_the_wrong_pain_score_can_correct_it_the_same_day(todays_delivery, anon, practitioner_client):
    delivery = todays_delivery
    first = anon.post(_path(delivery, "pain", 8), {"pain": "8"})
    assert "Your pain today: <strong>8 out of 10</strong>" in first.content.decode()
    # Back in the email, the client taps the number they meant: the page says what we have
    # and offers to change it.
    page = anon.get(_path(delivery, "pain", 3)).content.decode()
    assert "You told us <strong>8 out of 10</strong> earlier today" in page
    assert 'value="3" autocomplete="off" checked' in page and "Change my answer" in page
    changed = anon.post(_path(delivery, "pain", 3), {"pain": "3"}).content.decode()
    assert "Thank you, your answer is changed" in changed and "<strong>3 out of 10</strong>" in changed
    # The latest answer counts; the earlier one stays in the history.
    assert list(CheckIn.objects.order_by("id").values_list("kind", "pain")) == [("pain_replaced", 8), ("pain", 3)]
    assert home_pain(delivery.client) == [(delivery.local_date, 3)]
    client_page = practitioner_client.get(reverse("clients:detail", args=[delivery.client.pk])).content.decode()
    # The delivery log keeps the history, saying which answer was corrected.
    assert "Pain 3/10" in client_page and "Pain 8/10, corrected later" in client_page
    report = practitioner_client.get(reverse("reports:client_report", args=[delivery.client.pk])).content.decode()
    assert "Pain 3 out of 10" in report and "Pain 8 out of 10, corrected later" in report
    # Choosing the same number again changes nothing.
    again = anon.post(_path(delivery, "pain", 3), {"pain": "3"}).content.decode()
    assert "Already recorded, thank you" in again
    assert CheckIn.objects.count() == 2


def test_reports_count_only_the_latest_pain_answer_of_each_email(todays_delivery, anon):
    from reports.metrics import routines as routine_figures
    from reports.scope import Scope

    delivery = todays_delivery
    anon.post(_path(delivery, "pain", 9), {"pain": "9"})
    anon.post(_path(delivery, "pain", 2), {"pain": "2"})
    day = delivery.local_date
    rows = routine_figures(Scope(clinic=delivery.clinic, start=day, end=day)).rows
    figures = {row["measure"]: row["value"] for row in rows}
    assert figures["Pain check-ins"] == 1 and figures["Mean at-home pain"] == 2


def test_a_pain_score_from_an_earlier_day_can_no_longer_be_changed(delivery, anon):
    delivery.local_date = _local_today(delivery.client) - dt.timedelta(days=1)
    delivery.save(update_fields=["local_date"])
    anon.post(_path(delivery, "pain", 8), {"pain": "8"})
    page = anon.get(_path(delivery, "pain", 3)).content.decode()
    assert "Already recorded, thank you" in page and 'type="submit"' not in page
    response = anon.post(_path(delivery, "pain", 3), {"pain": "3"}).content.decode()
    assert "Already recorded" in response and "8 out of 10" in response
    assert list(CheckIn.objects.values_list("kind", "pain")) == [("pain", 8)]


def test_done_still_counts_once_a_day(todays_delivery, anon):
    url = _path(todays_delivery, "done")
    anon.post(url)
    assert "Already recorded, thank you" in anon.post(url).content.decode()
    assert CheckIn.objects.filter(kind="done").count() == 1


# --- pages of links that no longer work name the clinic (issue 10, item 17) ------------


@pytest.fixture
def reachable_clinic(delivery):
    clinic = delivery.clinic
    clinic.name, clinic.phone, clinic.email = "Willow Reflexology", "+44 20 7946 0958", "hello@willow.example"
    clinic.save()
    return clinic


def test_the_expired_link_page_names_the_clinic_and_how_to_reach_it(delivery, reachable_clinic, anon):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 15 * 24 * 3600):
        old = _path(delivery, "done")
    page = anon.get(old).content.decode()
    assert "This link has expired" in page
    assert "To reach <strong>Willow Reflexology</strong>" in page
    assert "+44 20 7946 0958" in page and "hello@willow.example" in page


def test_the_tampered_link_page_names_the_clinic_and_how_to_reach_it(delivery, reachable_clinic, anon):
    url = _path(delivery, "stop")
    cut_short = url.rstrip("/")[:-12] + "/"  # an email program broke the long link
    response = anon.get(cut_short)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link does not work" in page and "To reach <strong>Willow Reflexology</strong>" in page
    assert "+44 20 7946 0958" in page and "hello@willow.example" in page


def test_a_changed_clinic_part_of_a_link_names_no_clinic(delivery, reachable_clinic, other_clinic, anon):
    url = _path(delivery, "stop")
    _, _, segment, token, _ = url.split("/")
    forged = f"/r/{other_clinic.pk}-{segment.split('-')[1]}/{token[:-3]}xyz/"
    page = anon.get(forged).content.decode()
    assert "This link does not work" in page and "To reach" not in page and other_clinic.name not in page
