"""A request for a client's GP's permission to treat (docs/domain.md, rule 16).

A flag of the tier "needs medical permission" opens one: the clinic prints the letter
(permission/letter.py), the GP answers on its reply slip, and the practitioner records the
answer here. The client's flags read these rows through the reverse relation
`client.permission_requests` (clients sits below this app and never imports it): the
newest reply covering a flag decides whether a session may be recorded.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from accounts.models import Clinic
from clients.health_flags import FlagSpec, HealthFlag, flag_spec
from clients.models import Client


class PermissionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PERMITTED = "permitted", "Received: permitted"
    NOT_PERMITTED = "not_permitted", "Received: not permitted"


class PermissionRequest(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="permission_requests")
    # The flag values the letter asks about, in the intake's order (HealthFlag values).
    flags = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=PermissionStatus.choices, default=PermissionStatus.REQUESTED)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    gp_name = models.CharField("GP's name", max_length=200, blank=True)
    gp_practice = models.CharField("GP's practice", max_length=300, blank=True)
    received_on = models.DateField(null=True, blank=True, help_text="The date the GP signed the reply.")
    expires_on = models.DateField(null=True, blank=True, help_text="The last day the permission holds, if the GP says.")
    note = models.TextField(blank=True, help_text="The GP's advice, in their words.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "status", "requested_at"]),
            models.Index(fields=["client", "status"]),
        ]

    def __str__(self) -> str:
        return f"GP permission for {', '.join(s.label for s in self.flag_specs)}: {self.get_status_display()}"

    @property
    def flag_specs(self) -> list[FlagSpec]:
        return [flag_spec(flag) for flag in HealthFlag if flag.value in self.flags]

    @property
    def is_open(self) -> bool:
        return self.status == PermissionStatus.REQUESTED

    @property
    def is_answered(self) -> bool:
        return not self.is_open

    def covers(self, flag: str) -> bool:
        return flag in self.flags

    def has_expired(self, today: dt.date) -> bool:
        return self.expires_on is not None and today > self.expires_on

    def permits_on(self, today: dt.date) -> bool:
        return self.status == PermissionStatus.PERMITTED and not self.has_expired(today)

    def refusal(self, today: dt.date) -> str:
        """Why this reply does not let a session go ahead on `today`, in words; "" when it does."""
        if self.status == PermissionStatus.NOT_PERMITTED:
            return f"the GP did not give permission (reply of {self.received_on:%-d %B %Y})"
        if self.has_expired(today):
            return f"the GP's permission expired on {self.expires_on:%-d %B %Y}"
        return ""
