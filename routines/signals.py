"""Every new clinic starts with its own copy of the standard routine library."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Clinic
from sessions.catalogue import install_standard_zones

from .library import install_standard_library


@receiver(post_save, sender=Clinic, dispatch_uid="routines.install_standard_library")
def install_library_for_new_clinic(sender, instance: Clinic, created: bool, raw: bool = False, **kwargs) -> None:
    # raw: loaddata restores a fixture as it was, library included.
    if created and not raw:
        # Steps link to the clinic's zones; installing them is idempotent, so this does not
        # depend on the sessions receiver having run first.
        install_standard_zones(instance)
        install_standard_library(instance)
