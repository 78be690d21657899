"""Every new clinic starts with its own copy of the standard reflex-zone catalogue."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Clinic

from .catalogue import install_standard_zones


@receiver(post_save, sender=Clinic, dispatch_uid="sessions.install_standard_zones")
def install_zones_for_new_clinic(sender, instance: Clinic, created: bool, raw: bool = False, **kwargs) -> None:
    # raw: loaddata restores a fixture as it was, zones included.
    if created and not raw:
        install_standard_zones(instance)
