"""PostgreSQL guarantees that no two blocking appointments of one practitioner overlap.

An exclusion constraint over (practitioner, [starts_at, ends_at)) ignoring cancelled
rows, so two simultaneous bookings cannot both win even when both passed the
service's check. SQLite has no such constraint; there, bookings are serialised by
IMMEDIATE write transactions (see reflexclinic/settings.py and appointments/services.py).
"""

from django.db import migrations

CONSTRAINT = "appointment_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("appointments", "Appointment")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(practitioner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("appointments", "Appointment")._meta.db_table)
    # The extension stays: other objects may use it, and it is harmless on its own.
    schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_constraint, drop_constraint),
    ]
