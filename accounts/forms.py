from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db import transaction

from .inputs import refuse_control_characters_in
from .models import Clinic, User
from .services import password_reset_recipients


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label="Username", widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        # Inactive accounts get the same message as a wrong password: no hint that the account exists.
        "inactive": AuthenticationForm.error_messages["invalid_login"],
    }


class ClinicPasswordResetForm(PasswordResetForm):
    """Who it reaches: accounts.services.password_reset_recipients."""

    def get_users(self, email):
        return password_reset_recipients(email=email)

    def save(self, **kwargs) -> None:
        """Only queues the look-up (accounts.tasks.password_reset_task): the request does the
        same work, in the same time, whether or not the address has an account, and sends
        nothing itself. The worker puts each matching account's email in the outbox.

        Django's arguments (domain, templates, token generator) are not needed: the
        email kind builds the link from SITE_URL when it is sent (accounts/email_kinds.py).
        """
        from .tasks import password_reset_task

        email = self.cleaned_data["email"]
        transaction.on_commit(lambda: password_reset_task.delay(email), robust=True)


class StaffForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "role"]
        labels = {"first_name": "First name", "last_name": "Last name", "email": "Email", "role": "Role"}
        help_texts = {
            "role": "Owners manage staff and the reflex-zone catalogue; practitioners see clients and appointments.",
            "email": "Used to reset a forgotten password.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["email"].error_messages["required"] = "Staff need an email address to reset a forgotten password."
        # A line break in a name would break every email header it goes into (issue 11).
        refuse_control_characters_in(self, "first_name", "last_name")


class StaffAddForm(StaffForm):
    SET_NOW = "set"
    EMAIL_LINK = "email"
    password_choice = forms.ChoiceField(
        label="Password",
        choices=[
            (SET_NOW, "Set a first password now and tell them"),
            (EMAIL_LINK, "Email them a link to choose their own password"),
        ],
        initial=EMAIL_LINK,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label="First password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="First password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Only when you chose to set a first password now.",
    )

    class Meta(StaffForm.Meta):
        fields = ["first_name", "last_name", "username", "email", "role"]
        labels = {**StaffForm.Meta.labels, "username": "Username"}
        help_texts = {**StaffForm.Meta.help_texts, "username": "What they type to log in. Letters, digits and @.+-_"}

    def clean(self):
        data = super().clean()
        if data.get("password_choice") != self.SET_NOW:
            return data
        p1, p2 = data.get("password1") or "", data.get("password2") or ""
        if not p1:
            self.add_error("password1", "Enter a first password, or choose to email them a link instead.")
        elif p1 != p2:
            self.add_error("password2", "The two passwords are not the same.")
        else:
            # Validate against the details typed so far (a password like their own name is refused).
            candidate = User(
                username=data.get("username") or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                email=data.get("email") or "",
            )
            try:
                password_validation.validate_password(p1, user=candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    @property
    def password(self) -> str | None:
        if self.cleaned_data.get("password_choice") == self.SET_NOW:
            return self.cleaned_data["password1"]
        return None


class StaffEditForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = ["first_name", "last_name", "email", "role", "is_active"]
        labels = {**StaffForm.Meta.labels, "is_active": "Active (can log in)"}
        help_texts = {
            **StaffForm.Meta.help_texts,
            "is_active": "Untick when someone leaves: their records stay, but they can no longer log in.",
        }


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The six digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = ["require_two_factor", "idle_timeout_minutes"]
