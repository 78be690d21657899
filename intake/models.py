"""Intake links and what clients send through them.

A client never logs in (docs/domain.md, People): the practitioner sends an `IntakeLink`
(by email, an outbox row), the client opens it, fills in their intake and signs their
consent, and what they said arrives as an `IntakeSubmission`. The answers never
overwrite the record: the practitioner reviews them field by field and accepts what is
right (intake/services.py). The consents are recorded at once, as the client's own act,
with the exact statement they signed (clients.ConsentRecord).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.models import Clinic
from clients.models import Client, ConsentRecord
from outbox.models import Delivery


class IntakeLink(models.Model):
    class Purpose(models.TextChoices):
        INTAKE = "intake", "Intake and consent"
        RENEWAL = "renewal", "Consent renewal"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="intake_links")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.INTAKE)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The email that carries it (the link is made when the email is built, from this row).
    delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="intake_link"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once, by the submission's conditional UPDATE: a used link cannot be submitted again.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """How a consent record names the link it came through."""
        return f"{self.get_purpose_display().lower()} link {self.pk}"


class IntakeSubmission(models.Model):
    """What the client said through one link, waiting for the practitioner's review."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        REVIEWED = "reviewed", "Reviewed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="intake_submissions")
    link = models.OneToOneField(IntakeLink, on_delete=models.PROTECT, related_name="submission")
    submitted_at = models.DateTimeField()
    # {field name: the client's answer, as text (dates ISO, the flags a list of codes)}.
    answers = models.JSONField(default=dict)
    treatment_consent = models.ForeignKey(
        ConsentRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    email_consent = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The copy of the signed consent emailed to the client.
    copy_delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="intake_submission"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The fields the practitioner accepted into the record.
    accepted = models.JSONField(default=list)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["clinic", "status"])]

    def __str__(self) -> str:
        return f"Intake from {self.client} at {self.submitted_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
