from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Clinic
from appointments.models import Appointment
from clients.models import Client

# The maps and their specs live in reflex_maps.py; re-exported for the modules that know them from here.
from .reflex_maps import FOOT_MAPS, HAND_MAPS, ReflexMap  # noqa: F401


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class ZoneSides(models.TextChoices):
    BOTH = "both", "Left and right"
    LEFT = "left", "Left only"
    RIGHT = "right", "Right only"


class PressureLevel(models.IntegerChoices):
    VERY_LIGHT = 1, "Very light"
    LIGHT = 2, "Light"
    MEDIUM = 3, "Medium"
    FIRM = 4, "Firm"
    DEEP = 5, "Deep"


class Response(models.TextChoices):
    NONE = "none", "None"
    SENSITIVE = "sensitive", "Sensitive"
    TENDER = "tender", "Tender"
    VERY_TENDER = "very_tender", "Very tender"
    GRITTY = "gritty", "Gritty / congested"


# Responses that count as "tender" in heat maps and reports.
TENDER_RESPONSES = (Response.TENDER, Response.VERY_TENDER, Response.GRITTY)


class ReflexZone(models.Model):
    """One area of a reflex map. Each clinic has its own copy of the standard catalogue
    (see sessions/catalogue.py), so an owner's edits never reach another clinic."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="reflex_zones")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    reflex_map = models.CharField(max_length=20, choices=ReflexMap.choices)
    body_area = models.SlugField(
        max_length=40, help_text="The body area this zone corresponds to; the same on every map (e.g. spine)."
    )
    description = models.TextField(blank=True, help_text="Where the zone is and how to find it.")
    # Position on the chart of the right side, in the chart's 0-100 coordinates;
    # the left side is drawn mirrored.
    x = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    y = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    rx = models.FloatField(default=4, validators=[MinValueValidator(0.5), MaxValueValidator(50)])
    ry = models.FloatField(default=4, validators=[MinValueValidator(0.5), MaxValueValidator(50)])
    # Degrees clockwise, so a thin zone can lie along a slanted edge (the spine on the palm).
    angle = models.FloatField(default=0, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    # A few organ reflexes exist on one side only (liver on the right foot, heart on the left).
    sides = models.CharField(max_length=5, choices=ZoneSides.choices, default=ZoneSides.BOTH)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reflex_map", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="unique_zone_code_per_clinic")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_reflex_map_display().lower()})"

    @property
    def side_values(self) -> tuple[str, ...]:
        """The sides this zone can be worked on, right first (the order of the charts)."""
        if self.sides == ZoneSides.BOTH:
            return (Side.RIGHT, Side.LEFT)
        return (self.sides,)

    def has_side(self, side: str) -> bool:
        return side in self.side_values


# The copies of a session's place in its client's history (TreatmentSession, sessions.rollups).
HISTORY_FIELDS = ("history_number", "history_scored", "history_first_score", "history_latest_score", "history_relief")


class TreatmentSession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="treatment_sessions")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="treatment_session"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="treatment_sessions")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    started_at = models.DateTimeField()
    pain_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)], help_text="0 no pain, 10 worst imaginable."
    )
    pain_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)], help_text="0 no pain, 10 worst imaginable."
    )
    focus = models.CharField(max_length=200, blank=True, help_text="What the session concentrated on, e.g. lower back.")
    notes = models.TextField(blank=True)
    # Recorded although a "needs medical permission" flag had no clearance: why, who and when.
    clearance_override = models.TextField(blank=True)
    clearance_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The session's place in its client's signed history, kept for the reports' outcome
    # figures (docs/domain.md, Reports): set by sessions.rollups whenever a session of the
    # client is signed or amended, NULL on a draft. Each is "as of this session", counting
    # the client's signed sessions up to it (by start, ties by id): so the figures of a
    # range are read off the range's own sessions, not every client's whole history.
    history_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    history_scored = models.PositiveIntegerField(null=True, blank=True, editable=False)
    history_first_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    history_latest_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    history_relief = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["clinic", "started_at"]),
            models.Index(fields=["client", "started_at"]),
            # The clients' histories of the reports' outcome statement (reports.metrics): one
            # clinic's signed sessions by client and time, with the pain scores, read in order
            # from the index alone, so numbering them needs no sort however large the clinic.
            models.Index(
                fields=["clinic", "client", "started_at", "id"],
                include=["pain_before", "pain_after"],
                condition=models.Q(signed_at__isnull=False),
                name="session_history_idx",
            ),
            # The reports' reads of a clinic's range of signed sessions (reports.scope.sessions_qs
            # and the outcome statement): every column they count or group by, from the index alone.
            models.Index(
                fields=["clinic", "started_at"],
                include=["id", "client", "practitioner", "pain_before", "pain_after", *HISTORY_FIELDS],
                condition=models.Q(signed_at__isnull=False),
                name="session_report_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Session with {self.client} on {self.started_at:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class PressureNote(models.Model):
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="pressure_notes")
    # Copies of the session's clinic and start, so the reports read one clinic's notes of a
    # range by their own index, not every clinic's notes through the sessions. Set from the
    # session when a note is added (save() below; bulk_create callers pass them). No code
    # changes a session's clinic or start (moving a draft's appointment leaves the session
    # where it was recorded); on PostgreSQL a composite foreign key (migration 0005) still
    # carries any change to the notes and refuses a note that differs from its session.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    started_at = models.DateTimeField()
    zone = models.ForeignKey(ReflexZone, on_delete=models.PROTECT, related_name="pressure_notes")
    side = models.CharField(max_length=5, choices=Side.choices)
    pressure = models.PositiveSmallIntegerField(choices=PressureLevel.choices, default=PressureLevel.MEDIUM)
    response = models.CharField(max_length=20, choices=Response.choices, default=Response.NONE)
    minutes = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(60)])
    note = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["zone", "side"]),
            # The zone figures of a clinic's range (reports.scope.notes_qs) read its own notes.
            models.Index(
                fields=["clinic", "started_at"],
                name="pressurenote_clinic_start_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.zone.name} {self.side}: {self.get_pressure_display().lower()}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.clinic_id, self.started_at = self.session.clinic_id, self.session.started_at
        super().save(*args, **kwargs)


class ZoneDay(models.Model):
    """The pressure notes of a clinic's signed sessions per clinic-local day, zone and side:
    how many, how many tender, and their pressures' sum (for the average). The owner's
    zone figures and heat map read these instead of every note of the range (docs/domain.md,
    Reports). Kept by sessions.rollups in the transaction that signs or amends a session,
    rebuilt for a clinic whose timezone changes; a draft's notes are not counted."""

    # The unique constraint leads with the clinic and the day: the reports' range read,
    # from the index alone (PostgreSQL), and the clinic's own index.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    zone = models.ForeignKey(ReflexZone, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=5, choices=Side.choices)
    times = models.PositiveIntegerField()
    tender = models.PositiveIntegerField()
    pressure_sum = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "day", "zone", "side"],
                include=["times", "tender", "pressure_sum"],
                name="zoneday_clinic_day_zone_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: zone {self.zone_id} {self.side} worked {self.times} times"


class SessionAmendment(models.Model):
    """A change to a signed session: who, when, why, and the record before and after."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="amendments")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Amendment to {self.session} by {self.by} at {self.at:%Y-%m-%d %H:%M}"
