"""The forms of the permission pages: who the GP is, and the GP's reply."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accounts.inputs import DayField, refuse_control_characters_in
from accounts.localtime import local_today


class GPForm(forms.Form):
    gp_name = forms.CharField(label="GP's name", max_length=200, required=False)
    gp_practice = forms.CharField(
        label="GP's practice", max_length=300, required=False, help_text="The surgery's name and town."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        refuse_control_characters_in(self, "gp_name", "gp_practice")
        for field in self.fields.values():
            radio = isinstance(field.widget, forms.RadioSelect)
            field.widget.attrs["class"] = "form-check-input" if radio else "form-control"


OUTCOMES = [("permitted", "Permitted: the GP sees no reason not to treat"), ("not_permitted", "Not permitted")]


class ReplyForm(GPForm):
    """The GP's reply slip, as the practitioner reads it off the paper."""

    outcome = forms.ChoiceField(
        label="The GP's answer",
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the GP answered.", "invalid_choice": "Choose what the GP answered."},
    )
    received_on = DayField(
        label="Date the GP signed",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Enter the date on the reply slip.", "invalid": "Enter a date, e.g. 2026-03-03."},
    )
    expires_on = DayField(
        label="Permission holds until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The last day, if the GP gives one. After it, sessions wait for a new permission.",
        error_messages={"invalid": "Enter a date, e.g. 2026-09-03."},
    )
    note = forms.CharField(
        label="The GP's advice (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In the GP's words: pressure, areas to avoid, anything to watch.",
    )
    field_order = ["outcome", "received_on", "expires_on", "gp_name", "gp_practice", "note"]

    def __init__(self, *args: Any, clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = local_today(clinic)

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data["received_on"]
        if day > self.today:
            raise forms.ValidationError("The GP cannot have signed in the future: check the date on the slip.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        received, expires = data.get("received_on"), data.get("expires_on")
        if expires is not None and data.get("outcome") == "not_permitted":
            self.add_error("expires_on", "Only a permission has an end date: leave it empty for “not permitted”.")
        elif received is not None and expires is not None and expires < received:
            self.add_error("expires_on", "The permission cannot end before the GP signed it.")
        return data
