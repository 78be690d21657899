"""Install the standard reflex-zone catalogue for every clinic that exists already.

New clinics get it from the post_save signal in sessions/signals.py; both use
sessions.catalogue.install_zones, which only adds missing codes.
"""

from django.db import migrations

from sessions.catalogue import install_zones


def install_for_existing_clinics(apps, schema_editor):
    Clinic = apps.get_model("accounts", "Clinic")
    ReflexZone = apps.get_model("treatment_sessions", "ReflexZone")
    for clinic_id in Clinic.objects.values_list("pk", flat=True):
        install_zones(ReflexZone, clinic_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("treatment_sessions", "0002_reflexzone_angle_sides"),
    ]

    # Going back leaves the zones: pressure notes may already point at them.
    operations = [migrations.RunPython(install_for_existing_clinics, migrations.RunPython.noop)]
