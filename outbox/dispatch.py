"""The dispatcher: turns "due now" into Delivery rows and queues their sending.

Celery beat runs one pass a minute (`routines.tasks.dispatch_due_routines`); cron
users run `manage.py send_due_routines`. A pass sweeps rows a dead worker left
sending, asks every registered kind with a clock (`EmailKind.create_due`: routine
emails, reminders) to create its due rows, and queues every pending row whose time
has come, of any kind.

Each pending row is queued once: queuing leases it (`leased_until`, for
DELIVERY_LEASE_SECONDS), and a pass queues only rows whose lease is over. A task that
is lost (the broker restarted empty, a worker died holding it) gives its rows back when
their lease ends, not on every minute's pass meanwhile; a chunk that could not reach the
broker at all gives its rows back at once.

A pass is safe to run twice or at the same time as another: kinds create rows with
INSERT ... ON CONFLICT DO NOTHING against the database's once-only constraints
(Delivery.ONCE_PER); the lease is taken with SELECT ... FOR UPDATE SKIP LOCKED, so two
passes at once lease different rows; and the send task claims each row before sending,
so a row queued twice all the same is sent once. Nothing is scheduled ahead with an
ETA: each pass looks at the clock, so a scheduler that was down catches up when it is back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import kinds
from .models import Delivery

logger = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    created: Counter[str] = field(default_factory=Counter)  # rows made, by kind
    expired: int = 0
    swept: int = 0
    due_ids: list[int] = field(default_factory=list)


def _sweep_stuck(now: dt.datetime) -> int:
    # A worker killed mid-send leaves its row SENDING; after a while it is pending again.
    # (The message may have left; its stable Message-ID lets the receiver tell a resend.)
    stuck_before = now - dt.timedelta(seconds=settings.DELIVERY_STUCK_AFTER_SECONDS)
    # Its lease ends too: the row is queued again on this very pass.
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stuck_before).update(
        status=Delivery.Status.PENDING, claimed_at=None, leased_until=None
    )


def _lease_due(now: dt.datetime) -> list[int]:
    """Every pending row due now and not leased, leased from now on; their ids in order.

    SKIP LOCKED: rows another pass is leasing at this moment are its own to queue."""
    due = (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
    )
    ids = sorted(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if ids:
        lease(ids, now)
    return ids


def lease(ids: list[int], now: dt.datetime | None = None) -> None:
    until = (now or timezone.now()) + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    Delivery.objects.filter(pk__in=ids).update(leased_until=until)


def _unlease(ids: list[int]) -> None:
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(leased_until=None)


def queue_sending(ids: list[int]) -> None:
    """Queue the send task for `ids` (leased by the caller) in chunks once the current
    transaction commits.

    robust=True: with the broker down the error does not reach the caller after
    commit; the rows of every chunk not queued lose their lease, so the next pass
    queues them again. One callback for every chunk: the first failure to reach the
    broker ends the queuing instead of each chunk waiting out its own connection
    retries, and it is a function, not a partial, because robust on_commit logs the
    callback's __qualname__ (a partial has none, and the AttributeError escaped).
    """
    from .tasks import send_deliveries_task

    size = settings.DELIVERY_BATCH_SIZE
    chunks = [ids[start : start + size] for start in range(0, len(ids), size)]

    def queue_chunks() -> None:
        for n, chunk in enumerate(chunks):
            try:
                send_deliveries_task.delay(chunk)
            except Exception:
                _unlease([pk for rest in chunks[n:] for pk in rest])
                raise

    if chunks:
        transaction.on_commit(queue_chunks, robust=True)


@transaction.atomic
def dispatch_pass(now: dt.datetime | None = None, *, queue: bool = True) -> DispatchResult:
    """One pass: sweep, create every clocked kind's due rows, and lease and queue every row
    due now (with queue=False the caller sends them itself: manage.py send_due_routines)."""
    now = now or timezone.now()
    result = DispatchResult(swept=_sweep_stuck(now))
    for kind in kinds.registered():
        if kind.create_due is not None:
            produced = kind.create_due(now)
            result.created[kind.slug] += produced.created
            result.expired += produced.expired
    result.due_ids = _lease_due(now)
    if queue:
        queue_sending(result.due_ids)
    if result.created.total() or result.expired or result.swept:
        logger.info(
            "dispatch: created %s; %s expired, %s swept; %s queued",
            dict(result.created),
            result.expired,
            result.swept,
            len(result.due_ids),
        )
    return result


def dispatch_due(now: dt.datetime | None = None) -> list[int]:
    """One dispatch pass; returns the ids of the rows queued for sending."""
    return dispatch_pass(now).due_ids
