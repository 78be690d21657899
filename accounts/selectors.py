"""Reads for clinics and staff."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import User
from .tenancy import for_clinic


def staff_with_failed_logins(*, clinic) -> QuerySet[User]:
    """The clinic's staff, active first, each with `failed_logins` (django-axes' count of wrong
    passwords within the cool-off time, from every address) and `last_failed_login`, in the
    same query: the staff page costs no more queries with the lockout list on it."""
    recent = AccessAttempt.objects.filter(
        username=OuterRef("username"), attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    ).values("username")
    return (
        for_clinic(User, clinic)
        .annotate(
            failed_logins=Coalesce(
                Subquery(recent.annotate(n=Sum("failures_since_start")).values("n")[:1]),
                0,
                output_field=IntegerField(),
            ),
            last_failed_login=Subquery(recent.order_by("-attempt_time").values("attempt_time")[:1]),
        )
        .order_by("-is_active", "first_name", "last_name", "username")
    )


def locked_out(staff) -> list[User]:
    """Those of `staff_with_failed_logins` who cannot log in now; each gets `unlocks_at`."""
    locked = [member for member in staff if member.failed_logins >= settings.AXES_FAILURE_LIMIT]
    for member in locked:
        member.unlocks_at = member.last_failed_login + settings.AXES_COOLOFF_TIME
    return locked
