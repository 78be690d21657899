"""Every email is a Delivery row before it is a message.

A row names its kind, its recipient (address and name, copied when the row is made)
and what it is about. Sending claims the row, records each DeliveryAttempt, and ends
sent, failed or skipped with its reason. What a kind's email says, when it is skipped
and when its rows are made lives with the app that owns the kind (outbox/kinds.py).

The outbox imports no app of ours: the domain links below are lazy references
("clients.Client"), kept as real columns because the dispatcher, the reports and the
delivery log query them by clinic, client, kind and day (see the indexes).

The tables keep the names they had when routines owned them (routines_delivery,
routines_deliveryattempt): moving the model moved no data, and CheckIn's foreign key,
the reports' SQL and the dashboard benchmark read the same tables as before.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    """Every kind of email, the one list: each value needs a registered EmailKind
    (tests/test_outbox_kinds.py), which says how it is built and when it is skipped."""

    ROUTINE = "routine", "Home routine"
    CONFIRMATION = "confirmation", "Appointment confirmation"
    REMINDER = "reminder", "Appointment reminder"
    CHANGE = "appointment_change", "Appointment moved"
    CANCELLATION = "cancellation", "Appointment cancelled"
    STAFF_INVITATION = "staff_invitation", "Staff invitation"
    PASSWORD_RESET = "password_reset", "Password reset"
    BOOKING_VERIFY = "booking_verify", "Online booking: confirm the email address"
    BOOKING_DECLINED = "booking_declined", "Online booking request declined"


# Kinds the database lets exist only once per subject: kind -> the fields naming that one
# row ("a due routine email goes out exactly once per client-local day", docs/domain.md,
# Nothing lost). A kind left out may repeat (a password reset each time one is asked for).
# The unique constraints below are derived from this table: a new once-only kind is one line.
ONCE_PER: dict[str, tuple[str, ...]] = {
    Kind.ROUTINE: ("routine", "local_date"),  # one routine email per client-local day
    Kind.CONFIRMATION: ("appointment", "kind"),
    Kind.REMINDER: ("appointment", "kind"),
    Kind.CANCELLATION: ("appointment", "kind"),
    Kind.CHANGE: ("appointment", "sequence"),  # one notice per move (the calendar SEQUENCE it carries)
}
# Constraint names, per set of fields (the names the database already has).
_CONSTRAINT_NAMES = {
    ("routine", "local_date"): "one_routine_email_per_local_day",
    ("appointment", "kind"): "one_appointment_email_per_kind",
    ("appointment", "sequence"): "one_appointment_change_per_sequence",
}


def _once_constraints() -> list[models.UniqueConstraint]:
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for kind, fields in ONCE_PER.items():
        by_fields.setdefault(fields, []).append(str(kind))
    return [
        models.UniqueConstraint(
            fields=list(fields),
            condition=Q(kind=kinds[0]) if len(kinds) == 1 else Q(kind__in=kinds),
            name=_CONSTRAINT_NAMES[fields],
        )
        for fields, kinds in by_fields.items()
    ]


class Delivery(models.Model):
    Kind = Kind

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent"

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="deliveries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The recipient, copied when the row is made (a staff member's email has no client);
    # to_name is the To header's display name, blank for the bare address.
    to_email = models.CharField(max_length=254, db_default="")
    to_name = models.CharField(max_length=200, db_default="")
    # What the email is about (at most one of each; which ones a kind fills is its own).
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    routine = models.ForeignKey(
        "routines.Routine", on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    # For an appointment change notice: the calendar SEQUENCE of the appointment it announces.
    sequence = models.PositiveIntegerField(null=True, blank=True)
    # The client-local day a routine email is for; for other emails, the day it is due.
    local_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Queued for sending until then (outbox/dispatch.py): a pass queues a pending row again
    # only once its lease is over, so a lost task's rows come back, and only then.
    leased_until = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "routines_delivery"
        ordering = ["-local_date", "-id"]
        verbose_name_plural = "deliveries"
        constraints = _once_constraints()
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="routines_de_status_d4435c_idx"),
            models.Index(fields=["client", "local_date"], name="routines_de_client__b46e26_idx"),
            # Reports: a clinic's routine emails by day, and a client's sent ones counted.
            # Status last: the report counts a range's emails by status from the index alone.
            models.Index(fields=["clinic", "kind", "local_date", "status"], name="delivery_report_day_status_idx"),
            models.Index(fields=["client", "kind", "status", "local_date"], name="delivery_report_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_name or self.to_email} for {self.local_date}"

    @property
    def message_id(self) -> str:
        # Stable across retries, so a receiving server can tell a resend from a new email.
        return f"<delivery-{self.pk}.{self.local_date:%Y%m%d}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class DeliveryAttempt(models.Model):
    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        TRANSIENT = "transient", "Temporary failure, will retry"
        PERMANENT = "permanent", "Permanent failure"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "routines_deliveryattempt"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"
