"""PostgreSQL guarantees that no two blocking appointments of one client overlap, with any practitioners.

The same exclusion constraint as migration 0002, over (client, [starts_at, ends_at)),
ignoring cancelled rows. If the database already holds overlapping bookings of one
client the migration stops and names them: which one to cancel is the clinic's call.
"""

from django.db import migrations

CONSTRAINT = "appointment_client_no_overlap"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("appointments", "Appointment")._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, b.id FROM {table} a JOIN {table} b ON a.client_id = b.client_id AND a.id < b.id "
            "AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)') "
            "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' LIMIT 20"
        )
        overlaps = cursor.fetchall()
    if overlaps:
        pairs = ", ".join(f"{a} and {b}" for a, b in overlaps)
        raise RuntimeError(f"Clients are booked into overlapping appointments (ids {pairs}); cancel one of each first.")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(client_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("appointments", "Appointment")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0003_status_changes"),
    ]

    operations = [
        migrations.RunPython(add_constraint, drop_constraint),
    ]
