"""Home routines between visits, and what clients answer from their emails.

A Routine is built from a signed session (ordered RoutineSteps, a schedule, an end).
Its emails are outbox Delivery rows of kind "routine", one per routine per client-local
day (unique in the database, outbox/models.py). CheckIns are what the client answers
from a routine email's links.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Clinic
from clients.models import Client
from outbox.models import Delivery
from sessions.models import PressureLevel, ReflexZone, TreatmentSession

from . import library


class StepKind(models.TextChoices):
    REFLEX = "reflex", "Self-reflexology step"
    LIFESTYLE = "lifestyle", "Lifestyle tip"


class SideOrder(models.TextChoices):
    RIGHT_THEN_LEFT = "right_then_left", "Right first, then left"
    RIGHT = "right", "Right only"
    LEFT = "left", "Left only"


class LibraryStep(models.Model):
    """An entry of the clinic's routine library (a copy of routines/library.py's
    standard entries, editable by the owner)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="library_steps")
    code = models.SlugField(max_length=60)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(max_length=120)
    instruction = models.TextField(help_text="What the client does, in plain words.")
    # Reflex steps: the body area they work (matches ReflexZone.body_area) and the zones
    # they show in the picture.
    body_area = models.SlugField(max_length=40, blank=True)
    zones = models.ManyToManyField(ReflexZone, blank=True, related_name="library_steps")
    minutes = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(30)])
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "sort_order", "title"]
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="unique_library_code_per_clinic")]

    def __str__(self) -> str:
        return self.title


class Routine(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused by the client"
        STOPPED = "stopped", "Stopped"
        ENDED = "ended", "Ended"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKDAYS = "weekdays", "On chosen weekdays"
        EVERY_N_DAYS = "every_n_days", "Every N days"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="routines")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="routines")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="routines"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.DAILY)
    # Monday=0 ... Sunday=6, as a list of ints (for WEEKDAYS).
    weekdays = models.JSONField(default=list, blank=True)
    every_n_days = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(2), MaxValueValidator(30)])
    starts_on = models.DateField(help_text="First client-local day an email may go out.")
    ends_on = models.DateField(null=True, blank=True, help_text="Last day; otherwise until the next session.")
    paused_until = models.DateField(null=True, blank=True)
    # Why this routine uses hands instead of feet, said in the email (docs/domain.md, rule 1).
    hands_reason = models.CharField(max_length=200, blank=True)
    intro = models.TextField(blank=True, help_text="A personal line from the practitioner at the top of the email.")
    assigned_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "clinic"])]

    def __str__(self) -> str:
        return f"Routine for {self.client} from {self.starts_on}"


class RoutineStep(models.Model):
    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    library_step = models.ForeignKey(LibraryStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    zone = models.ForeignKey(ReflexZone, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    side_order = models.CharField(max_length=20, choices=SideOrder.choices, blank=True)
    # The practitioner's pressure in the session, told to the client in words (docs/domain.md, rule 8).
    pressure = models.PositiveSmallIntegerField(choices=PressureLevel.choices, null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(30)])
    title = models.CharField(max_length=120)
    instruction = models.TextField()
    # Set when a hand zone replaced the foot zone the practitioner worked (docs/domain.md, rule 1).
    replaces_zone = models.ForeignKey(ReflexZone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def pressure_in_words(self) -> str:
        """How hard to press, in words the client can copy (docs/domain.md, rule 8); empty for tips."""
        return library.pressure_in_words(self.pressure)

    @property
    def first_side(self) -> str:
        """The side the client starts on, and the one a picture of the step shows."""
        return "left" if self.side_order == SideOrder.LEFT else "right"


class CheckIn(models.Model):
    class Kind(models.TextChoices):
        DONE = "done", "Did the routine"
        PAIN = "pain", "Pain today"
        PAUSE = "pause", "Paused for a week"
        STOP = "stop", "Stopped the emails"
        # A pain answer the client corrected the same day: kept as history under its own
        # kind, so every count and mean over kind "pain" reads the latest answer only.
        PAIN_REPLACED = "pain_replaced", "Pain today, corrected later the same day"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="check_ins")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="check_ins")
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="check_ins")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    pain = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    local_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One answer per email and purpose: "done" once a day (an email is one client-local
            # day), and one current pain answer; corrected ones are history (PAIN_REPLACED).
            models.UniqueConstraint(
                fields=["delivery", "kind"], condition=~Q(kind="pain_replaced"), name="one_check_in_per_link"
            )
        ]
        indexes = [
            # Reports: a clinic's check-ins by day, and a client's "done" ones counted.
            # The report counts a range's answers by kind, and averages pain, from the index alone.
            models.Index(fields=["clinic", "local_date", "kind", "pain"], name="checkin_report_answers_idx"),
            models.Index(fields=["client", "kind", "local_date"], name="checkin_report_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.client} on {self.local_date}"

    @property
    def brief_words(self) -> str:
        return check_in_words(self.kind, self.pain, brief=True)


# How a check-in reads, in one place: in full on the client's progress report, briefly in the
# practitioner's delivery log (a narrow table cell).
_CHECK_IN_WORDS = {
    CheckIn.Kind.DONE: ("Did the routine", "Did it"),
    CheckIn.Kind.PAUSE: ("Paused the emails for a week", "Paused for a week"),
    CheckIn.Kind.STOP: ("Stopped the emails", "Stopped the emails"),
}


def check_in_words(kind: str, pain: int | None, *, brief: bool = False) -> str:
    """'Did the routine', 'Pain 3 out of 10' (brief: 'Did it', 'Pain 3/10')."""
    if kind in (CheckIn.Kind.PAIN, CheckIn.Kind.PAIN_REPLACED):
        words = f"Pain {pain}/10" if brief else f"Pain {pain} out of 10"
        if pain is None:
            words = "Pain not given"
        # An answer the client corrected the same day stays in the history, said as such.
        return f"{words}, corrected later" if kind == CheckIn.Kind.PAIN_REPLACED else words
    full, short = _CHECK_IN_WORDS[kind]
    return short if brief else full
