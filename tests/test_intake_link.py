"""Intake and consent filled in by the client (issue 12, section 1; docs/domain.md, rules 14 and 15).

The practitioner emails a signed intake link; the client fills in their details, the
health questions behind every flag and their consent from their phone; the consent is
recorded at once with the exact statement, the time and the link, and a copy is emailed;
the answers wait as a submission the practitioner reviews field by field. A change of
health flags or plan after consent makes it due again, and signing waits for the renewal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from appointments.services import course_book
from audit.models import AuditEntry
from clients.health_flags import FLAG_SPECS, HealthFlag
from clients.models import Client, ConsentKind, ConsentRecord, ConsentSource
from clients.services import ConsentRefused, client_update, consent_record
from intake import links
from intake.links import INTAKE_LINK, intake_url, read_intake_token
from intake.models import IntakeLink, IntakeSubmission
from intake.services import send_intake_link
from intake.wording import treatment_statement
from routines.links import make_token
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    IntakeLinkFactory,
    IntakeSubmissionFactory,
    TreatmentSessionFactory,
)
from tests.test_clients import intake
from tests.test_fuzz import discover, fuzz, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def nora(clinic, practitioner):
    clinic.phone, clinic.email = "01632 960123", "hello@calmfeet.example"
    clinic.save()
    return ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name="Nora",
        last_name="Quinn",
        email="nora@example.org",
        consent_treatment=False,
        consent_treatment_at=None,
        consent_email=False,
        consent_email_at=None,
    )


def _path(link: IntakeLink) -> str:
    return urlsplit(intake_url(link)).path


def _answers(**changes) -> dict[str, str]:
    data = {
        "first_name": "Nora",
        "last_name": "Quinn",
        "email": "nora@example.org",
        "phone": "07700 900123",
        "address": "4 Mill Lane\nBristol",
        "date_of_birth": "1984-03-09",
        "gp_name": "Dr Ama Mensah",
        "gp_practice": "Riverside Surgery, Bristol",
        "flag_pregnancy": "on",
        "medications": "Folic acid",
        "agree": "on",
        "signed_name": "Nora Quinn",
        "consent_email": "on",
        "routine_time": "07:30",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _submit(anon, link: IntakeLink, **changes):
    path = _path(link)
    anon.get(path)  # the page sets the CSRF cookie its form needs
    return anon.post(path, {**_answers(**changes), "csrfmiddlewaretoken": anon.cookies["csrftoken"].value})


# --- sending the link --------------------------------------------------------------------


def test_the_practitioner_emails_the_intake_link_from_the_client_page(practitioner_client, nora, outbox_sends):
    page = practitioner_client.get(reverse("clients:detail", args=[nora.pk])).content.decode()
    assert "Email the intake form to Nora" in page
    with outbox_sends():
        response = practitioner_client.post(reverse("intake:send", args=[nora.pk]), {"purpose": "intake"}, follow=True)
    assert "The intake form link is on its way to Nora Quinn (nora@example.org)." in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["Nora Quinn <nora@example.org>"] or message.to == ["nora@example.org"]
    assert "a few questions before your visit" in message.subject
    link = IntakeLink.objects.get(client=nora)
    sent = re.search(r"https?://\S+/i/(\S+)/(\S+)/", message.body)
    assert INTAKE_LINK.clinic_from_segment(sent.group(1)) == nora.clinic_id
    assert read_intake_token(sent.group(2)).link_id == link.pk
    assert "works for 14 days" in message.body


def test_send_intake_link_is_the_one_call_the_booking_flow_needs(nora, outbox_sends):
    with outbox_sends():
        link = send_intake_link(nora)
    assert link.sent_by is None and link.delivery.client == nora
    assert [m.subject for m in mail.outbox] == [f"{nora.clinic.name}: a few questions before your visit"]


def test_a_client_without_an_email_gets_no_link_and_the_page_says_why(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic, first_name="Ivo", last_name="Marsh", email="", phone="07700900456")
    response = practitioner_client.post(reverse("intake:send", args=[client.pk]), follow=True)
    assert "Ivo Marsh has no email address: add one on the intake first." in response.content.decode()
    assert not IntakeLink.objects.exists()


def test_sending_a_link_is_a_post_and_another_clinics_practitioner_gets_404(other_client, nora, practitioner_client):
    assert practitioner_client.get(reverse("intake:send", args=[nora.pk])).status_code == 405
    assert other_client.post(reverse("intake:send", args=[nora.pk])).status_code == 404
    assert not IntakeLink.objects.exists()


# --- the client's page -------------------------------------------------------------------


def test_the_intake_page_asks_every_flags_question_in_the_clients_words(anon, nora):
    page = anon.get(_path(IntakeLinkFactory(client=nora))).content.decode()
    assert "Before your visit" in page and "Hello Nora," in page
    for spec in FLAG_SPECS.values():
        assert escape(spec.client_question) in page, spec.value
        assert spec.label not in page, spec.value  # the practitioner's words stay on the staff pages
    assert "Your GP&#x27;s name" in page and "Do you take any medicines?" in page
    assert escape(treatment_statement(nora.clinic)) in page
    assert "Yes, please email me my home routine" in page
    assert 'name="viewport"' in page  # readable on a phone


def test_the_clients_answers_wait_for_review_and_do_not_change_the_record(anon, nora, outbox_sends):
    link = IntakeLinkFactory(client=nora)
    with outbox_sends():
        response = _submit(anon, link)
    assert "Thank you, that's sent" in response.content.decode()
    nora.refresh_from_db()
    assert (nora.gp_name, nora.date_of_birth, nora.flag_codes) == ("", None, set())
    submission = IntakeSubmission.objects.get(client=nora)
    assert submission.is_pending
    assert submission.answers["flags"] == ["pregnancy"]
    assert submission.answers["phone"] == "+447700900123"
    assert "first_name" not in submission.answers  # the same as the record: nothing to review


def test_the_consent_keeps_the_exact_statement_the_time_and_the_link_and_the_client_gets_a_copy(
    anon, nora, outbox_sends
):
    link = IntakeLinkFactory(client=nora)
    before = timezone.now()
    with outbox_sends():
        _submit(anon, link)
    treatment = ConsentRecord.objects.get(client=nora, kind=ConsentKind.TREATMENT)
    assert treatment.given and treatment.source == ConsentSource.CLIENT_LINK
    assert treatment.get_source_display() == "given by the client through a link"
    assert treatment.statement == treatment_statement(nora.clinic)
    assert treatment.signed_name == "Nora Quinn"
    assert treatment.link_ref == f"intake and consent link {link.pk}"
    assert treatment.at >= before
    emails = ConsentRecord.objects.get(client=nora, kind=ConsentKind.ROUTINE_EMAILS)
    assert "at 07:30 on the days it is due" in emails.statement
    nora.refresh_from_db()
    assert nora.consent_treatment and nora.consent_email and nora.consent_treatment_at == treatment.at

    [copy] = mail.outbox
    assert copy.subject == f"{nora.clinic.name}: a copy of the consent you signed"
    body = " ".join(copy.body.split())
    assert treatment.statement in body and emails.statement in body
    assert 'signed "Nora Quinn"' in body


def test_a_submitted_link_cannot_be_submitted_again(anon, nora, outbox_sends):
    link = IntakeLinkFactory(client=nora)
    with outbox_sends():
        _submit(anon, link)
        again = _submit(anon, link, gp_name="Dr Someone Else")
    assert again.status_code == 410
    page = again.content.decode()
    assert "Your answers are already sent" in page
    assert nora.clinic.name in page and "01632 960123" in page
    assert IntakeSubmission.objects.count() == 1
    assert ConsentRecord.objects.filter(client=nora, kind=ConsentKind.TREATMENT).count() == 1


def test_an_expired_link_names_the_clinic_and_how_to_reach_it_and_saves_nothing(anon, nora, monkeypatch):
    link = IntakeLinkFactory(client=nora)
    path = _path(link)
    monkeypatch.setattr(links, "INTAKE_LINK", dataclasses.replace(INTAKE_LINK, max_age=dt.timedelta(seconds=-1)))
    for response in (anon.get(path), anon.post(path, _answers())):
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page
        assert nora.clinic.name in page and "hello@calmfeet.example" in page
        assert "Nora" not in page
    assert not IntakeSubmission.objects.exists() and not ConsentRecord.objects.exists()


def test_a_tampered_link_says_so_names_the_clinic_from_its_segment_and_never_the_client(anon, nora):
    path = _path(IntakeLinkFactory(client=nora))
    segment, token = path.strip("/").split("/")[1:]
    broken = f"/i/{segment}/{token[:-3]}xyz/"
    response = anon.get(broken)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link does not work" in page and nora.clinic.name in page and "Nora" not in page
    # A changed clinic segment names no clinic at all.
    other = anon.get(f"/i/{nora.clinic_id + 1}-{segment.split('-')[1]}/{token[:-3]}xyz/").content.decode()
    assert "This link does not work" in other and nora.clinic.name not in other


def test_a_token_for_another_purpose_or_another_link_is_refused(anon, nora):
    link = IntakeLinkFactory(client=nora)
    segment = INTAKE_LINK.clinic_segment(nora.clinic_id)
    as_renewal = INTAKE_LINK.token({"l": link.pk, "p": IntakeLink.Purpose.RENEWAL})
    missing = INTAKE_LINK.token({"l": link.pk + 1000, "p": IntakeLink.Purpose.INTAKE})
    shapeless = INTAKE_LINK.token({"l": "1", "p": "intake"})
    for token in (as_renewal, missing, shapeless):
        assert anon.get(f"/i/{segment}/{token}/").status_code == 400
    # A check-in token (another salt) is never an intake token.
    assert anon.get(f"/i/{segment}/{make_token(None, 'done')}/").status_code == 400


def test_bad_answers_get_a_message_next_to_the_field_and_nothing_is_saved(anon, nora):
    link = IntakeLinkFactory(client=nora)
    response = _submit(
        anon, link, signed_name="N Q", date_of_birth="2999-01-01", agree=None, phone="12", routine_time=""
    )
    page = response.content.decode()
    assert "Nothing was sent yet." in page
    assert "Please type your full name as you gave it: Nora Quinn." in page
    assert "The date of birth cannot be in the future." in page
    assert "Please tick the box to agree" in page
    assert "Please choose the time of day the emails should arrive." in page
    assert "Enter a phone number using digits" in page
    assert not IntakeSubmission.objects.exists() and not ConsentRecord.objects.exists()
    link.refresh_from_db()
    assert link.used_at is None


def test_the_intake_page_answers_no_500_and_saves_one_submission_at_most_under_generated_input(anon, nora):
    link = IntakeLinkFactory(client=nora)

    def one_submission_at_most(response, before, what):
        after = row_counts()
        changed = {label for label in after if after[label] != before[label]}
        assert changed <= {
            "intake.IntakeSubmission",
            "intake.IntakeLink",
            "clients.ConsentRecord",
            "outbox.Delivery",
        }, what
        assert after["intake.IntakeSubmission"] - before["intake.IntakeSubmission"] <= 1, what

    fuzz(anon, discover(_path(link), anon), check=one_submission_at_most)


# --- the practitioner's review -----------------------------------------------------------


@pytest.fixture
def sent(anon, nora, outbox_sends):
    with outbox_sends():
        _submit(anon, IntakeLinkFactory(client=nora))
    return IntakeSubmission.objects.get(client=nora)


def test_the_client_page_and_needs_attention_show_answers_waiting_for_review(practitioner_client, nora, sent):
    page = practitioner_client.get(reverse("clients:detail", args=[nora.pk])).content.decode()
    assert "Waiting for review" in page and reverse("intake:review", args=[sent.pk]) in page
    attention = practitioner_client.get(reverse("attention:mine")).content.decode()
    assert "Intake answers waiting for review" in attention and "Nora Quinn" in attention


def test_the_client_page_takes_as_many_queries_for_one_pending_intake_as_for_five(
    practitioner_client, nora, sent, django_assert_num_queries
):
    url = reverse("clients:detail", args=[nora.pk])
    with CaptureQueriesContext(connection) as one:
        practitioner_client.get(url)
    for _ in range(4):
        IntakeSubmissionFactory(link__client=nora)
    with django_assert_num_queries(len(one)):
        page = practitioner_client.get(url).content.decode()
    assert page.count("Waiting for review") == 5


def test_the_review_shows_what_the_client_said_against_what_the_record_holds(
    practitioner_client, nora, sent, django_assert_num_queries
):
    nora.gp_name = "Dr Old"
    nora.save()
    url = reverse("intake:review", args=[sent.pk])
    # session, user, clinic, the submission with its client, link and consents, the client's flags, the audit row
    with django_assert_num_queries(6):
        response = practitioner_client.get(url)
    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S)
    text = {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows}
    assert "GP's name Dr Ama Mensah Dr Old" in {t.replace("&#x27;", "'") for t in text}
    assert "Health questions answered yes Pregnancy None" in text
    assert "Date of birth 9 March 1984 Not recorded" in text


def test_accepting_the_ticked_fields_writes_only_those_with_history_given_by_the_client(
    practitioner_client, practitioner, nora, sent
):
    response = practitioner_client.post(
        reverse("intake:review", args=[sent.pk]), {"fields": ["gp_name", "date_of_birth"], "accept_ticked": "1"}
    )
    assert response.status_code == 302
    nora.refresh_from_db()
    assert nora.gp_name == "Dr Ama Mensah" and nora.date_of_birth == dt.date(1984, 3, 9)
    assert nora.gp_practice == "" and nora.flag_codes == set()
    sent.refresh_from_db()
    assert not sent.is_pending and sent.accepted == ["date_of_birth", "gp_name"] and sent.reviewed_by == practitioner
    entry = AuditEntry.objects.filter(
        client_id=nora.pk, action=AuditEntry.Action.UPDATE, changes__has_key="gp_name"
    ).get()
    assert entry.actor_label == f"given by the client, accepted by {practitioner}"
    assert entry.actor == practitioner
    # Reviewed once: a second post changes nothing.
    practitioner_client.post(reverse("intake:review", args=[sent.pk]), {"accept_all": "1"})
    nora.refresh_from_db()
    assert nora.gp_practice == ""


def test_accepting_all_adds_a_flag_needing_permission_without_making_the_signed_consent_due_again(
    practitioner_client, nora, sent
):
    practitioner_client.post(reverse("intake:review", args=[sent.pk]), {"accept_all": "1"})
    nora = Client.objects.get(pk=nora.pk)
    assert nora.flag_codes == {HealthFlag.PREGNANCY}
    assert nora.medications == "Folic acid" and nora.routine_time == dt.time(7, 30)
    assert nora.uncleared_medical_flags  # the lifecycle rule holds: a clearance is still needed
    assert not nora.consent_due_again  # the client consented knowing the flag they told us about
    page = practitioner_client.get(reverse("clients:detail", args=[nora.pk])).content.decode()
    assert "Dr Ama Mensah, Riverside Surgery, Bristol" in page and "Waiting for review" not in page


def test_another_clinics_practitioner_cannot_see_or_accept_a_submission(other_client, nora, sent):
    url = reverse("intake:review", args=[sent.pk])
    assert other_client.get(url).status_code == 404
    assert other_client.post(url, {"accept_all": "1"}).status_code == 404
    sent.refresh_from_db()
    assert sent.is_pending


# --- consent due again (docs/domain.md, rule 14) -----------------------------------------


@pytest.fixture
def consented(clinic, practitioner):
    given = timezone.now() - dt.timedelta(days=3)
    return ClientFactory(
        clinic=clinic,
        practitioner=practitioner,
        first_name="Olu",
        last_name="Adeyemi",
        email="olu@example.org",
        consent_treatment_at=given,
    )


def _session(client, practitioner):
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    appointment = AppointmentFactory(
        clinic=client.clinic, client=client, practitioner=practitioner, starts_at=start, ends_at=start + dt.timedelta(1)
    )
    return TreatmentSessionFactory(
        clinic=client.clinic, client=client, practitioner=practitioner, appointment=appointment, started_at=start
    )


def _edit_flags(practitioner_client, client, flags):
    data = intake(first_name=client.first_name, last_name=client.last_name, email=client.email, consent_treatment="on")
    data["local_flags"] = flags
    response = practitioner_client.post(reverse("clients:edit", args=[client.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_flag_changed_after_consent_makes_it_due_again_and_blocks_signing(
    practitioner_client, practitioner, consented
):
    session = _session(consented, practitioner)
    _edit_flags(practitioner_client, consented, [HealthFlag.VARICOSE_VEINS])
    page = practitioner_client.get(reverse("clients:detail", args=[consented.pk])).content.decode()
    assert "Consent to treatment is due again." in page
    assert "Email Olu a renewal link" in page

    response = practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    assert "consent is due again" in response.content.decode()
    session.refresh_from_db()
    assert not session.is_signed


def test_renewed_consent_recorded_in_person_lets_the_session_be_signed(practitioner_client, practitioner, consented):
    session = _session(consented, practitioner)
    _edit_flags(practitioner_client, consented, [HealthFlag.VARICOSE_VEINS])
    url = reverse("clients:treatment_consent_renew", args=[consented.pk])
    refused = practitioner_client.post(url, {"said_at": "", "note": ""})
    assert "Write down what the client said" in refused.content.decode()
    said = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = practitioner_client.post(url, {"said_at": said, "note": "Agreed again in person, knowing the veins."})
    assert done.status_code == 302
    consented.refresh_from_db()
    assert not consented.consent_due_again
    practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    session.refresh_from_db()
    assert session.is_signed


def test_a_renewal_link_in_one_click_lets_the_client_consent_again(
    practitioner_client, practitioner, consented, anon, outbox_sends
):
    session = _session(consented, practitioner)
    _edit_flags(practitioner_client, consented, [HealthFlag.VARICOSE_VEINS])
    with outbox_sends():
        practitioner_client.post(reverse("intake:send", args=[consented.pk]), {"purpose": "renewal"})
    [message] = mail.outbox
    assert "please confirm your consent to treatment" in message.subject
    path = urlsplit(re.search(r"https?://\S+/i/\S+/", message.body).group(0)).path
    page = anon.get(path).content.decode()
    assert "Please confirm your consent to treatment" in page and "Varicose veins" in page
    assert "Your GP" not in page  # a renewal asks only for the consent
    anon.post(
        path, {"agree": "on", "signed_name": "olu adeyemi", "csrfmiddlewaretoken": anon.cookies["csrftoken"].value}
    )
    consented.refresh_from_db()
    assert not consented.consent_due_again
    renewal = ConsentRecord.objects.filter(client=consented, kind=ConsentKind.TREATMENT).first()
    assert renewal.source == ConsentSource.CLIENT_LINK and renewal.link_ref.startswith("consent renewal link")
    assert not IntakeSubmission.objects.filter(status=IntakeSubmission.Status.PENDING).exists()
    practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    session.refresh_from_db()
    assert session.is_signed


def test_a_new_course_after_an_earlier_one_changes_the_plan_but_the_first_does_not(consented, practitioner, day):
    def book(first):
        with transaction.atomic():
            course_book(
                clinic=consented.clinic,
                client=consented,
                practitioner=practitioner,
                first_date=first,
                start_time=dt.time(10, 0),
                sessions=2,
                interval_days=7,
                duration_minutes=60,
            )
        return Client.objects.get(pk=consented.pk)

    assert not book(day).consent_due_again
    assert book(day + dt.timedelta(days=28)).consent_due_again


def test_flags_given_with_a_new_client_do_not_make_their_first_consent_due(practitioner_client, clinic):
    data = intake(first_name="Pia", last_name="Holm", email="pia@example.org", consent_treatment="on")
    data["local_flags"] = [HealthFlag.VARICOSE_VEINS]
    practitioner_client.post(reverse("clients:add"), data)
    pia = Client.objects.get(first_name="Pia")
    assert pia.consent_treatment and not pia.consent_due_again


def test_a_flag_added_by_accepting_an_older_answer_never_hides_a_later_change(practitioner_client, consented):
    ClientHealthFlagFactory(client=consented, flag=HealthFlag.DIABETES)
    submission = IntakeSubmissionFactory(
        link__client=consented,
        submitted_at=timezone.now() - dt.timedelta(days=5),
        answers={"flags": [HealthFlag.DIABETES, HealthFlag.PREGNANCY]},
    )
    _edit_flags(practitioner_client, consented, [HealthFlag.VARICOSE_VEINS])
    changed = Client.objects.get(pk=consented.pk).health_changed_at
    practitioner_client.post(reverse("intake:review", args=[submission.pk]), {"accept_all": "1"})
    consented.refresh_from_db()
    assert consented.health_changed_at == changed and consented.consent_due_again


@pytest.fixture
def consented_on_record(consented):
    """Olu's consent to treatment as the app keeps it: with its record (consent_record)."""
    consent_record(
        client=consented,
        kind=ConsentKind.TREATMENT,
        given=True,
        source=ConsentSource.INTAKE,
        at=consented.consent_treatment_at,
    )
    return consented


def test_unticking_then_ticking_the_intakes_consent_box_does_not_renew_a_consent_due_again(
    practitioner_client, practitioner, consented_on_record
):
    olu = consented_on_record
    session = _session(olu, practitioner)
    renew_url = reverse("clients:treatment_consent_renew", args=[olu.pk])
    _edit_flags(practitioner_client, olu, [HealthFlag.VARICOSE_VEINS])
    edit_url = reverse("clients:edit", args=[olu.pk])
    form = practitioner_client.get(edit_url).context["form"]
    assert not form.fields["consent_treatment"].disabled, "the client may still withdraw it"
    page = practitioner_client.get(edit_url).content.decode()
    assert "so this box cannot renew it" in page and renew_url in page

    withdraw = intake(first_name="Olu", last_name="Adeyemi", email=olu.email, consent_treatment=None)
    withdraw["local_flags"] = [HealthFlag.VARICOSE_VEINS]
    assert practitioner_client.post(edit_url, withdraw).status_code == 302
    olu.refresh_from_db()
    assert not olu.consent_treatment and olu.consent_renewal_due

    form = practitioner_client.get(edit_url).context["form"]
    assert form.fields["consent_treatment"].disabled
    practitioner_client.post(edit_url, {**withdraw, "consent_treatment": "on"})
    olu.refresh_from_db()
    assert not olu.consent_treatment

    signing = practitioner_client.post(reverse("sessions:sign", args=[session.pk])).content.decode()
    assert "Olu Adeyemi withdrew their consent to treatment after their health flags" in signing
    assert renew_url in signing
    said = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    practitioner_client.post(renew_url, {"said_at": said, "note": "Agreed again, knowing the veins."})
    practitioner_client.post(reverse("sessions:sign", args=[session.pk]))
    session.refresh_from_db()
    assert session.is_signed


def test_no_caller_of_the_intake_renews_a_consent_due_again_by_its_checkbox(practitioner, consented_on_record):
    olu = consented_on_record
    client_update(client=olu, by=practitioner, data={"flags": [HealthFlag.VARICOSE_VEINS]})
    client_update(client=olu, by=practitioner, data={"consent_treatment": False})
    with pytest.raises(ConsentRefused) as refused:
        client_update(client=olu, by=practitioner, data={"consent_treatment": True})
    assert "Record renewed consent" in refused.value.message_dict["consent_treatment"][0]
    olu.refresh_from_db()
    assert not olu.consent_treatment
    assert not ConsentRecord.objects.filter(client=olu, kind=ConsentKind.TREATMENT).first().given


def test_a_consent_withdrawn_with_no_change_of_health_since_can_be_ticked_again_on_the_intake(
    practitioner, consented_on_record
):
    olu = consented_on_record
    client_update(client=olu, by=practitioner, data={"consent_treatment": False})
    client_update(client=olu, by=practitioner, data={"consent_treatment": True})
    olu.refresh_from_db()
    assert olu.consent_treatment and not olu.consent_renewal_due


def test_another_clinics_practitioner_cannot_record_a_renewed_consent(other_client, practitioner_client, consented):
    _edit_flags(practitioner_client, consented, [HealthFlag.VARICOSE_VEINS])
    url = reverse("clients:treatment_consent_renew", args=[consented.pk])
    assert other_client.get(url).status_code == 404
    said = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert other_client.post(url, {"said_at": said, "note": "Hijacked"}).status_code == 404
    consented.refresh_from_db()
    assert consented.consent_due_again
