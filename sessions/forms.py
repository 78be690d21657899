"""Forms for recording a session: the session fields, the pressure-note formset (which
works with no JavaScript at all) and the reason an amendment asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .models import PressureLevel, ReflexZone, Response, Side, TreatmentSession
from .reflex_maps import group_by_map

PAIN_CHOICES = [(0, "0 no pain"), *((i, str(i)) for i in range(1, 10)), (10, "10 worst")]
PRESSURE_CHOICES = [(level.value, f"{level.value} · {level.label}") for level in PressureLevel]
NOTES_PREFIX = "notes"


class PainField(forms.TypedChoiceField):
    """0-10 numeric rating scale; empty means "not asked"."""

    def __init__(self, **kwargs: Any):
        super().__init__(
            choices=PAIN_CHOICES,
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            error_messages={
                "invalid_choice": "Pain is scored from 0 (no pain) to 10 (worst): choose one of the buttons."
            },
            **kwargs,
        )


class TreatmentSessionForm(forms.ModelForm):
    pain_before = PainField(label="Pain before the session")
    pain_after = PainField(label="Pain after the session")

    class Meta:
        model = TreatmentSession
        fields = ["pain_before", "pain_after", "focus", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        labels = {"focus": "Focus of the session", "notes": "Session notes"}
        help_texts = {"focus": "What the session concentrated on, e.g. lower back."}


class AmendmentReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the amendment",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the signed record is changing, e.g. “The client corrected the pain score by phone.”",
        error_messages={"required": "Say why the signed record is being amended."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the signed record is being amended.")
        return reason


def grouped_zone_choices(zones: Sequence[ReflexZone]) -> list:
    """Select choices grouped by reflex map (an <optgroup> each), in chart order."""
    groups = group_by_map(zones)
    return [("", "Choose a zone…")] + [(m.label, [(z.pk, z.name) for z in zs]) for m, zs in groups.items()]


class ZoneField(forms.ChoiceField):
    """A zone among the clinic's active zones, which are loaded once for the whole
    formset rather than once per row. An id from anywhere else is a form error."""

    default_error_messages = {
        "invalid_choice": "Choose a zone from this clinic's reflex charts.",
        "required": "Choose the zone you worked.",
    }

    def __init__(self, *, zones: Sequence[ReflexZone], **kwargs: Any):
        self.zones_by_id = {str(z.pk): z for z in zones}
        super().__init__(choices=grouped_zone_choices(zones), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.pk if isinstance(value, ReflexZone) else value

    def to_python(self, value: Any) -> ReflexZone | None:
        if value in self.empty_values:
            return None
        zone = self.zones_by_id.get(str(self.prepare_value(value)))
        if zone is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return zone

    def validate(self, value: Any) -> None:
        # The choices are grouped; membership was already checked in to_python.
        forms.Field.validate(self, value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


class PressureNoteForm(forms.Form):
    zone = ZoneField(zones=[], label="Zone")
    side = forms.ChoiceField(choices=Side.choices, initial=Side.RIGHT, label="Side")
    pressure = forms.TypedChoiceField(
        choices=PRESSURE_CHOICES,
        coerce=int,
        initial=PressureLevel.MEDIUM,
        label="Pressure",
        error_messages={"invalid_choice": "Choose a pressure from Very light (1) to Deep (5)."},
    )
    response = forms.ChoiceField(
        choices=Response.choices,
        initial=Response.NONE,
        label="Response",
        error_messages={"invalid_choice": "Choose one of the listed responses."},
    )
    minutes = forms.IntegerField(
        min_value=1,
        max_value=60,
        initial=2,
        label="Minutes",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": "Minutes must be between 1 and 60.",
            "max_value": "Minutes must be between 1 and 60.",
            "invalid": "Enter the minutes as a whole number between 1 and 60.",
            "required": "Enter how many minutes you worked the zone (1-60).",
        },
    )
    note = forms.CharField(max_length=300, required=False, label="Note")

    def __init__(self, *args: Any, zones: Sequence[ReflexZone] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["zone"] = ZoneField(zones=zones, label="Zone")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        zone, side = data.get("zone"), data.get("side")
        # Some organs have a reflex on one foot or hand only (the liver on the right).
        if zone and side and not zone.has_side(side):
            self.add_error("side", f"{zone.name} is on the {zone.sides} side only.")
        return data


class BasePressureNoteFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, zones: Sequence[ReflexZone], **kwargs: Any):
        self.zones = zones
        kwargs.setdefault("prefix", NOTES_PREFIX)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "zones": self.zones}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this note"

    def _keeps(self, form: forms.Form) -> bool:
        """A row that is filled in and not marked for removal (blank extra rows are skipped)."""
        if self.can_delete and self._should_delete_form(form):
            return False
        return bool(getattr(form, "cleaned_data", None) and form.cleaned_data.get("zone"))

    def clean(self) -> None:
        seen: dict[tuple[int, str], int] = {}
        for index, form in enumerate(self.forms):
            if not self._keeps(form):
                continue
            zone, side = form.cleaned_data["zone"], form.cleaned_data.get("side")
            if not side:
                continue
            first = seen.setdefault((zone.pk, side), index)
            if first != index:
                form.add_error(
                    "zone",
                    f"{zone.name}, {side} side is already recorded in row {first + 1}. "
                    "Change that row instead of adding the zone twice.",
                )

    def notes(self) -> list[dict[str, Any]]:
        """The pressure notes to save, in row order (call after is_valid())."""
        return [form.cleaned_data for form in self.forms if self._keeps(form)]


def blank_rows(indexes) -> dict[str, str]:
    """Posted data for spare rows at `indexes`: each field's default, as a browser posts an
    untouched spare row (no zone), so the formset sees the rows as unchanged."""
    return {
        f"{NOTES_PREFIX}-{index}-{name}": str(field.initial)
        for index in indexes
        for name, field in PressureNoteForm.base_fields.items()
        if field.initial is not None
    }


PressureNoteFormSet = forms.formset_factory(
    PressureNoteForm,
    formset=BasePressureNoteFormSet,
    extra=3,
    can_delete=True,
    max_num=300,
    absolute_max=300,
    validate_max=True,
)
