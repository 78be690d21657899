"""Booking forms. Each gets the clinic, so its choices are that clinic's clients and staff
only and a forged id from another clinic is a field error, never a leak."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.inputs import parse_id
from accounts.localtime import is_skipped, local_to_utc, local_zone
from clients.models import Client
from clients.services import archived_refusal

from . import selectors

DURATIONS = (30, 45, 60, 75, 90)
# Far enough for a long course or catching up last year's diary; a typo like 0202 is refused.
MAX_DAYS_AWAY = 3 * 366


def duration_choices(*extra: int | None) -> list[tuple[int, str]]:
    minutes = sorted({*DURATIONS, *(m for m in extra if m)})
    return [(m, f"{m} minutes") for m in minutes]


class SlotForm(forms.Form):
    """Who and when: practitioner, local date and time, length. Cleans to UTC starts_at/ends_at."""

    practitioner = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        error_messages={
            "invalid_choice": "Choose a practitioner of this clinic.",
            "required": "Choose a practitioner.",
        },
    )
    # A plain DateField: clean_date below already refuses any day more than three years away.
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-03-03.", "required": "Choose a date."},
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 10:30.", "required": "Choose a start time."},
    )
    duration = forms.TypedChoiceField(
        label="Length",
        coerce=int,
        choices=duration_choices(),
        initial=60,
        error_messages={"invalid_choice": "Choose a length from the list (30 to 90 minutes)."},
    )

    def __init__(self, *args, clinic, duration_minutes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.tz = local_zone(clinic)
        staff = self.fields["practitioner"]
        staff.queryset = selectors.active_staff(clinic)
        staff.label_from_instance = lambda user: user.get_full_name() or user.username
        if duration_minutes:
            # Keep an existing appointment's unusual length choosable when rescheduling it.
            self.fields["duration"].choices = duration_choices(duration_minutes)
        self.fields["date"].help_text = f"Times are in the clinic's timezone ({clinic.timezone.replace('_', ' ')})."

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if abs((day - timezone.localdate()).days) > MAX_DAYS_AWAY:
            raise forms.ValidationError("That date is more than three years away. Check the year.")
        return day

    def clean(self):
        cleaned = super().clean()
        day, start, minutes = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("duration")
        if day and start and minutes:
            start = start.replace(second=0, microsecond=0)
            if is_skipped(day, start, self.tz):
                # A typed time is refused, not moved (accounts/localtime.py: the policy).
                self.add_error(
                    "start_time",
                    f"{start:%H:%M} does not exist on that day: the clocks go forward. Choose another time.",
                )
            else:
                starts_at = local_to_utc(day, start, self.tz)
                cleaned["starts_at"] = starts_at
                cleaned["ends_at"] = starts_at + dt.timedelta(minutes=minutes)
        return cleaned


# The length's choice that means "as long as the treatment chosen" (docs/domain.md, "The desk").
AS_TREATMENT = ""


class ActiveClientField(forms.ModelChoiceField):
    """One of the clinic's active clients. An archived one (an old link, a stale page) is
    refused by name, saying what to do (docs/domain.md, "Archived clients"); any other id
    gets the field's plain message, so nothing is said about another clinic's clients."""

    archived = None  # the clinic's archived clients, set by the form

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            pk = parse_id(str(value)) if error.code == "invalid_choice" and self.archived is not None else None
            client = self.archived.filter(pk=pk).first() if pk is not None else None
            if client is None:
                raise
            raise ValidationError(archived_refusal(client, "booking"), code="archived") from error


class BookForm(SlotForm):
    client = ActiveClientField(
        queryset=None,
        empty_label="Choose a client",
        error_messages={"invalid_choice": "Choose one of this clinic's clients.", "required": "Choose a client."},
    )
    treatment_type = forms.ModelChoiceField(
        label="Treatment",
        queryset=None,
        required=False,
        empty_label="None chosen",
        error_messages={"invalid_choice": "Choose one of this clinic's treatments."},
        help_text="Optional. Its length becomes the appointment's unless you choose another.",
    )
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Anything to prepare for this visit."
    )

    field_order = ["client", "practitioner", "treatment_type", "date", "start_time", "duration"]

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, clinic=clinic, **kwargs)
        clients = self.fields["client"]
        clients.queryset = selectors.active_clients(clinic)
        clients.archived = Client.objects.filter(clinic=clinic, archived_at__isnull=False)
        clients.label_from_instance = lambda client: client.full_name
        treatments = self.fields["treatment_type"]
        treatments.queryset = selectors.offered_treatments(clinic)
        offered = list(treatments.queryset)
        # appointments/static/appointments/book.js sets the length when a treatment is chosen.
        treatments.widget.attrs["data-lengths"] = json.dumps({t.pk: t.duration_minutes for t in offered})
        length = self.fields["duration"]
        length.required = False
        length.choices = [
            (AS_TREATMENT, "As long as the treatment"),
            *duration_choices(*(t.duration_minutes for t in offered)),
        ]
        length.empty_value = None

    def clean_duration(self) -> int | None:
        """The length chosen, else the treatment's (clean() then builds the times from it)."""
        minutes = self.cleaned_data.get("duration")
        if minutes:
            return minutes
        treatment = self.cleaned_data.get("treatment_type")
        if treatment is not None:
            return treatment.duration_minutes
        if "treatment_type" not in self.errors:
            raise forms.ValidationError("Choose a length, or a treatment to take its length from.")
        return None


class CourseForm(BookForm):
    sessions = forms.IntegerField(
        label="Number of sessions",
        min_value=1,
        max_value=20,
        initial=6,
        error_messages={
            "min_value": "Book at least 1 session.",
            "max_value": "Book at most 20 sessions at once.",
            "invalid": "Enter a whole number of sessions.",
        },
    )
    interval_days = forms.IntegerField(
        label="Every … days",
        min_value=1,
        max_value=90,
        initial=7,
        help_text="7 for weekly, 14 for every two weeks.",
        error_messages={
            "min_value": "Sessions must be at least 1 day apart.",
            "max_value": "Sessions can be at most 90 days apart.",
            "invalid": "Enter a whole number of days.",
        },
    )

    field_order = [
        "client",
        "practitioner",
        "treatment_type",
        "date",
        "start_time",
        "duration",
        "sessions",
        "interval_days",
        "notes",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].label = "First date"


class CancelForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=200,
        label="Reason (optional)",
        help_text="For example: client unwell, practitioner away.",
        error_messages={"max_length": "Keep the reason under 200 characters."},
    )
