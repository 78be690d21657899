"""Install the standard routine library for every clinic that exists already.

New clinics get it from the post_save signal in routines/signals.py; both use
routines.library.install_library, which only adds missing codes.
"""

from django.db import migrations

from routines.library import install_library
from sessions.catalogue import install_zones


def install_for_existing_clinics(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    LibraryStep = apps.get_model("routines", "LibraryStep")
    ReflexZone = apps.get_model("treatment_sessions", "ReflexZone")
    for clinic_id in Clinic.objects.values_list("pk", flat=True):
        # Steps link to the clinic's zones; this only adds zones a clinic lacks.
        install_zones(ReflexZone, clinic_id)
        install_library(LibraryStep, ReflexZone, clinic_id)


class Migration(migrations.Migration):
    dependencies = [
        ("routines", "0001_initial"),
        ("treatment_sessions", "0003_standard_zones"),
    ]

    # Going back leaves the steps: routines may already point at them.
    operations = [migrations.RunPython(install_for_existing_clinics, migrations.RunPython.noop)]
