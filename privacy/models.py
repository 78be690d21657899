"""Privacy rights: how long a clinic keeps its records, which clients were anonymised, and
the clinic's data exports.

These live here rather than on Clinic or Client so the privacy app owns its own tables
(lower apps never import it) and an anonymisation records who did it and when.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Clinic
from clients.models import Client

# What a clinic keeps when it has set nothing: records for 7 years after the last
# treatment, and for a client treated as a minor at least until they turn 25.
DEFAULT_RETENTION_YEARS = 7
DEFAULT_MINOR_UNTIL_AGE = 25
# Under this age at a treatment, a client was treated as a minor.
ADULT_AGE = 18


class RetentionPolicy(models.Model):
    """A clinic's retention settings; a clinic without a row keeps the defaults."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="retention_policy")
    years_after_last_treatment = models.PositiveSmallIntegerField(
        default=DEFAULT_RETENTION_YEARS,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Records are kept for this many years after the client's last treatment.",
    )
    minor_until_age = models.PositiveSmallIntegerField(
        default=DEFAULT_MINOR_UNTIL_AGE,
        validators=[MinValueValidator(ADULT_AGE), MaxValueValidator(120)],
        help_text="A client treated before turning 18 keeps their record at least until this age.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.clinic}: {self.years_after_last_treatment} years, minors until {self.minor_until_age}"


class Anonymisation(models.Model):
    """A client whose identifiers were removed after the retention period: irreversible."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="anonymisation")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    # The retention end the client was past, for the record.
    kept_until = models.DateField()

    def __str__(self) -> str:
        return f"Client {self.client_id} anonymised at {self.at:%Y-%m-%d}"


class ClinicExport(models.Model):
    """A zip of all of a clinic's data, built by a Celery task that reports its progress here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"
        REPLACED = "replaced", "Replaced by a newer export"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    tables_total = models.PositiveIntegerField(default=0)
    tables_done = models.PositiveIntegerField(default=0)
    # The zip's name in the export folder (settings.PRIVACY_EXPORT_DIR), once built.
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Export of {self.clinic} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return (100 * self.tables_done // self.tables_total) if self.tables_total else 0
