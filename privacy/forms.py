from __future__ import annotations

from django import forms

from .models import RetentionPolicy


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ["years_after_last_treatment", "minor_until_age"]
        labels = {
            "years_after_last_treatment": "Years to keep a record after the last treatment",
            "minor_until_age": "Keep the record of a client treated as a minor at least until this age",
        }


class AnonymiseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this removes the client's identifiers for good and cannot be undone.",
        error_messages={"required": "Tick the box to confirm."},
    )
