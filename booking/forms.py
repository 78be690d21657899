"""Forms of online booking: the public page's choices and details, and the clinic's settings,
treatment types, working hours and time off. Each gets its clinic, so a forged id of
another clinic is a field message, never a leak."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms import BaseModelFormSet, modelformset_factory

from accounts.inputs import DayField, parse_id, refuse_control_characters_in
from accounts.localtime import is_skipped, local_to_utc, local_zone
from appointments.models import TimeOff, TreatmentType, WorkingHours
from clients.forms import PHONE_MESSAGE
from clients.phones import phone_e164, region_for_timezone

from .models import BookingSettings

ANYONE = "any"


# --- The public page -------------------------------------------------------------------


class ChooseForm(forms.Form):
    """What and with whom (GET): a treatment type of the clinic, one of its practitioners or anyone."""

    type = forms.ChoiceField(label="Treatment", error_messages={"invalid_choice": "Choose a treatment from the list."})
    practitioner = forms.ChoiceField(
        label="With", required=False, error_messages={"invalid_choice": "Choose someone from the list."}
    )

    def __init__(self, *args, types: list[TreatmentType], practitioners: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.types = {t.pk: t for t in types}
        self.practitioners = {p.pk: p for p in practitioners}
        self.fields["type"].choices = [(t.pk, f"{t.name} ({t.duration_minutes} minutes)") for t in types]
        self.fields["practitioner"].choices = [(ANYONE, "Anyone"), *[(p.pk, str(p)) for p in practitioners]]

    def clean_type(self) -> TreatmentType:
        return self.types[parse_id(self.cleaned_data["type"])]

    def clean_practitioner(self):
        chosen = self.cleaned_data.get("practitioner") or ANYONE
        return None if chosen == ANYONE else self.practitioners[parse_id(chosen)]


class DetailsForm(forms.Form):
    """Who is booking. `website` is a honeypot: people never see it, form-filling robots fill it in."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We email you a link to confirm the booking: it is made when you open it.",
    )
    phone = forms.CharField(label="Phone number", max_length=40, help_text="In case we need to reach you on the day.")
    website = forms.CharField(label="Leave this empty", required=False, max_length=200)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})
        refuse_control_characters_in(self, "first_name", "last_name", "email", "phone")

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_phone(self) -> str:
        number = phone_e164(self.cleaned_data["phone"].strip(), region_for_timezone(self.clinic.timezone))
        if number is None:
            raise forms.ValidationError(PHONE_MESSAGE)
        return number

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


# --- The clinic's settings ---------------------------------------------------------------


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = [
            "online",
            "mode",
            "min_notice_hours",
            "horizon_weeks",
            "cancellation_notice_hours",
            "slot_step_minutes",
        ]
        widgets = {"mode": forms.RadioSelect}
        # docs/domain.md, "Changes from the email": a request is for a new booking; a move takes effect at once.
        help_texts = {
            "mode": "Requests cover new bookings only: each waits until the clinic accepts it. "
            "A client who moves a booked appointment from an email gets the new time at once.",
        }


class TreatmentTypeForm(forms.ModelForm):
    class Meta:
        model = TreatmentType
        fields = ["name", "duration_minutes", "buffer_after_minutes", "active", "order"]
        labels = {"order": "Position in the list"}
        help_texts = {
            "buffer_after_minutes": "Kept free after each appointment of this kind, for notes and a fresh room.",
            "active": "Clients can choose it on the booking page.",
        }

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["order"].required = False
        refuse_control_characters_in(self, "name")

    def clean_order(self) -> int:
        return self.cleaned_data.get("order") or 0

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = TreatmentType.objects.filter(clinic=self.clinic, name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("The clinic already has a treatment of this name.")
        return name

    def save(self, commit=True):
        self.instance.clinic = self.clinic
        return super().save(commit)


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "starts", "ends"]
        labels = {"starts": "From", "ends": "To"}
        widgets = {
            "weekday": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "starts": forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M"),
        }
        error_messages = {
            "starts": {"invalid": "Enter a time like 09:00."},
            "ends": {"invalid": "Enter a time like 17:30."},
        }

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The end comes after the start, on the same day.")
        return cleaned


class BaseWorkingHoursFormSet(BaseModelFormSet):
    def clean(self):
        super().clean()
        intervals = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            data = getattr(form, "cleaned_data", {})
            if {"weekday", "starts", "ends"} <= set(data):
                intervals.append((data["weekday"], data["starts"], data["ends"], form))
        intervals.sort(key=lambda i: (i[0], i[1]))
        for (day_a, _, ends_a, _), (day_b, starts_b, _, form) in zip(intervals, intervals[1:], strict=False):
            if day_a == day_b and starts_b < ends_a:
                form.add_error("starts", "This overlaps another interval of the same day: join them into one.")


WorkingHoursFormSet = modelformset_factory(
    WorkingHours, form=WorkingHoursForm, formset=BaseWorkingHoursFormSet, extra=2, can_delete=True, max_num=40
)


class TimeOffForm(forms.Form):
    """Away from a day and time to a day and time, in the clinic's local time (whole days by default)."""

    start_day = DayField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(
        label="at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Leave empty for the whole day.",
    )
    end_day = DayField(label="Until", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_time = forms.TimeField(
        label="at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Leave empty for the end of the day.",
    )
    reason = forms.CharField(max_length=200, required=False, help_text="For the clinic only, e.g. Holiday.")

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = local_zone(clinic)
        refuse_control_characters_in(self, "reason")

    def _instant(self, day_field: str, time_field: str, *, end: bool) -> dt.datetime | None:
        day, time = self.cleaned_data.get(day_field), self.cleaned_data.get(time_field)
        if day is None:
            return None
        if time is None:
            # A whole day ends at the next local midnight (23 or 25 hours on clock-change days).
            return local_to_utc(day + dt.timedelta(days=1) if end else day, dt.time.min, self.tz)
        if is_skipped(day, time, self.tz):
            # A typed time is refused, not moved (accounts/localtime.py: the policy).
            self.add_error(time_field, f"{time:%H:%M} does not exist on that day: the clocks go forward.")
            return None
        return local_to_utc(day, time, self.tz)

    def clean(self):
        cleaned = super().clean()
        starts_at = self._instant("start_day", "start_time", end=False)
        ends_at = self._instant("end_day", "end_time", end=True)
        if starts_at and ends_at:
            if ends_at <= starts_at:
                self.add_error("end_day", "The time off ends after it starts.")
            else:
                cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned

    def save(self, *, practitioner) -> TimeOff:
        data = self.cleaned_data
        return TimeOff.objects.create(
            clinic_id=practitioner.clinic_id,
            practitioner=practitioner,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"].strip(),
        )
