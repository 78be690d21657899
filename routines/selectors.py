"""Reads for routines: the client's current routine, the editor page, the library."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Clinic
from clients.models import Client
from outbox.models import Delivery

from .models import CheckIn, LibraryStep, Routine, RoutineStep, StepKind


def current_routine(client: Client) -> Routine | None:
    """The routine that emails this client now (active, or paused by the client), if any."""
    return (
        Routine.objects.filter(client=client, status__in=(Routine.Status.ACTIVE, Routine.Status.PAUSED))
        .order_by("-assigned_at", "-pk")
        .first()
    )


def routine_queryset(*, clinic: Clinic) -> QuerySet[Routine]:
    """Everything the editor shows, in a fixed number of queries however many steps."""
    return (
        Routine.objects.filter(clinic=clinic)
        .select_related("client", "session", "created_by")
        .prefetch_related(
            "client__health_flags",
            "client__permission_requests",
            Prefetch(
                "steps",
                queryset=RoutineStep.objects.select_related("zone", "replaces_zone").order_by("position", "pk"),
            ),
        )
    )


def draft_for_session(*, session) -> Routine | None:
    return Routine.objects.filter(session=session, status=Routine.Status.DRAFT).order_by("-pk").first()


def library_steps(*, clinic: Clinic, active_only: bool = False) -> QuerySet[LibraryStep]:
    qs = LibraryStep.objects.filter(clinic=clinic).prefetch_related("zones")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("kind", "sort_order", "title")


def library_choices(*, clinic: Clinic) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active library entries grouped for a <select>: self-reflexology steps, then tips."""
    groups: dict[str, list[tuple[int, str]]] = {StepKind.REFLEX.label: [], StepKind.LIFESTYLE.label: []}
    for pk, kind, title in (
        LibraryStep.objects.filter(clinic=clinic, is_active=True)
        .order_by("kind", "sort_order", "title")
        .values_list("pk", "kind", "title")
    ):
        groups[StepKind(kind).label].append((pk, title))
    return [(label, items) for label, items in groups.items() if items]


# --- What the practitioner sees on the client page ----------------------------------

DELIVERY_LOG_LENGTH = 30


def delivery_log(client: Client, *, limit: int = DELIVERY_LOG_LENGTH) -> list[Delivery]:
    """The client's latest emails, newest first, each with its check-ins, in two queries."""
    return list(
        Delivery.objects.filter(clinic=client.clinic_id, client=client)
        .prefetch_related("check_ins")
        .order_by("-local_date", "-id")[:limit]
    )


class Adherence(NamedTuple):
    done: int
    sent: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.done / self.sent) if self.sent else None

    def __str__(self) -> str:
        if not self.sent:
            return "No routine emails sent yet"
        return f"{self.done} of {self.sent} email{'s' if self.sent != 1 else ''} ({self.percent}%)"


def adherence(client: Client) -> Adherence:
    """Routine emails sent, and how many of them the client answered "I did it", in one query."""
    totals = Delivery.objects.filter(
        clinic=client.clinic_id, client=client, kind=Delivery.Kind.ROUTINE, status=Delivery.Status.SENT
    ).aggregate(
        # Distinct: the join to check-ins gives a sent email one row per answer.
        sent=Count("id", distinct=True),
        done=Count("id", distinct=True, filter=Q(check_ins__kind=CheckIn.Kind.DONE)),
    )
    return Adherence(done=totals["done"], sent=totals["sent"])


def home_pain(client: Client, *, latest: int | None = None) -> list[tuple[dt.date, int]]:
    """(client-local day, pain 0-10) reported from routine emails, oldest first: all of
    them, or the `latest` few."""
    scores = CheckIn.objects.filter(
        clinic=client.clinic_id, client=client, kind=CheckIn.Kind.PAIN, pain__isnull=False
    ).values_list("local_date", "pain")
    if latest is None:
        return list(scores.order_by("local_date", "id"))
    return list(scores.order_by("-local_date", "-id")[:latest])[::-1]
