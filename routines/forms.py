"""Forms of the routine editor and the owner's library pages."""

from __future__ import annotations

from django import forms

from accounts.inputs import DayField, ManyIdsField, refuse_control_characters_in
from accounts.models import Clinic
from sessions.models import PressureLevel, ReflexZone

from .models import LibraryStep, Routine, RoutineStep, StepKind
from .selectors import library_choices

# Monday=0 ... Sunday=6, as Routine.weekdays stores them.
WEEKDAYS = list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ScheduleForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Weekdays",
        help_text="Only for “On chosen weekdays”.",
    )

    class Meta:
        model = Routine
        fields = ["frequency", "weekdays", "every_n_days", "starts_on", "ends_on", "intro"]
        field_classes = {"starts_on": DayField, "ends_on": DayField}
        labels = {
            "frequency": "How often",
            "every_n_days": "Every how many days",
            "starts_on": "First day",
            "ends_on": "Last day (optional)",
            "intro": "A personal line at the top of the email (optional)",
        }
        help_texts = {
            "every_n_days": "Only for “Every N days”: from 2 to 30.",
            "ends_on": "Leave empty to keep it going until the client's next session.",
        }
        widgets = {
            "frequency": forms.RadioSelect,
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "intro": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "every_n_days": {
                "min_value": "Choose a number of days from 2 to 30 (for every day, choose “Every day”).",
                "max_value": "Choose a number of days from 2 to 30.",
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["every_n_days"].required = False

    def clean(self):
        data = super().clean()
        frequency = data.get("frequency")
        if frequency == Routine.Frequency.WEEKDAYS and not data.get("weekdays"):
            self.add_error("weekdays", "Tick at least one weekday, or choose “Every day”.")
        if "weekdays" in data:
            data["weekdays"] = sorted(set(data["weekdays"]))
        if frequency == Routine.Frequency.EVERY_N_DAYS and data.get("every_n_days") is None:
            self.add_error("every_n_days", "Say every how many days, from 2 to 30.")
        elif data.get("every_n_days") is None and "every_n_days" not in self.errors:
            data["every_n_days"] = self.instance.every_n_days
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The last day cannot be before the first day.")
        return data


class StepForm(forms.ModelForm):
    class Meta:
        model = RoutineStep
        fields = ["pressure", "minutes", "instruction"]
        labels = {"pressure": "Pressure", "minutes": "Minutes", "instruction": "What the client does"}
        widgets = {
            "instruction": forms.Textarea(attrs={"rows": 3}),
            "minutes": forms.NumberInput(attrs={"min": 1, "max": 30}),
        }
        error_messages = {
            "minutes": {
                "min_value": "A step takes at least 1 minute.",
                "max_value": "Keep a step to 30 minutes or less: a few minutes is enough at home.",
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pressure"].choices = [("", "—")] + [(v, f"{v} · {label}") for v, label in PressureLevel.choices]
        if self.instance.kind == StepKind.LIFESTYLE:
            del self.fields["pressure"]


class StopForm(forms.Form):
    """The optional reason of the "Stop this routine" button (a form, so a NUL byte is refused, not a 500)."""

    reason = forms.CharField(required=False, max_length=200, error_messages={"max_length": "Keep the reason short."})


class AddStepForm(forms.Form):
    library_step = forms.TypedChoiceField(label="Add a step from the library", coerce=int)

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["library_step"].choices = [("", "Choose a step or tip…"), *library_choices(clinic=clinic)]

    def clean_library_step(self) -> LibraryStep:
        pk = self.cleaned_data["library_step"]
        step = LibraryStep.objects.filter(clinic=self.clinic, is_active=True, pk=pk).first()
        if step is None:
            raise forms.ValidationError("Choose a step from your clinic's library.")
        return step


class RoutineMinutesForm(forms.ModelForm):
    """The owner's "a few minutes a day" (docs/domain.md, rule 7); the bounds and their message are the model's."""

    class Meta:
        model = Clinic
        fields = ["routine_minutes"]
        labels = {"routine_minutes": "A proposed home routine takes at most (minutes a day)"}
        widgets = {"routine_minutes": forms.NumberInput(attrs={"min": 3, "max": 20, "inputmode": "numeric"})}


class LibraryStepForm(forms.ModelForm):
    class Meta:
        model = LibraryStep
        fields = ["kind", "title", "instruction", "body_area", "zones", "minutes", "sort_order", "is_active"]
        field_classes = {"zones": ManyIdsField}
        labels = {
            "kind": "Kind",
            "body_area": "Body area",
            "zones": "Reflex zones shown in the picture",
            "sort_order": "Order in lists",
            "is_active": "Offered in routines",
        }
        help_texts = {
            "body_area": "For self-reflexology steps: the same word as the zones' body area (e.g. spine, shoulder).",
            "zones": "For self-reflexology steps. Hold Ctrl (or Cmd) to choose several.",
            "instruction": "In plain words for the client. Speak of comfort and relaxation, never of curing.",
        }
        widgets = {"instruction": forms.Textarea(attrs={"rows": 4}), "zones": forms.SelectMultiple(attrs={"size": 10})}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["zones"].queryset = ReflexZone.objects.filter(clinic=clinic).order_by(
            "reflex_map", "sort_order", "name"
        )
        self.fields["zones"].required = False
        refuse_control_characters_in(self, "title")

    def clean(self):
        data = super().clean()
        if data.get("kind") == StepKind.REFLEX and not data.get("zones"):
            self.add_error("zones", "Choose at least one reflex zone, so the email can show where to press.")
        if data.get("kind") == StepKind.LIFESTYLE:
            data["zones"] = []
            data["body_area"] = ""
        return data
