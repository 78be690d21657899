"""Beat's minute tick. Thin: the pass is the outbox's (outbox/dispatch.py).

The task keeps the name beat's schedule has always used; one pass creates every
clocked kind's due rows (routine emails, reminders) and queues every row due now.
"""

from __future__ import annotations

from celery import shared_task

from outbox.dispatch import dispatch_due
from reflexclinic.health import beat_tick_record


@shared_task(name="routines.tasks.dispatch_due_routines")
def dispatch_due_routines() -> int:
    # /health/ reports beat as working while these ticks keep arriving.
    beat_tick_record()
    return len(dispatch_due())
