"""Each pressure note carries its session's clinic and start, so the reports read one
clinic's notes of a range by their own index (pressurenote_clinic_start_idx).

The columns are added empty, filled from the sessions in batches of note ids (each batch
its own transaction: a large table is not locked as a whole while it fills), then made
required. On PostgreSQL a composite foreign key (session, clinic, start) -> the session's
same three columns, ON UPDATE CASCADE, keeps every note equal to its session whatever
writes the session. Reversible: backwards, the key and the columns are dropped.
"""

import django.db.models.deletion
from django.db import migrations, models, transaction

BATCH = 50_000
SESSION_KEY = "treatmentsession_id_clinic_start_key"
NOTE_FKEY = "pressurenote_session_clinic_start_fkey"


def fill_from_sessions(apps, schema_editor):
    note = apps.get_model("treatment_sessions", "PressureNote")
    session = apps.get_model("treatment_sessions", "TreatmentSession")
    notes, sessions = note._meta.db_table, session._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {notes}")
        low, high = cursor.fetchone()
        if low is None:
            return
        for first in range(low, high + 1, BATCH):
            with transaction.atomic(using=connection.alias):
                # Correlated subqueries: the same statement on PostgreSQL and SQLite.
                cursor.execute(
                    f"UPDATE {notes} SET "
                    f"clinic_id = (SELECT s.clinic_id FROM {sessions} s WHERE s.id = {notes}.session_id), "
                    f"started_at = (SELECT s.started_at FROM {sessions} s WHERE s.id = {notes}.session_id) "
                    f"WHERE id >= %s AND id < %s",
                    [first, first + BATCH],
                )


def add_session_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    notes = apps.get_model("treatment_sessions", "PressureNote")._meta.db_table
    sessions = apps.get_model("treatment_sessions", "TreatmentSession")._meta.db_table
    schema_editor.execute(
        f"ALTER TABLE {sessions} ADD CONSTRAINT {SESSION_KEY} UNIQUE (id, clinic_id, started_at)"
    )
    schema_editor.execute(
        f"ALTER TABLE {notes} ADD CONSTRAINT {NOTE_FKEY} FOREIGN KEY (session_id, clinic_id, started_at) "
        f"REFERENCES {sessions} (id, clinic_id, started_at) ON UPDATE CASCADE ON DELETE CASCADE "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def drop_session_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    notes = apps.get_model("treatment_sessions", "PressureNote")._meta.db_table
    sessions = apps.get_model("treatment_sessions", "TreatmentSession")._meta.db_table
    schema_editor.execute(f"ALTER TABLE {notes} DROP CONSTRAINT IF EXISTS {NOTE_FKEY}")
    schema_editor.execute(f"ALTER TABLE {sessions} DROP CONSTRAINT IF EXISTS {SESSION_KEY}")


class Migration(migrations.Migration):
    # The fill commits batch by batch (see fill_from_sessions).
    atomic = False

    dependencies = [
        ("accounts", "0001_initial"),
        ("treatment_sessions", "0004_clearance_override"),
    ]

    operations = [
        migrations.AddField(
            model_name="pressurenote",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.clinic",
            ),
        ),
        migrations.AddField(
            model_name="pressurenote",
            name="started_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(fill_from_sessions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pressurenote",
            name="clinic",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.clinic",
            ),
        ),
        migrations.AlterField(
            model_name="pressurenote",
            name="started_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="pressurenote",
            index=models.Index(
                fields=["clinic", "started_at"],
                name="pressurenote_clinic_start_idx",
            ),
        ),
        migrations.RunPython(add_session_key, drop_session_key),
    ]
