"""Celery tasks for routine and appointment emails: thin, they call the services.

Retries are not Celery retries: a countdown/ETA task sits in the Redis broker, which
redelivers it on its own schedule. A failed row keeps `next_attempt_at`, and the
next dispatcher tick queues it again when that time has come.
"""

from __future__ import annotations

from celery import shared_task

from reflexclinic.health import beat_tick_record

from .dispatch import dispatch_due
from .mailer import send_deliveries


@shared_task(name="routines.tasks.dispatch_due_routines")
def dispatch_due_routines() -> int:
    # /health/ reports beat as working while these ticks keep arriving.
    beat_tick_record()
    return len(dispatch_due())


# acks_late: a worker killed mid-batch leaves the task to be redelivered; rows it had
# already sent are skipped by their claim, a row left mid-send is swept back later.
@shared_task(name="routines.tasks.send_deliveries_task", acks_late=True)
def send_deliveries_task(ids: list[int]) -> dict[str, int]:
    return send_deliveries(ids)
