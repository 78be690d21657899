"""The dashboard's filter: a range preset or a custom range, and (owners only) one
practitioner. Bad input is a message by the field; reports.scope falls back to the
default range, so a bad URL never breaks the page."""

from __future__ import annotations

from django import forms

from accounts.inputs import DayField
from accounts.models import User

RANGE_CHOICES = [
    ("4w", "Last 4 weeks"),
    ("quarter", "This quarter"),
    ("year", "This year"),
    ("custom", "Custom range"),
]
DEFAULT_RANGE = "4w"
# About three years: enough to compare years, small enough for a week-by-week table.
MAX_RANGE_DAYS = 3 * 366


class ReportFilterForm(forms.Form):
    range = forms.ChoiceField(
        label="Period",
        choices=RANGE_CHOICES,
        required=False,
        initial=DEFAULT_RANGE,
        error_messages={"invalid_choice": "Choose a period from the list."},
    )
    start = DayField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-03-03."},
    )
    end = DayField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-03-31."},
    )
    practitioner = forms.ModelChoiceField(
        label="Practitioner",
        queryset=User.objects.none(),
        required=False,
        empty_label="Everyone",
        error_messages={"invalid_choice": "Choose a practitioner of this clinic."},
    )

    def __init__(self, *args, clinic, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        if getattr(user, "is_owner", False):
            field = self.fields["practitioner"]
            # Everyone who ever worked here, so a former practitioner's history stays reportable.
            field.queryset = User.objects.filter(clinic=clinic).order_by("first_name", "last_name", "username")
            field.label_from_instance = lambda u: u.get_full_name() or u.username
        else:
            # Practitioners always see their own clients; there is nothing to choose.
            del self.fields["practitioner"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        preset = cleaned.get("range") or ""
        if not preset and (start or end) and "range" not in self.errors:
            preset = cleaned["range"] = "custom"
        if preset != "custom":
            return cleaned
        if start is None and "start" not in self.errors:
            self.add_error("start", "Choose the first day of the range.")
        if end is None and "end" not in self.errors:
            self.add_error("end", "Choose the last day of the range.")
        if start and end:
            if end < start:
                self.add_error("end", "The last day is before the first day.")
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("end", "Choose a range of at most three years.")
        return cleaned
