"""The owner's form for one reflex zone of the clinic's catalogue."""

from __future__ import annotations

from django import forms
from django.utils.text import slugify

from accounts.inputs import refuse_control_characters_in

from .models import ReflexZone


class ReflexZoneForm(forms.ModelForm):
    class Meta:
        model = ReflexZone
        fields = [
            "name",
            "code",
            "reflex_map",
            "body_area",
            "sides",
            "description",
            "x",
            "y",
            "rx",
            "ry",
            "angle",
            "sort_order",
            "is_active",
        ]
        labels = {
            "code": "Short code",
            "reflex_map": "Reflex map",
            "body_area": "Body area",
            "sides": "Drawn on",
            "x": "Across (0-100)",
            "y": "Down (0-100)",
            "rx": "Half-width",
            "ry": "Half-height",
            "angle": "Tilt (degrees, clockwise)",
            "sort_order": "Order in lists",
            "is_active": "Offered when recording sessions",
        }
        help_texts = {
            "code": "Letters, numbers and hyphens, unique in your clinic, e.g. palm-spine.",
            "body_area": "The same word on every map, so hand and foot zones of one area match (e.g. spine, shoulder).",
            "x": "Position on the chart of the right side; the left side is drawn mirrored.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["code"].required = False
        refuse_control_characters_in(self, "name")
        for name in ("x", "y", "rx", "ry", "angle"):
            self.fields[name].widget.attrs["step"] = "0.1"

    def clean_code(self) -> str:
        code = self.cleaned_data.get("code") or slugify(self.data.get(self.add_prefix("name"), ""))
        if not code:
            raise forms.ValidationError("Give the zone a short code, e.g. palm-spine.")
        taken = ReflexZone.objects.filter(clinic=self.clinic, code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                f"Another zone in your catalogue already uses the code “{code}”. Choose a different code."
            )
        return code

    def clean_body_area(self) -> str:
        return self.cleaned_data["body_area"].replace("-", "_")
