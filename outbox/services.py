"""Writes: the one way an app adds an email to the outbox outside a dispatch pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from . import kinds
from .dispatch import lease, queue_sending
from .models import ONCE_PER, Delivery


@transaction.atomic
def delivery_create(
    *, kind: str, clinic_id: int, to_email: str, to_name: str, local_date: dt.date, **about
) -> Delivery:
    """A pending row for `kind` to one recipient, queued for sending once the caller's
    transaction commits (a rolled-back booking or staff member gets no email).

    `about`: what the email is about, as Delivery's links (client, user, routine,
    appointment). A once-only kind (Delivery.ONCE_PER) returns its existing row
    instead of a second one, and queues nothing again.
    """
    kinds.get(kind)  # an unregistered kind is refused here, not at sending time
    fields = {"clinic_id": clinic_id, "to_email": to_email, "to_name": to_name, "local_date": local_date, **about}
    once = ONCE_PER.get(kind)
    if once:
        lookup = {name: fields.pop(name) for name in once if name != "kind"}
        delivery, created = Delivery.objects.get_or_create(**lookup, kind=kind, defaults=fields)
    else:
        delivery, created = Delivery.objects.create(kind=kind, **fields), True
    if created:
        lease([delivery.pk])
        queue_sending([delivery.pk])
    return delivery


def deliveries_insert(*, kind: str, rows: Iterable[dict]) -> int:
    """Many pending rows of one kind at once (a dispatch pass's due rows); returns how many
    were offered. Another dispatcher may insert the same rows at the same moment: the
    once-only constraint keeps one, and ignore_conflicts makes ours a no-op, not an error.
    The pass queues them with every other due row."""
    deliveries = [Delivery(kind=kind, **row) for row in rows]
    Delivery.objects.bulk_create(deliveries, batch_size=1000, ignore_conflicts=True)
    return len(deliveries)
