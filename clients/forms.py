from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html

from accounts.inputs import DayField, refuse_control_characters_in
from accounts.models import Clinic
from clients.health_flags import FLAG_SPECS, FlagTier, flags_in
from clients.models import Client, ConsentKind
from clients.phones import phone_e164, region_for_timezone
from clients.selectors import possible_duplicates, practitioner_choices
from clients.services import EDITABLE_FIELDS, renewal_message, withdrawal_message

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
# docs/domain.md, rule 9: the flags that ask for a physician's referral or clearance, as their specs say.
CLEARANCE_FLAGS = [spec for spec in FLAG_SPECS.values() if spec.asks_clearance]

PHONE_MESSAGE = (
    "Enter a phone number using digits, spaces and + ( ) - only, e.g. 07700 900123, or +44 7700 900123 "
    "for a number abroad."
)


def checked_date_of_birth(dob: dt.date | None, today: dt.date) -> dt.date | None:
    """A date of birth that can be one (the staff intake and the client's own page)."""
    if dob is None:
        return None
    if dob > today:
        raise forms.ValidationError("The date of birth cannot be in the future.")
    if dob < EARLIEST_BIRTH_DATE:
        raise forms.ValidationError("Please check the year: the date of birth is before 1900.")
    return dob


def checked_phone(text: str, clinic: Clinic) -> str:
    """Stored in E.164; a number without its country code is read in the clinic's region."""
    text = (text or "").strip()
    if not text:
        return ""
    number = phone_e164(text, region_for_timezone(clinic.timezone))
    if number is None:
        raise forms.ValidationError(PHONE_MESSAGE)
    return number


def _tier_choices(tier: FlagTier) -> list[tuple[str, str]]:
    return [(spec.value, spec.label) for spec in flags_in(tier)]


def _flag_field(tier: FlagTier, help_text: str) -> forms.MultipleChoiceField:
    """Grouped checkboxes for the flags of one tier, as the flag specs place them (read on every use)."""
    return forms.MultipleChoiceField(
        label=tier.label,
        choices=partial(_tier_choices, tier),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
    )


# The intake's flag boxes, one per tier, strictest first (clients/health_flags.py FlagTier).
TIER_FIELDS = {FlagTier.MEDICAL: "medical_flags", FlagTier.AVOID: "avoid_flags", FlagTier.LOCAL: "local_flags"}


class ClientSearchForm(forms.Form):
    """The list's search box. A form, so what PostgreSQL cannot compare (a NUL byte) is a message, not a 500."""

    q = forms.CharField(required=False, max_length=200, error_messages={"max_length": "Search with fewer words."})

    @property
    def query(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ClientForm(forms.ModelForm):
    medical_flags = _flag_field(FlagTier.MEDICAL, "Treat only once the client's doctor or midwife agrees.")
    avoid_flags = _flag_field(FlagTier.AVOID, "Treatment can go ahead on other maps; leave this area alone.")
    local_flags = _flag_field(FlagTier.LOCAL, "Treatment can go ahead; avoid or go gently around the area.")

    class Meta:
        model = Client
        fields = EDITABLE_FIELDS
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "email": "Email address",
            "phone": "Phone number",
            "date_of_birth": "Date of birth",
            "timezone": "Time zone",
            "routine_time": "Home-routine emails arrive at",
            "prefers_hands": "Prefers hand reflexology",
            "practitioner": "Usual practitioner",
            "consent_treatment": "Consents to reflexology treatment",
            "consent_email": "Agrees to receive emails (reminders and home routines)",
            "physician_clearance": "Physician's referral or clearance",
            "physician_clearance_date": "Date of referral or clearance",
            "medical_notes": "Medical notes",
            "medications": "Medications",
            "gp_name": "GP's name",
            "gp_practice": "GP's practice",
            "notes": "Other notes",
        }
        help_texts = {
            "routine_time": "The client's own local time, in the time zone above.",
            "prefers_hands": "Home routines then use the hand reflexes instead of the feet.",
            "physician_clearance": (
                "Who referred or cleared the client, and what they said. Needed when "
                + " or ".join(f"“{spec.label}”" for spec in CLEARANCE_FLAGS)
                + " is ticked."
            ),
        }
        error_messages = {
            "first_name": {"required": "Enter the client's first name."},
            "last_name": {"required": "Enter the client's last name."},
            "email": {"invalid": "Enter a full email address, like name@example.org."},
            "date_of_birth": {"invalid": "Enter the date of birth as a date, e.g. 17/05/1980."},
            "routine_time": {"invalid": "Enter a time of day, e.g. 08:00."},
        }
        # (date_of_birth has its own bounds and messages in clean_date_of_birth.)
        field_classes = {"physician_clearance_date": DayField}
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "physician_clearance_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "routine_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "physician_clearance": forms.Textarea(attrs={"rows": 2}),
            "medical_notes": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.today = timezone.localdate(timezone=ZoneInfo(clinic.timezone))
        client: Client = self.instance
        is_new = client.pk is None

        self.fields["practitioner"] = PractitionerChoiceField(
            queryset=practitioner_choices(clinic=clinic, keep=client.practitioner_id),
            required=False,
            label="Usual practitioner",
            empty_label="No usual practitioner",
            error_messages={"invalid_choice": "Choose a practitioner who works at this clinic."},
        )
        # A line break in a name would break every email header it goes into (issue 11).
        refuse_control_characters_in(self, "first_name", "last_name")
        self.fields["date_of_birth"].widget.attrs.update(
            min=EARLIEST_BIRTH_DATE.isoformat(), max=self.today.isoformat()
        )

        if is_new:
            self.initial["timezone"] = clinic.timezone
        else:
            specs = client.flag_specs
            for tier, field in TIER_FIELDS.items():
                self.initial[field] = [s.value for s in specs if s.tier == tier]
        for flag, stamp in (("consent_treatment", "consent_treatment_at"), ("consent_email", "consent_email_at")):
            given_at = getattr(client, stamp)
            if getattr(client, flag) and given_at:
                local = timezone.localtime(given_at, ZoneInfo(clinic.timezone))
                self.fields[flag].help_text = f"Given on {date_format(local, 'j F Y, H:i')}."
        if not client.consent_treatment:
            self.fields[
                "consent_treatment"
            ].help_text = "Can be recorded later, but it must be given before the first session."
        self.fields["consent_email"].help_text = (
            self.fields["consent_email"].help_text or "Needs an email address. Can be withdrawn at any time."
        )
        if not is_new and client.email_consent_withdrawal is not None:
            # Stop means stop: the box cannot undo the client's own withdrawal (a disabled field keeps its value).
            self.fields["consent_email"].disabled = True
            self.fields["consent_email"].help_text = escape(withdrawal_message(client))
        if not is_new and client.consent_renewal_due:
            # docs/domain.md, rule 14: the box may still withdraw a consent due again, but never renews
            # one; once withdrawn, it cannot be ticked again (clients.services.consent_record refuses it too).
            field = self.fields["consent_treatment"]
            field.disabled = not client.consent_treatment
            field.help_text = format_html(
                '{} <a href="{}">Record renewed consent</a>.',
                renewal_message(client),
                reverse("clients:treatment_consent_renew", args=[client.pk]),
            )

        cancel_url = reverse("clients:list") if is_new else reverse("clients:detail", args=[client.pk])
        # A new client who may already be on file: the page lists them until the practitioner says otherwise.
        self.duplicates: list[Client] = []
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_id = "client-form"
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Fieldset(
                "Contact",
                Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
                Row(Column("email", css_class="col-md-6"), Column("phone", css_class="col-md-6")),
                "address",
            ),
            Fieldset(
                "About the client",
                Row(
                    Column("date_of_birth", css_class="col-md-6"),
                    Column("practitioner", css_class="col-md-6"),
                ),
                Row(Column("gp_name", css_class="col-md-6"), Column("gp_practice", css_class="col-md-6")),
                "prefers_hands",
            ),
            Fieldset(
                "Home-routine emails",
                Row(Column("timezone", css_class="col-md-6"), Column("routine_time", css_class="col-md-6")),
            ),
            Fieldset("Consent", "consent_treatment", "consent_email"),
            Fieldset(
                "Health",
                Row(
                    *(
                        Column(field, css_class=f"col-md-4 flag-group flag-group-{tier.value}")
                        for tier, field in TIER_FIELDS.items()
                    ),
                ),
                Div(
                    Row(
                        Column("physician_clearance", css_class="col-md-8"),
                        Column("physician_clearance_date", css_class="col-md-4"),
                    ),
                    css_id="clearance-fields",
                    # client_form.js points at these fields when one of these flags is ticked (docs/domain.md, rule 9).
                    data_clearance_flags=" ".join(spec.value for spec in CLEARANCE_FLAGS),
                ),
                "medical_notes",
                "medications",
            ),
            Fieldset("Notes", "notes"),
            Div(
                Submit("save", "Add client" if is_new else "Save changes", css_class="btn-rc btn-lg px-4"),
                HTML(f'<a class="btn btn-outline-secondary btn-lg ms-2" href="{cancel_url}">Cancel</a>'),
                css_class="d-flex flex-wrap gap-2 mt-3",
            ),
        )

    def clean_date_of_birth(self) -> dt.date | None:
        return checked_date_of_birth(self.cleaned_data.get("date_of_birth"), self.today)

    def clean_phone(self) -> str:
        return checked_phone(self.cleaned_data.get("phone", ""), self.clinic)

    def clean_physician_clearance_date(self) -> dt.date | None:
        day = self.cleaned_data.get("physician_clearance_date")
        if day and day > self.today:
            raise forms.ValidationError("The clearance date cannot be in the future.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        email = data.get("email")
        phone = data.get("phone")
        if data.get("consent_email") and not email and "email" not in self.errors:
            self.add_error("email", "Enter an email address, or untick the consent to emails.")
        if not email and not phone and "email" not in self.errors and "phone" not in self.errors:
            msg = "Enter a phone number or an email address so the clinic can reach the client."
            self.add_error("phone", msg)
        if self.instance.pk is None and not self.errors and not self.data.get("not_a_duplicate"):
            self.duplicates = possible_duplicates(
                clinic=self.clinic,
                email=email or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                date_of_birth=data.get("date_of_birth"),
            )
            if self.duplicates:
                self.add_error(
                    None,
                    "This may be a client you already have: open their record below, "
                    "or tick “This is a different person” and add again.",
                )
        return data

    @property
    def flags(self) -> list[str]:
        return [flag for field in TIER_FIELDS.values() for flag in self.cleaned_data.get(field, [])]

    def service_data(self) -> dict[str, Any]:
        """What client_create / client_update take: the edited fields and the flag codes."""
        data = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS if name in self.cleaned_data}
        data["flags"] = self.flags
        return data


class RenewedConsentForm(forms.Form):
    """The client's renewed consent, when, and their say-so: to routine emails after they
    stopped them, or to treatment after their health or plan changed (docs/domain.md, rule 14).

    Who records it is the signed-in practitioner."""

    said_at = forms.DateTimeField(
        label="When the client said so",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Enter when the client agreed again.",
            "invalid": "Enter a date and time, e.g. 2026-05-17 09:30.",
        },
    )
    note = forms.CharField(
        label="What the client said",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In their words where you can, and how they said it (in person, by phone, in writing).",
        error_messages={"required": "Write down what the client said when they agreed again."},
    )

    def __init__(self, *args: Any, client: Client, kind: str = ConsentKind.ROUTINE_EMAILS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if kind == ConsentKind.ROUTINE_EMAILS:
            withdrawal = client.email_consent_withdrawal
            self.after = withdrawal.at if withdrawal is not None else None
            self.after_message = "The client agreed again after they stopped the emails; check the time."
        else:
            self.after = client.health_changed_at
            self.after_message = "The client agreed again after their health or plan changed; check the time."
        self.zone = ZoneInfo(client.clinic.timezone)
        self.fields["said_at"].initial = timezone.localtime(timezone=self.zone).replace(second=0, microsecond=0)

    def clean_said_at(self) -> dt.datetime:
        said_at = self.cleaned_data["said_at"]
        if timezone.is_naive(said_at):
            said_at = said_at.replace(tzinfo=self.zone)
        if said_at > timezone.now():
            raise forms.ValidationError("The time the client agreed cannot be in the future.")
        # To the minute, as the field is entered: agreeing again in the minute of the change is fine.
        if self.after is not None and said_at < self.after.replace(second=0, microsecond=0):
            raise forms.ValidationError(self.after_message)
        # Within that minute, the say-so counts from the change on (never before what it answers).
        return max(said_at, self.after) if self.after is not None else said_at
