"""The outbox: one registry of email kinds, every email a row, staff emails included.

Every Delivery.Kind value has a registered kind with its templates (`manage.py check`
says so too); a once-only kind is unique in the database; staff invitations and
password resets are rows in the delivery log, sent by the outbox, not in the request.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from outbox import kinds
from outbox.kinds import EmailKind, EmailParts
from outbox.mailer import send_deliveries
from outbox.models import ONCE_PER, Delivery
from outbox.services import delivery_create
from routines.models import CheckIn
from tests.factories import AppointmentFactory, DeliveryFactory, RoutineFactory, UserFactory


def test_every_kind_of_email_is_registered_with_its_templates():
    assert kinds.problems() == []
    assert sorted(kind.slug for kind in kinds.registered()) == sorted(Delivery.Kind.values)


def test_a_kind_without_a_registration_or_a_template_folder_is_reported():
    routine_only = [kinds.get(Delivery.Kind.ROUTINE)]
    missing = kinds.problems(routine_only)
    assert "Delivery.Kind 'reminder' (Appointment reminder) has no registered email kind." in missing
    misplaced = EmailKind(slug=Delivery.Kind.ROUTINE, template_dir="routines/email/nowhere", build=lambda d: None)
    assert "The email kind 'routine' has no template routines/email/nowhere/subject.txt." in kinds.problems([misplaced])


def test_manage_py_check_refuses_a_kind_without_its_templates(monkeypatch):
    broken = EmailKind(slug=Delivery.Kind.REMINDER, template_dir="appointments/email/gone", build=lambda d: None)
    monkeypatch.setitem(kinds._registry, Delivery.Kind.REMINDER, broken)
    with pytest.raises(SystemCheckError, match="has no template appointments/email/gone/body.txt"):
        call_command("check")


def test_a_kind_that_is_not_a_delivery_kind_cannot_be_registered():
    with pytest.raises(kinds.UnknownKind, match="not a Delivery.Kind value"):
        kinds.register(EmailKind(slug="newsletter", template_dir="outbox/newsletter", build=lambda d: None))


def test_a_kind_is_registered_once_by_its_owner():
    reminder = kinds.get(Delivery.Kind.REMINDER)
    kinds.register(reminder)  # the same spec again (a second ready()) is harmless
    with pytest.raises(ValueError, match="registered twice"):
        kinds.register(EmailKind(slug=Delivery.Kind.REMINDER, template_dir="x", build=lambda d: EmailParts({})))


@pytest.mark.django_db
def test_a_once_only_kind_gets_one_row_however_often_it_is_made(clinic, django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(clinic=clinic, starts_at=timezone.now() + dt.timedelta(days=2))
    made = [
        delivery_create(
            kind=Delivery.Kind.CONFIRMATION,
            clinic_id=clinic.pk,
            to_email=appointment.client.email,
            to_name=appointment.client.full_name,
            local_date=timezone.localdate(),
            client=appointment.client,
            appointment=appointment,
        )
        for _ in range(2)
    ]
    assert made[0] == made[1]
    assert ONCE_PER[Delivery.Kind.CONFIRMATION] == ("appointment", "kind")
    # And the database itself refuses a second one, whoever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryFactory(
            routine=None, clinic=clinic, appointment=appointment, client=appointment.client, kind="confirmation"
        )


@pytest.mark.django_db
def test_a_routine_email_is_unique_per_routine_and_day_in_the_database(clinic):
    first = DeliveryFactory(routine=RoutineFactory(clinic=clinic))
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliveryFactory(routine=first.routine, local_date=first.local_date)
    DeliveryFactory(routine=first.routine, local_date=first.local_date + dt.timedelta(days=1))


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused_when_the_row_is_made(clinic):
    with pytest.raises(kinds.UnknownKind):
        delivery_create(
            kind="newsletter", clinic_id=clinic.pk, to_email="a@example.com", to_name="", local_date=dt.date.today()
        )
    assert not Delivery.objects.exists()


# --- Staff emails are rows too ----------------------------------------------------------------

NEW_STAFF_EMAILED_A_LINK = {
    "first_name": "Ravi",
    "last_name": "Reed",
    "username": "ravi",
    "email": "ravi@example.com",
    "role": "practitioner",
    "password_choice": "email",
}


@pytest.fixture
def operator(db):
    http = HttpClient()
    http.force_login(UserFactory(username="root", clinic=None, is_staff=True, is_superuser=True))
    return http


def test_a_password_reset_is_a_row_in_the_delivery_log_sent_by_the_outbox(
    anon, practitioner, operator, settings, outbox_sends
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with outbox_sends():
        anon.post(reverse("password_reset"), {"email": "priya@example.com"})
    (row,) = Delivery.objects.all()
    assert (row.kind, row.status, row.to_email, row.user, row.client) == (
        Delivery.Kind.PASSWORD_RESET,
        Delivery.Status.SENT,
        "priya@example.com",
        practitioner,
        None,
    )
    assert row.clinic == practitioner.clinic
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    log = operator.get(reverse("admin:outbox_delivery_changelist"), {"kind__exact": "password_reset"})
    assert "priya@example.com" in log.text and "Password reset" in log.text


def test_a_staff_invitation_is_a_row_for_the_workers_not_sent_inside_the_request(owner_client, owner):
    # No worker ran: the request only made the row; the workers send it when they can.
    response = owner_client.post(reverse("staff_add"), NEW_STAFF_EMAILED_A_LINK)
    assert response.status_code == 302
    (row,) = Delivery.objects.all()
    assert (row.kind, row.status, row.to_email) == (Delivery.Kind.STAFF_INVITATION, "pending", "ravi@example.com")
    assert mail.outbox == []


def test_an_invitation_to_someone_deactivated_before_it_went_out_is_not_sent(owner_client, owner):
    owner_client.post(reverse("staff_add"), NEW_STAFF_EMAILED_A_LINK)
    row = Delivery.objects.get()
    row.user.is_active = False
    row.user.save()
    assert send_deliveries([row.pk])["skipped"] == 1
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Delivery.Status.SKIPPED, "Not sent: the account is inactive")
    assert mail.outbox == []


# --- The move kept every row ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_rows_and_names_their_recipients(clinic):
    routine = RoutineFactory(clinic=clinic, client__first_name="Ada", client__last_name="Lind")
    executor = MigrationExecutor(connection)
    before = [("outbox", "0001_initial")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldDelivery = old.get_model("outbox", "Delivery")
    OldCheckIn = old.get_model("routines", "CheckIn")
    row = OldDelivery.objects.create(
        clinic_id=clinic.pk, client_id=routine.client_id, routine_id=routine.pk, kind="routine", local_date="2026-03-10"
    )
    OldCheckIn.objects.create(
        clinic_id=clinic.pk, client_id=routine.client_id, delivery_id=row.pk, kind="done", local_date="2026-03-10"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    moved = Delivery.objects.get(pk=row.pk)
    assert (moved.to_email, moved.to_name, moved.routine_id) == (routine.client.email, "Ada Lind", routine.pk)
    assert CheckIn.objects.get(delivery=moved).kind == "done"


@pytest.mark.django_db
def test_a_row_whose_kind_is_no_longer_registered_keeps_its_error_and_the_batch_goes_on(clinic, monkeypatch):
    appointment = AppointmentFactory(clinic=clinic, starts_at=timezone.now() + dt.timedelta(days=2))
    orphan = DeliveryFactory(
        routine=None,
        clinic=clinic,
        client=appointment.client,
        appointment=appointment,
        kind=Delivery.Kind.CONFIRMATION,
        status=Delivery.Status.PENDING,
    )
    routine = RoutineFactory(clinic=clinic, status="active")
    routine_email = DeliveryFactory(routine=routine, status=Delivery.Status.PENDING)
    monkeypatch.delitem(kinds._registry, Delivery.Kind.CONFIRMATION)
    assert send_deliveries([orphan.pk, routine_email.pk]) == {
        "sent": 1,
        "retry": 1,
        "failed": 0,
        "skipped": 0,
        "not_claimed": 0,
    }
    orphan.refresh_from_db()
    assert (orphan.status, orphan.last_error) == (
        Delivery.Status.PENDING,
        "UnknownKind: No email kind 'confirmation' is registered (see outbox/kinds.py).",
    )
    assert [m.to for m in mail.outbox] == [[f"{routine.client.full_name} <{routine.client.email}>"]]
