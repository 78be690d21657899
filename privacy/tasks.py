"""Celery task for the clinic data export: thin, it calls the service."""

from __future__ import annotations

from celery import shared_task

from .services import clinic_export_build


# acks_late: a worker killed mid-export leaves the task to be redelivered, and the build starts over.
@shared_task(name="privacy.tasks.build_clinic_export", acks_late=True)
def build_clinic_export(export_id: int) -> str:
    return clinic_export_build(export_id=export_id).status
