from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Clinic
from clients.models import Client


class Course(models.Model):
    """A planned course of treatment: N sessions at a chosen interval, booked in one step."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="courses")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="courses")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses")
    planned_sessions = models.PositiveSmallIntegerField()
    interval_days = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.planned_sessions} sessions every {self.interval_days} days for {self.client}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"
        CANCELLED = "cancelled", "Cancelled"

    # Statuses that hold the practitioner's time; a cancelled slot is free again.
    BLOCKING = (Status.BOOKED, Status.ATTENDED, Status.NO_SHOW)

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    course = models.ForeignKey(Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # The iCalendar SEQUENCE of its calendar entry: raised on every move and on cancelling,
    # so a client's calendar takes each email's file as newer than the last (RFC 5545 3.8.7.4).
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["practitioner", "starts_at"]),
            # The reports' rebooking window (reports.metrics.appointments): one clinic's
            # appointments by client and time, read in order from the index alone, no sort.
            models.Index(
                fields=["clinic", "client", "starts_at", "id"],
                include=["status", "created_at"],
                name="appointment_history_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"),
            # The no-overlap exclusion constraint lives in a PostgreSQL-only migration.
        ]

    def __str__(self) -> str:
        return f"{self.client} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.BOOKED


class AppointmentStatusChange(models.Model):
    """One change of an appointment's attended / no-show mark, or its undoing: who, when, from what to what."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Appointment.Status.choices)
    to_status = models.CharField(max_length=20, choices=Appointment.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()} at {self.at:%Y-%m-%d %H:%M}"
