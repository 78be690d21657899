from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# docs/domain.md, rule 7: "a few minutes, every day".
ROUTINE_MINUTES_DEFAULT = 10
ROUTINE_MINUTES_MIN = 3
ROUTINE_MINUTES_MAX = 20

TIMEZONE_CHOICES = sorted((tz, tz.replace("_", " ")) for tz in available_timezones() if "/" in tz)


class Clinic(models.Model):
    """A practice: the tenant. Every other row belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="Europe/London")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    # Sign-in rules the owner sets on the clinic settings page (issue 11): every member of
    # staff must use an authenticator app, and a shared tablet signs out after idle minutes.
    require_two_factor = models.BooleanField(
        "Require two-factor sign-in for everyone",
        default=False,
        help_text="Everyone is asked to set up an authenticator app the next time they log in.",
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        "Sign out after this many idle minutes",
        default=30,
        validators=[
            MinValueValidator(5, "Choose at least 5 minutes."),
            MaxValueValidator(480, "Choose at most 480 minutes (8 hours)."),
        ],
        help_text="Someone who leaves a tablet signed in is signed out after this long without using it (5 to 480).",
    )
    # docs/domain.md, rule 7: a proposed home routine takes at most this many minutes a day.
    routine_minutes = models.PositiveSmallIntegerField(
        "Home routine length (minutes)",
        default=ROUTINE_MINUTES_DEFAULT,
        validators=[MinValueValidator(ROUTINE_MINUTES_MIN), MaxValueValidator(ROUTINE_MINUTES_MAX)],
        help_text=f"A proposed routine takes at most this long each day: {ROUTINE_MINUTES_MIN} to "
        f"{ROUTINE_MINUTES_MAX} minutes.",
        error_messages={
            "min_value": f"Choose from {ROUTINE_MINUTES_MIN} to {ROUTINE_MINUTES_MAX} minutes: "
            "even a short routine needs a few minutes.",
            "max_value": f"Choose from {ROUTINE_MINUTES_MIN} to {ROUTINE_MINUTES_MAX} minutes: "
            "a home routine is a few minutes a day.",
        },
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        PRACTITIONER = "practitioner", "Practitioner"

    # Null only for operators (Django superusers) who work in the admin, not in a clinic.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PRACTITIONER)
    # Demo accounts have public passwords; the auth backend refuses them when DEBUG is off.
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER
