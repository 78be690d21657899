"""Every new clinic starts with its own copy of the standard reflex-zone catalogue."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.models import Clinic

from . import rollups
from .catalogue import install_standard_zones


@receiver(post_save, sender=Clinic, dispatch_uid="sessions.install_standard_zones")
def install_zones_for_new_clinic(sender, instance: Clinic, created: bool, raw: bool = False, **kwargs) -> None:
    # raw: loaddata restores a fixture as it was, zones included.
    if created and not raw:
        install_standard_zones(instance)


@receiver(pre_save, sender=Clinic, dispatch_uid="sessions.note_timezone_change")
def note_timezone_change(sender, instance: Clinic, raw: bool = False, update_fields=None, **kwargs) -> None:
    # A clinic's timezone moves the local days of its notes (sessions.rollups.ZoneDay).
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "timezone" not in update_fields:
        return
    before = Clinic.objects.filter(pk=instance.pk).values_list("timezone", flat=True).first()
    instance._timezone_changed = before is not None and before != instance.timezone


@receiver(post_save, sender=Clinic, dispatch_uid="sessions.rebuild_zone_days")
def rebuild_zone_days(sender, instance: Clinic, created: bool, raw: bool = False, **kwargs) -> None:
    if not created and not raw and getattr(instance, "_timezone_changed", False):
        instance._timezone_changed = False
        with transaction.atomic(savepoint=False):
            rollups.zone_days_refresh(rollups.locked_clinic(instance.pk))
