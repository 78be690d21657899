"""PostgreSQL guarantees that no two blocking appointments of one practitioner overlap.

An exclusion constraint over (practitioner, [starts_at, ends_at)) ignoring cancelled
rows, so two simultaneous bookings cannot both win even when both passed the
service's check. SQLite has no such constraint; there, bookings are serialised by
IMMEDIATE write transactions (see reflexclinic/settings.py and appointments/services.py).
"""

from django.db import migrations

from appointments.overlap import add_no_overlap, drop_no_overlap

CONSTRAINT = "appointment_no_overlap"


def add_constraint(apps, schema_editor):
    add_no_overlap(apps, schema_editor, column="practitioner_id", name=CONSTRAINT)


def drop_constraint(apps, schema_editor):
    drop_no_overlap(apps, schema_editor, name=CONSTRAINT)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_constraint, drop_constraint),
    ]
