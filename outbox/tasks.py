"""The send task: thin, it calls the mailer.

Retries are not Celery retries: a countdown/ETA task sits in the Redis broker, which
redelivers it on its own schedule. A failed row keeps `next_attempt_at`, and the
next dispatcher tick queues it again when that time has come.
"""

from __future__ import annotations

from celery import shared_task

from .mailer import send_deliveries


# acks_late: a worker killed mid-batch leaves the task to be redelivered; rows it had
# already sent are skipped by their claim, a row left mid-send is swept back later.
# A task queued under its old name (routines.tasks.send_deliveries_task) before an
# upgrade is dropped by the new worker; its rows stay pending and the next pass queues them.
@shared_task(name="outbox.tasks.send_deliveries_task", acks_late=True)
def send_deliveries_task(ids: list[int]) -> dict[str, int]:
    return send_deliveries(ids)
