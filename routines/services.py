"""Writes for routines: editing a routine's steps and schedule, assigning and stopping it,
and the owner's library entries. Proposing one from a session is in proposal.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import logged_bulk_create, logged_update
from clients.services import archived_refusal, withdrawal_message

from .models import LibraryStep, Routine, RoutineStep
from .proposal import steps_from_library

EDITABLE = (Routine.Status.DRAFT, Routine.Status.ACTIVE, Routine.Status.PAUSED)
RUNNING = (Routine.Status.ACTIVE, Routine.Status.PAUSED)


class RoutineLocked(Exception):
    """A stopped or ended routine is kept as it was sent."""


class RoutineCannotBeAssigned(Exception):
    """Said to the practitioner as it is (str(exc))."""


def _check_editable(routine: Routine) -> None:
    if routine.status not in EDITABLE:
        raise RoutineLocked(f"This routine is {routine.get_status_display().lower()}, so it can no longer be changed.")


def _renumber(routine: Routine) -> None:
    for position, step in enumerate(routine.steps.order_by("position", "pk"), start=1):
        if step.position != position:
            logged_update(RoutineStep.objects.filter(pk=step.pk), position=position)


@transaction.atomic
def routine_add_step(*, routine: Routine, library_step: LibraryStep) -> list[RoutineStep]:
    """Append the library entry at the end (a shoulder on the hands adds palm and back)."""
    _check_editable(routine)
    steps = steps_from_library(library_step, client=routine.client)
    last = routine.steps.order_by("-position").values_list("position", flat=True).first() or 0
    for i, step in enumerate(steps, start=1):
        step.routine = routine
        step.position = last + i
    return logged_bulk_create(RoutineStep, steps)


@transaction.atomic
def routine_remove_step(*, step: RoutineStep) -> None:
    _check_editable(step.routine)
    routine = step.routine
    step.delete()
    _renumber(routine)


@transaction.atomic
def routine_move_step(*, step: RoutineStep, up: bool) -> None:
    """Swap the step with its neighbour above (up) or below; at either end nothing moves."""
    routine = step.routine
    _check_editable(routine)
    _renumber(routine)
    step.refresh_from_db(fields=["position"])
    target = step.position - 1 if up else step.position + 1
    neighbour = routine.steps.filter(position=target).first()
    if neighbour is None:
        return
    logged_update(RoutineStep.objects.filter(pk=neighbour.pk), position=step.position)
    logged_update(RoutineStep.objects.filter(pk=step.pk), position=target)


def routine_update_step(*, step: RoutineStep, data: dict[str, Any]) -> None:
    _check_editable(step.routine)
    for name in ("minutes", "instruction", "pressure"):
        if name in data:
            setattr(step, name, data[name])
    step.save(update_fields=[n for n in ("minutes", "instruction", "pressure") if n in data])


def routine_update_schedule(*, routine: Routine, data: dict[str, Any]) -> None:
    _check_editable(routine)
    fields = ("frequency", "weekdays", "every_n_days", "starts_on", "ends_on", "intro")
    for name in fields:
        if name in data:
            setattr(routine, name, data[name])
    routine.save(update_fields=[*[n for n in fields if n in data], "updated_at"])


@transaction.atomic
def routine_assign(*, routine: Routine, by, now: dt.datetime | None = None) -> Routine:
    """Make the routine the client's active one; the previous running routine ends."""
    now = now or timezone.now()
    client = routine.client
    if routine.status != Routine.Status.DRAFT:
        raise RoutineCannotBeAssigned("This routine has already been assigned.")
    if client.is_archived:
        raise RoutineCannotBeAssigned(archived_refusal(client, "assigning a routine"))
    if client.email_consent_withdrawal is not None:
        # Stop means stop: only the client's renewed say-so, recorded by the practitioner, undoes it.
        raise RoutineCannotBeAssigned(withdrawal_message(client))
    if not client.email:
        raise RoutineCannotBeAssigned(
            f"{client.full_name} has no email address. Add one on the client's page, then assign the routine."
        )
    if not client.consent_email:
        raise RoutineCannotBeAssigned(
            f"{client.full_name} has not agreed to receive emails. Record their consent on the client's page "
            "first, then assign the routine."
        )
    if not routine.steps.exists():
        raise RoutineCannotBeAssigned("Add at least one step before assigning the routine.")
    logged_update(
        Routine.objects.filter(client=client, status__in=RUNNING).exclude(pk=routine.pk),
        status=Routine.Status.ENDED,
        stopped_at=now,
        stop_reason="Replaced by a newer routine.",
        updated_at=now,
    )
    routine.status = Routine.Status.ACTIVE
    routine.assigned_at = now
    routine.save(update_fields=["status", "assigned_at", "updated_at"])
    return routine


def routine_stop(*, routine: Routine, by, reason: str = "", now: dt.datetime | None = None) -> bool:
    """Stop a running routine; returns False if it was not running (a second click)."""
    now = now or timezone.now()
    reason = reason or f"Stopped by {by}."
    changed = logged_update(
        Routine.objects.filter(pk=routine.pk, status__in=RUNNING),
        status=Routine.Status.STOPPED,
        stopped_at=now,
        stop_reason=reason,
        updated_at=now,
    )
    routine.refresh_from_db()
    return bool(changed)


class LibraryCodeTaken(Exception):
    pass


def library_step_save(*, step: LibraryStep, zones=None) -> LibraryStep:
    """Save an owner's new or edited library entry; a new one gets a code from its title."""
    if not step.code:
        base = slugify(step.title)[:50] or "step"
        taken = set(
            LibraryStep.objects.filter(clinic=step.clinic, code__startswith=base).values_list("code", flat=True)
        )
        code, n = base, 2
        while code in taken:
            code, n = f"{base}-{n}", n + 1
        step.code = code
    try:
        with transaction.atomic():
            step.save()
            if zones is not None:
                step.zones.set(zones)
    except IntegrityError as exc:
        raise LibraryCodeTaken(step.code) from exc
    return step
