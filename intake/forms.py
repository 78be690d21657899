"""The client's own intake page, in plain client words, and the consent renewal.

Every answer is validated here with a message next to the field; what the client sends
becomes a submission (intake/services.py), never the record itself."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from accounts.inputs import refuse_control_characters_in
from accounts.models import Clinic
from clients.forms import EARLIEST_BIRTH_DATE, checked_date_of_birth, checked_phone
from clients.health_flags import FLAG_SPECS, HealthFlag
from clients.models import Client

from .review import stored_value
from .wording import email_statement, treatment_statement

FLAG_PREFIX = "flag_"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


class SignatureMixin(forms.Form):
    """Consent signed by typing the full name and ticking the statement."""

    agree = forms.BooleanField(
        required=True, error_messages={"required": "Please tick the box to agree, or talk to the clinic first."}
    )
    signed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        error_messages={"required": "Please type your full name to sign."},
    )

    def expected_name(self) -> str:
        raise NotImplementedError

    def clean_signed_name(self) -> str:
        return " ".join(self.cleaned_data["signed_name"].split())

    def check_signature(self) -> None:
        name = self.cleaned_data.get("signed_name")
        expected = self.expected_name()
        if name and expected and _words(name) != _words(expected):
            self.add_error("signed_name", f"Please type your full name as you gave it: {expected}.")


class IntakeForm(SignatureMixin):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(
        label="Email address", error_messages={"invalid": "Please enter a full email address, like name@example.org."}
    )
    phone = forms.CharField(label="Phone number", max_length=40, required=False)
    address = forms.CharField(label="Home address", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Please enter your date of birth as a date, e.g. 17/05/1980."},
    )
    gp_name = forms.CharField(label="Your GP's name", max_length=200, required=False)
    gp_practice = forms.CharField(label="Your GP's practice (its name and town)", max_length=300, required=False)
    medications = forms.CharField(
        label="Do you take any medicines? Please list them",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave empty if you take none.",
    )
    consent_email = forms.BooleanField(label="Yes, please email me my home routine", required=False)
    routine_time = forms.TimeField(
        label="At what time of day?",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Please enter a time of day, e.g. 08:00."},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        kwargs.setdefault("initial", initial_answers(client))
        super().__init__(*args, **kwargs)
        self.client = client
        self.clinic: Clinic = client.clinic
        self.today = timezone.localdate(timezone=ZoneInfo(self.clinic.timezone))
        self.fields["first_name"].error_messages["required"] = "Please enter your first name."
        self.fields["last_name"].error_messages["required"] = "Please enter your last name."
        self.fields["email"].error_messages["required"] = "Please enter your email address."
        self.fields["date_of_birth"].error_messages["required"] = "Please enter your date of birth."
        self.fields["date_of_birth"].widget.attrs.update(
            min=EARLIEST_BIRTH_DATE.isoformat(), max=self.today.isoformat()
        )
        for spec in FLAG_SPECS.values():
            self.fields[FLAG_PREFIX + spec.value] = forms.BooleanField(label=spec.client_question, required=False)
        refuse_control_characters_in(self, "first_name", "last_name", "signed_name", "gp_name", "gp_practice")
        self.treatment_statement = treatment_statement(self.clinic)
        _style(self)

    @property
    def flag_fields(self) -> list[forms.BoundField]:
        return [self[FLAG_PREFIX + flag.value] for flag in HealthFlag]

    def clean_date_of_birth(self) -> dt.date:
        return checked_date_of_birth(self.cleaned_data["date_of_birth"], self.today)

    def clean_phone(self) -> str:
        return checked_phone(self.cleaned_data.get("phone", ""), self.clinic)

    def expected_name(self) -> str:
        first, last = self.cleaned_data.get("first_name"), self.cleaned_data.get("last_name")
        return f"{first} {last}" if first and last else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_signature()
        if data.get("consent_email") and not data.get("routine_time") and "routine_time" not in self.errors:
            self.add_error("routine_time", "Please choose the time of day the emails should arrive.")
        return data

    @property
    def email_statement(self) -> str:
        """The email statement for the time chosen (empty when the client asks for no emails)."""
        if not self.cleaned_data.get("consent_email"):
            return ""
        return email_statement(self.clinic, self.cleaned_data["routine_time"])

    def answers(self) -> dict[str, Any]:
        """The answers as a submission keeps them (intake/review.py)."""
        data = self.cleaned_data
        answers = {
            name: data[name] or ""
            for name in ("first_name", "last_name", "email", "phone", "address", "gp_name", "gp_practice")
        }
        answers["address"] = answers["address"].strip()
        answers["medications"] = data["medications"].strip()
        answers["date_of_birth"] = data["date_of_birth"].isoformat()
        answers["flags"] = [flag.value for flag in HealthFlag if data.get(FLAG_PREFIX + flag.value)]
        if data.get("consent_email"):
            answers["routine_time"] = data["routine_time"].strftime("%H:%M")
        return answers


def initial_answers(client: Client) -> dict[str, Any]:
    """The page opens with what the clinic holds, so a returning client only corrects it."""
    initial = {
        name: stored_value(client, name)
        for name in ("first_name", "last_name", "email", "phone", "address", "gp_name", "gp_practice", "medications")
    }
    initial["date_of_birth"] = client.date_of_birth
    initial["routine_time"] = client.routine_time
    initial["consent_email"] = client.consent_email
    initial.update({FLAG_PREFIX + code: True for code in client.flag_codes})
    return initial


class RenewalForm(SignatureMixin):
    """Consent to treatment again, after the client's health or plan changed (docs/domain.md, rule 14)."""

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        refuse_control_characters_in(self, "signed_name")
        self.treatment_statement = treatment_statement(client.clinic)
        _style(self)

    def expected_name(self) -> str:
        return self.client.full_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_signature()
        return data

    email_statement = ""

    def answers(self) -> dict[str, Any]:
        return {}
