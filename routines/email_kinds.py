"""The routine email as an outbox kind (outbox/kinds.py), registered in RoutinesConfig.ready()."""

from __future__ import annotations

import datetime as dt

from accounts.localtime import local_today
from outbox.kinds import EmailKind, EmailParts
from outbox.models import Delivery

from . import dispatch
from .schedule import due_routine_ids, not_due_reason


def _build(delivery: Delivery) -> EmailParts:
    # Imported here: the email module rasterises pictures, and loads only when sending.
    from .emails import routine_parts

    return routine_parts(delivery.routine, delivery.local_date, delivery)


def _still_due(deliveries: list[Delivery]) -> set[int]:
    """The batch's routines still due on their row's day, in one query per distinct day."""
    return due_routine_ids((d.routine, d.local_date) for d in deliveries)


def _skip(delivery: Delivery, now: dt.datetime, still_due: set[int]) -> str | None:
    if delivery.local_date < local_today(delivery.client, now):
        return dispatch.PAST_DAY
    if delivery.routine_id in still_due:
        return None
    # Stopped, paused or opted out since the dispatcher created the row.
    return f"Not sent: {not_due_reason(delivery.routine, delivery.local_date) or 'no longer due'}"


ROUTINE = EmailKind(
    slug=Delivery.Kind.ROUTINE,
    template_dir="routines/email/routine",
    build=_build,
    skip=_skip,
    prepare=_still_due,
    select_related=("routine",),
    prefetch_related=("routine__steps__zone", "client__health_flags"),
    create_due=dispatch.create_due,
)
