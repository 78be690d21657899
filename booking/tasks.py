"""Beat's hourly tidy-up of online booking. Thin: the work is booking/services.py's."""

from __future__ import annotations

from celery import shared_task

from .services import holds_forget_lapsed


@shared_task(name="booking.tasks.forget_lapsed_holds")
def forget_lapsed_holds() -> int:
    # Safe to run twice: a second run finds nothing left to delete.
    return holds_forget_lapsed()
