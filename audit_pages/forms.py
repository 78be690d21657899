from __future__ import annotations

import datetime as dt

from django import forms

from accounts.models import Clinic, User
from clients.models import Client


class AuditFilterForm(forms.Form):
    """The filters of the audit pages. A GET form, so a filtered page can be bookmarked and
    its CSV link carries the same query. A bad value gets its message and is left out."""

    KINDS = (("", "Changes and views"), ("changes", "Changes only"), ("views", "Views only"))

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="Every client",
        error_messages={"invalid_choice": "Choose a client of this clinic."},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    staff = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Staff member",
        empty_label="Everyone",
        error_messages={"invalid_choice": "Choose a staff member of this clinic."},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        choices=KINDS,
        required=False,
        label="Show",
        error_messages={"invalid_choice": "Choose changes, views or both."},
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    start = forms.DateField(
        required=False,
        label="From",
        error_messages={"invalid": "Enter a date like 2026-03-03."},
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        required=False,
        label="To",
        error_messages={"invalid": "Enter a date like 2026-03-31."},
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def __init__(self, data, *, clinic: Clinic):
        super().__init__(data)
        self.fields["client"].queryset = Client.objects.filter(clinic=clinic)
        # Everyone who ever worked here, so a former staff member's trail stays readable.
        self.fields["staff"].queryset = User.objects.filter(clinic=clinic)

    # A date far outside any clinic's history would overflow when turned into a moment in time.
    EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)

    def _within(self, name: str) -> dt.date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not self.EARLIEST <= day <= self.LATEST:
            raise forms.ValidationError("Enter a date between the years 1900 and 2999.")
        return day

    def clean_start(self):
        return self._within("start")

    def clean_end(self):
        return self._within("end")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return cleaned

    def filters(self) -> dict:
        """The valid filters (an invalid field is left out, and the form shows its message)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.fields if data.get(name) and name not in self.errors}
