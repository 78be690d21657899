from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

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


class TreatmentType(models.Model):
    """What a client can book: a name, how long it takes, and the practitioner's time after it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="treatment_types")
    name = models.CharField(max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(
        "Length (minutes)",
        validators=[
            MinValueValidator(5, "Choose at least 5 minutes."),
            MaxValueValidator(480, "Choose at most 480 minutes (8 hours)."),
        ],
    )
    # Time kept free after each appointment of this type (notes, a fresh towel); nobody can
    # book into it, online or at the desk through the free-slot picker.
    buffer_after_minutes = models.PositiveSmallIntegerField(
        "Free time after (minutes)",
        default=0,
        validators=[MaxValueValidator(120, "Choose at most 120 minutes.")],
    )
    active = models.BooleanField("Offered", default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="treatment_type_unique_name"),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="treatment_type_positive_length"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """One interval of a practitioner's week in the clinic's wall-clock time; several a day are allowed
    (09:00-12:00 and 14:00-18:00). Weekday as date.weekday(): Monday is 0."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="working_hours")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["practitioner_id", "weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="working_hours_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(models.Model):
    """A stretch when a practitioner is away (a holiday, a closed afternoon): no free slots in it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="time_off")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        indexes = [models.Index(fields=["practitioner", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} away {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


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
    treatment_type = models.ForeignKey(
        TreatmentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
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

    @property
    def has_started(self) -> bool:
        """Its time has come: only then can anyone fail to come to it (appointments/services.py, appointment_mark)."""
        return timezone.now() >= self.starts_at


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


class CalendarFeed(models.Model):
    """A practitioner's private calendar subscription (issue 12, section 5): the secret in
    its address is kept only as a SHA-256 hash, so a copy of the database opens no feed;
    resetting replaces the hash, and the old address is a 404 from then on."""

    practitioner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"
