"""PostgreSQL guarantees that no two blocking appointments of one client overlap, with any practitioners.

The same exclusion constraint as migration 0002, over (client, [starts_at, ends_at)),
ignoring cancelled rows. If the database already holds overlapping bookings of one
client the migration stops and names them: which one to cancel is the clinic's call.
"""

from django.db import migrations

from appointments.overlap import add_no_overlap, drop_no_overlap, overlapping_pairs

CONSTRAINT = "appointment_client_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    if overlaps := overlapping_pairs(apps, schema_editor, column="client_id"):
        pairs = ", ".join(f"{a} and {b}" for a, b in overlaps)
        raise RuntimeError(f"Clients are booked into overlapping appointments (ids {pairs}); cancel one of each first.")
    add_no_overlap(apps, schema_editor, column="client_id", name=CONSTRAINT)


def drop_constraint(apps, schema_editor):
    drop_no_overlap(apps, schema_editor, name=CONSTRAINT)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_status_changes"),
    ]

    operations = [
        migrations.RunPython(add_constraint, drop_constraint),
    ]
