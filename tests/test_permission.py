"""Medical permission, the GP letter (issue 12, part 2; docs/domain.md, rule 16).

A flag of the tier "needs medical permission" opens a request in one click; the clinic
prints or downloads the letter to the client's GP; the practitioner records the GP's reply
(permitted or not, the date, an optional expiry) with who and when. Until a permission that
holds is recorded, a session needs an override with a reason; "not permitted" keeps it so,
and so does a permission that has expired, saying why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from attention.selectors import PERMISSION_CHASE_DAYS
from audit.models import AuditEntry
from clients import health_flags
from clients.health_flags import FLAG_SPECS, HealthFlag
from clients.models import Client
from permission.models import PermissionRequest, PermissionStatus
from sessions.models import TreatmentSession
from tests.factories import ClientFactory, ClientHealthFlagFactory
from tests.test_lifecycle import _appointment, _record

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def ada(clinic, practitioner):
    """A client with a serious back injury and pregnancy (both need medical permission) and swelling (local)."""
    clinic.address = "12 Mill Lane\nHebden Bridge"
    clinic.email = "hello@calmfeet.example"
    clinic.phone = "01422 555 010"
    clinic.save()
    client = ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name="Ada",
        last_name="Byrne",
        date_of_birth=dt.date(1980, 5, 17),
    )
    for flag in (HealthFlag.SERIOUS_BACK_INJURY, HealthFlag.PREGNANCY, HealthFlag.SWELLING):
        ClientHealthFlagFactory(client=client, flag=flag)
    return client


def _open(http, client) -> PermissionRequest:
    response = http.post(reverse("permission:open", args=[client.pk]))
    request = PermissionRequest.objects.get(client=client, status=PermissionStatus.REQUESTED)
    assert response.status_code == 302 and response.url == reverse("permission:detail", args=[request.pk])
    return request


def reply(outcome="permitted", received_on=None, expires_on="", **fields) -> dict:
    data = {
        "outcome": outcome,
        "received_on": (received_on or TODAY()).isoformat(),
        "expires_on": expires_on.isoformat() if isinstance(expires_on, dt.date) else expires_on,
        "gp_name": "Dr Amara Okafor",
        "gp_practice": "Riverside Surgery, Hebden Bridge",
        "note": "Gentle pressure only; avoid the lower back reflexes for now.",
    }
    data.update(fields)
    return {f"reply-{k}": v for k, v in data.items()}


def _reply(http, request, **fields):
    return http.post(reverse("permission:reply", args=[request.pk]), reply(**fields))


# --- Opening a request --------------------------------------------------------------------


def test_the_client_page_offers_to_ask_the_gp_in_one_click_for_the_flags_needing_permission(
    practitioner_client, practitioner, ada
):
    page = practitioner_client.get(reverse("clients:detail", args=[ada.pk])).content.decode()
    assert "Medical permission" in page
    assert f'action="{reverse("permission:open", args=[ada.pk])}"' in page
    assert "Ask the GP for permission" in page

    request = _open(practitioner_client, ada)
    assert request.flags == [HealthFlag.SERIOUS_BACK_INJURY.value, HealthFlag.PREGNANCY.value]
    assert (request.requested_by, request.clinic) == (practitioner, ada.clinic)
    detail = practitioner_client.get(reverse("permission:detail", args=[request.pk])).content.decode()
    assert "Requested" in detail
    assert "Serious back injury, Pregnancy" in detail


def test_the_warning_where_the_practitioner_acts_links_to_the_gp_permission(practitioner_client, practitioner, ada):
    appointment = _appointment(ada, practitioner)
    for url in (
        reverse("appointments:detail", args=[appointment.pk]),
        reverse("sessions:record", args=[appointment.pk]),
    ):
        page = practitioner_client.get(url).content.decode()
        assert "Waiting for medical permission:" in page
        assert reverse("permission:client", args=[ada.pk]) in page


def test_the_letter_is_addressed_to_the_gp_the_client_named_on_their_intake(practitioner_client, ada):
    Client.objects.filter(pk=ada.pk).update(gp_name="Dr Ama Mensah", gp_practice="Riverside Surgery, Bristol")
    request = _open(practitioner_client, ada)
    assert (request.gp_name, request.gp_practice) == ("Dr Ama Mensah", "Riverside Surgery, Bristol")
    letter = practitioner_client.get(reverse("permission:letter", args=[request.pk])).content.decode()
    assert "Dear Dr Ama Mensah," in letter


def test_asking_twice_opens_one_request(practitioner_client, ada):
    first = _open(practitioner_client, ada)
    assert _open(practitioner_client, ada) == first
    assert PermissionRequest.objects.count() == 1


def test_a_client_with_nothing_needing_permission_is_told_so_and_no_request_is_opened(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic, first_name="Bea")
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SWELLING)
    response = practitioner_client.post(reverse("permission:open", args=[client.pk]), follow=True)
    assert "has no health flag waiting for a doctor&#x27;s permission" in response.content.decode()
    assert not PermissionRequest.objects.exists()


def test_opening_a_request_by_get_changes_nothing(practitioner_client, ada):
    assert practitioner_client.get(reverse("permission:open", args=[ada.pk])).status_code == 405
    assert not PermissionRequest.objects.exists()


# --- The letter ---------------------------------------------------------------------------


def test_the_letter_has_the_clinic_the_conditions_in_plain_words_honest_reflexology_and_a_reply_slip(
    practitioner_client, ada
):
    request = _open(practitioner_client, ada)
    practitioner_client.post(
        reverse("permission:gp", args=[request.pk]),
        {"gp-gp_name": "Amara Okafor", "gp-gp_practice": "Riverside Surgery"},
    )
    page = practitioner_client.get(reverse("permission:letter", args=[request.pk])).content.decode()
    for words in (
        "Calm Feet Reflexology",
        "12 Mill Lane",
        "Hebden Bridge",
        "hello@calmfeet.example",
        "Dear Dr Amara Okafor,",
        "Riverside Surgery",
        "Ada Byrne, born 17 May 1980",
        "A serious back injury",
        "Pregnancy",
        "Reflexology is a complementary therapy",
        "It does not diagnose, treat or cure any illness",
        "We will not begin treatment until we hear from you",
        "Reply slip",
        "I see no reason why this patient should not receive reflexology.",
        "I advise that this patient should not receive reflexology at present.",
        "Any advice",
        "Signature:",
        "Date:",
        "Priya Practitioner",
    ):
        assert words in page, words
    # The local flag is not the GP's business here, and nothing promises relief.
    assert "welling" not in page
    assert "will cure" not in page and "heal" not in page
    # Strict CSP: the print button's script is a file, and no style attribute.
    assert 'style="' not in page and "onclick" not in page
    assert '<script src="/static/permission/letter.js"' in page
    assert "@media print" in (Path(__file__).parent.parent / "permission/static/permission/letter.css").read_text()


def test_the_letter_downloads_as_a_text_file_saying_the_same(practitioner_client, ada):
    request = _open(practitioner_client, ada)
    response = practitioner_client.get(reverse("permission:letter_download", args=[request.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="gp-letter-ada-byrne-{request.pk}.txt"'
    text = response.content.decode()
    for words in (
        "Dear Doctor,",
        "- A serious back injury",
        "- Pregnancy",
        "REPLY SLIP",
        "[ ] I see no reason",
        "Signature:",
    ):
        assert words in text, words
    assert "&#x27;" not in text and "<" not in text


def test_opening_the_letter_is_in_the_audit_trail(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    practitioner_client.get(reverse("permission:letter", args=[request.pk]))
    entry = AuditEntry.objects.filter(what="GP letter").get()
    assert (entry.client_id, entry.actor) == (ada.pk, practitioner)


def test_every_flag_needing_medical_permission_has_gp_wording_and_a_missing_one_is_named():
    assert health_flags.spec_problems() == []
    spec = dataclasses.replace(FLAG_SPECS[HealthFlag.EPILEPSY], gp_wording="")
    problems = health_flags.spec_problems(specs={**FLAG_SPECS, HealthFlag.EPILEPSY: spec})
    assert problems == ["Health flag 'epilepsy' needs medical permission but has no GP wording (rule 16)."]


# --- The reply and the session gate ---------------------------------------------------------


def test_a_session_waits_for_the_permission_and_goes_ahead_once_it_is_recorded(practitioner_client, practitioner, ada):
    appointment = _appointment(ada, practitioner)
    page = _record(practitioner_client, appointment).content.decode()
    assert "“Serious back injury” and “Pregnancy” on record, which needs medical permission" in page
    assert "Say why you are treating without the clearance" in page

    request = _open(practitioner_client, ada)
    response = _reply(practitioner_client, request, received_on=TODAY() - dt.timedelta(days=2))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == PermissionStatus.PERMITTED
    assert request.recorded_by == practitioner and request.recorded_at is not None
    detail = practitioner_client.get(reverse("permission:detail", args=[request.pk])).content.decode()
    assert "Received: permitted" in detail and "Recorded by Priya Practitioner" in detail
    assert "Gentle pressure only" in detail

    assert _record(practitioner_client, appointment).status_code == 302
    assert TreatmentSession.objects.get().clearance_override == ""


def test_a_permitted_reply_becomes_the_clients_clearance_summary_with_an_audit_row(practitioner_client, ada):
    request = _open(practitioner_client, ada)
    signed = TODAY() - dt.timedelta(days=1)
    _reply(practitioner_client, request, received_on=signed)
    ada.refresh_from_db()
    assert ada.physician_clearance.startswith(
        "Permission from Dr Amara Okafor, Riverside Surgery, Hebden Bridge for serious back injury and pregnancy"
    )
    assert ada.physician_clearance_date == signed
    assert not ada.needs_clearance
    audited = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, client_id=ada.pk)
    assert {e.content_type.model for e in audited} == {"permissionrequest", "client"}
    page = practitioner_client.get(reverse("clients:detail", args=[ada.pk])).content.decode()
    assert "No physician referral or clearance recorded" not in page
    assert "Waiting for medical permission" not in page


def test_not_permitted_keeps_sessions_on_hold_and_says_so(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    _reply(practitioner_client, request, outcome="not_permitted", received_on=dt.date(2026, 3, 3))
    request.refresh_from_db()
    assert request.status == PermissionStatus.NOT_PERMITTED
    ada.refresh_from_db()
    assert ada.physician_clearance == ""
    page = _record(practitioner_client, _appointment(ada, practitioner)).content.decode()
    assert "the GP did not give permission (reply of 3 March 2026)" in page
    assert not TreatmentSession.objects.exists()
    detail = practitioner_client.get(reverse("permission:detail", args=[request.pk])).content.decode()
    assert "Sessions are on hold: the GP did not give permission" in detail


def test_an_expired_permission_blocks_again_and_says_so(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    signed, ended = TODAY() - dt.timedelta(days=100), TODAY() - dt.timedelta(days=1)
    _reply(practitioner_client, request, received_on=signed, expires_on=ended)
    page = _record(practitioner_client, _appointment(ada, practitioner)).content.decode()
    assert f"the GP&#x27;s permission expired on {ended:%-d %B %Y}" in page
    assert not TreatmentSession.objects.exists()
    client_page = practitioner_client.get(reverse("clients:detail", args=[ada.pk])).content.decode()
    assert "Ask the GP for permission" in client_page
    # Asking again covers the flags the expired permission covered.
    assert _open(practitioner_client, ada).flags == request.flags


def test_a_permission_that_holds_until_today_still_lets_a_session_go_ahead(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    _reply(practitioner_client, request, received_on=TODAY() - dt.timedelta(days=30), expires_on=TODAY())
    assert _record(practitioner_client, _appointment(ada, practitioner)).status_code == 302


def test_a_permission_covers_only_its_flags_not_one_added_later(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    _reply(practitioner_client, request)
    ClientHealthFlagFactory(client=ada, flag=HealthFlag.EPILEPSY)
    page = _record(practitioner_client, _appointment(ada, practitioner)).content.decode()
    assert "“Epilepsy” on record, which needs medical permission, and no physician clearance is recorded" in page
    assert _open(practitioner_client, ada).flags == [HealthFlag.EPILEPSY.value]


def _held_draft(http, practitioner, ada, *, outcome):
    """A draft recorded while the GP's permission held; then the GP says no on a new letter
    ("refused"), or the permission runs out (its end moved to yesterday, as if the days passed)."""
    request = _open(http, ada)
    _reply(http, request, received_on=TODAY() - dt.timedelta(days=10))
    assert _record(http, _appointment(ada, practitioner)).status_code == 302
    session = TreatmentSession.objects.get(client=ada)
    assert session.clearance_override == ""
    if outcome == "refused":
        # A new letter about the same flags, answered "not permitted": the newest reply decides.
        asked = PermissionRequest.objects.create(
            clinic=ada.clinic, client=ada, flags=request.flags, requested_at=timezone.now(), requested_by=practitioner
        )
        _reply(http, asked, outcome="not_permitted", received_on=TODAY())
        why = f"the GP did not give permission (reply of {TODAY():%-d %B %Y})"
    else:
        ended = TODAY() - dt.timedelta(days=1)
        PermissionRequest.objects.filter(pk=request.pk).update(expires_on=ended)
        why = f"the GP&#x27;s permission expired on {ended:%-d %B %Y}"
    return session, why


@pytest.mark.parametrize("outcome", ["refused", "expired"])
def test_a_draft_cannot_be_signed_once_the_permission_is_refused_or_has_expired_and_the_page_says_why(
    practitioner_client, practitioner, ada, outcome
):
    session, why = _held_draft(practitioner_client, practitioner, ada, outcome=outcome)
    url = reverse("sessions:sign", args=[session.pk])
    page = practitioner_client.get(url).content.decode()
    assert "“Serious back injury” and “Pregnancy” on record, which needs medical permission" in page
    assert why in page
    assert "Why you are treating without it" in page

    page = practitioner_client.post(url).content.decode()
    assert "Say why you are treating without the clearance" in page
    session.refresh_from_db()
    assert not session.is_signed and session.clearance_override == ""


def test_a_held_draft_is_signed_with_the_practitioners_reason_kept_with_their_name(
    practitioner_client, practitioner, ada
):
    session, _ = _held_draft(practitioner_client, practitioner, ada, outcome="refused")
    url = reverse("sessions:sign", args=[session.pk])
    response = practitioner_client.post(url, {"override_reason": "  Treated before the reply came; gentle only.  "})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.is_signed
    assert (session.clearance_override, session.clearance_override_by) == (
        "Treated before the reply came; gentle only.",
        practitioner,
    )
    detail = practitioner_client.get(reverse("sessions:detail", args=[session.pk])).content.decode()
    assert "went ahead with this session without a physician's clearance on record" in detail
    assert "Treated before the reply came; gentle only." in detail


def test_a_draft_recorded_with_a_reason_is_signed_without_asking_again(practitioner_client, practitioner, ada):
    _record(practitioner_client, _appointment(ada, practitioner), override_reason="Midwife agreed by phone.")
    session = TreatmentSession.objects.get()
    url = reverse("sessions:sign", args=[session.pk])
    assert "Why you are treating without it" not in practitioner_client.get(url).content.decode()
    assert practitioner_client.post(url).status_code == 302
    session.refresh_from_db()
    assert session.is_signed and session.clearance_override == "Midwife agreed by phone."


def test_a_reason_posted_when_the_permission_holds_is_not_kept(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    _reply(practitioner_client, request)
    _record(practitioner_client, _appointment(ada, practitioner))
    session = TreatmentSession.objects.get()
    practitioner_client.post(reverse("sessions:sign", args=[session.pk]), {"override_reason": "Not needed."})
    session.refresh_from_db()
    assert session.is_signed and session.clearance_override == "" and session.clearance_override_by is None


def test_the_reply_is_recorded_once(practitioner_client, ada):
    request = _open(practitioner_client, ada)
    _reply(practitioner_client, request)
    response = _reply(practitioner_client, request, outcome="not_permitted")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == PermissionStatus.PERMITTED
    assert (
        AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, content_type__model="permissionrequest").count() == 1
    )


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"outcome": ""}, "Choose what the GP answered."),
        ({"outcome": "maybe"}, "Choose what the GP answered."),
        ({"received_on": dt.date(2999, 1, 1)}, "The GP cannot have signed in the future"),
        ({"received_on": ""}, "Enter the date on the reply slip."),
        ({"received_on": "2026-02-30"}, "Enter a date, e.g. 2026-03-03."),
        ({"received_on": "0001-01-01"}, "Check the year"),
        ({"expires_on": dt.date(2020, 1, 1)}, "The permission cannot end before the GP signed it."),
        ({"outcome": "not_permitted", "expires_on": dt.date(2999, 1, 1)}, "Only a permission has an end date"),
        ({"gp_name": "Dr\nOkafor"}, "no line breaks"),
        ({"note": "a\x00b"}, "Null characters are not allowed."),
    ],
)
def test_a_bad_reply_gets_a_message_by_the_field_and_nothing_is_saved(practitioner_client, ada, fields, message):
    request = _open(practitioner_client, ada)
    if "received_on" in fields and not isinstance(fields["received_on"], dt.date):
        data = reply(**{k: v for k, v in fields.items() if k != "received_on"})
        data["reply-received_on"] = fields["received_on"]
    else:
        data = reply(**fields)
    before = AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS).count()
    response = practitioner_client.post(reverse("permission:reply", args=[request.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved yet." in page
    assert message.replace("'", "&#x27;") in page
    request.refresh_from_db()
    ada.refresh_from_db()
    assert request.status == PermissionStatus.REQUESTED and ada.physician_clearance == ""
    assert AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS).count() == before


def test_a_bad_gp_name_is_refused_by_the_field(practitioner_client, ada):
    request = _open(practitioner_client, ada)
    response = practitioner_client.post(
        reverse("permission:gp", args=[request.pk]), {"gp-gp_name": "x" * 201, "gp-gp_practice": ""}
    )
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    request.refresh_from_db()
    assert request.gp_name == ""


# --- Needs attention ------------------------------------------------------------------------


def test_a_letter_unanswered_after_14_days_needs_attention_and_not_before(practitioner_client, practitioner, ada):
    request = _open(practitioner_client, ada)
    url = reverse("attention:mine")
    PermissionRequest.objects.filter(pk=request.pk).update(
        requested_at=timezone.now() - dt.timedelta(days=PERMISSION_CHASE_DAYS - 1)
    )
    assert "Ada Byrne" not in _section(practitioner_client.get(url).content.decode(), "GP letters unanswered")
    PermissionRequest.objects.filter(pk=request.pk).update(
        requested_at=timezone.now() - dt.timedelta(days=PERMISSION_CHASE_DAYS + 1)
    )
    section = _section(practitioner_client.get(url).content.decode(), "GP letters unanswered after 14 days")
    assert "Ada Byrne" in section and reverse("permission:detail", args=[request.pk]) in section
    assert practitioner_client.get(reverse("attention:count")).json()["count"] >= 1

    _reply(practitioner_client, request)
    assert "Ada Byrne" not in _section(practitioner_client.get(url).content.decode(), "GP letters unanswered")


def test_an_expired_permission_needs_attention_until_the_gp_is_asked_again(practitioner_client, ada):
    request = _open(practitioner_client, ada)
    _reply(
        practitioner_client,
        request,
        received_on=TODAY() - dt.timedelta(days=60),
        expires_on=TODAY() - dt.timedelta(days=1),
    )
    url = reverse("attention:mine")
    section = _section(practitioner_client.get(url).content.decode(), "Medical permissions that have expired")
    assert "Ada Byrne" in section and "sessions are on hold until it is renewed" in section
    _open(practitioner_client, ada)
    assert "Ada Byrne" not in _section(practitioner_client.get(url).content.decode(), "Medical permissions that have")


def _section(page: str, title: str) -> str:
    start = page.index(title)
    return page[start : page.index("</section>", start)]


# --- Tenancy and query counts ---------------------------------------------------------------

VIEWS = ["client", "open", "detail", "gp", "reply", "letter", "letter_download"]


@pytest.mark.parametrize("name", VIEWS)
def test_a_user_of_another_clinic_gets_404_and_changes_nothing(name, practitioner_client, other_client, ada):
    request = _open(practitioner_client, ada)
    pk = ada.pk if name in ("client", "open") else request.pk
    url = reverse(f"permission:{name}", args=[pk])
    assert other_client.get(url).status_code == 404
    assert other_client.post(url, reply(outcome="permitted")).status_code == 404
    request.refresh_from_db()
    assert request.status == PermissionStatus.REQUESTED
    assert PermissionRequest.objects.count() == 1
    assert Client.objects.get(pk=ada.pk).physician_clearance == ""


def test_another_clinics_requests_never_show_on_the_attention_list(practitioner_client, other_client, ada):
    request = _open(practitioner_client, ada)
    PermissionRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now() - dt.timedelta(days=30))
    assert "Ada Byrne" not in other_client.get(reverse("attention:mine")).content.decode()


def _answered_requests(client, practitioner, n):
    for i in range(n):
        PermissionRequest.objects.create(
            clinic=client.clinic,
            client=client,
            flags=[HealthFlag.PREGNANCY.value],
            requested_at=timezone.now() - dt.timedelta(days=100 + i),
            requested_by=practitioner,
            status=PermissionStatus.NOT_PERMITTED,
            received_on=TODAY() - dt.timedelta(days=90 + i),
            recorded_by=practitioner,
            recorded_at=timezone.now(),
        )


# session, user, clinic, the client, its flags, its requests, the audit row
CLIENT_PAGE_QUERIES = 7
# session, user, clinic, the request with its client and people, the client's flags, its requests, the audit row
DETAIL_QUERIES = 7


@pytest.mark.parametrize("n", [1, 6])
def test_the_permission_pages_take_the_same_queries_however_many_requests(
    practitioner_client, practitioner, ada, n, django_assert_num_queries
):
    _answered_requests(ada, practitioner, n)
    request = PermissionRequest.objects.first()
    with django_assert_num_queries(CLIENT_PAGE_QUERIES):
        assert practitioner_client.get(reverse("permission:client", args=[ada.pk])).status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES):
        assert practitioner_client.get(reverse("permission:detail", args=[request.pk])).status_code == 200


@pytest.mark.parametrize("n", [2, 12])
def test_the_client_list_reads_the_gp_replies_in_one_query_however_many_clients(
    practitioner_client, practitioner, clinic, n, django_assert_num_queries
):
    for i in range(n):
        client = ClientFactory(clinic=clinic, practitioner=practitioner, last_name=f"Back{i}")
        ClientHealthFlagFactory(client=client, flag=HealthFlag.SERIOUS_BACK_INJURY)
        _answered_requests(client, practitioner, 1)
    # session, user, clinic, count, the page of clients, their flags, their GP replies
    with django_assert_num_queries(7):
        page = practitioner_client.get(reverse("clients:list")).content.decode()
    assert page.count("No physician clearance yet") == n
