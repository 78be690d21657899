"""The PostgreSQL exclusion constraints that keep one person's appointments from overlapping.

Used by the migrations that add them (0002 per practitioner, 0005 per client): a gist
exclusion over (who, [starts_at, ends_at)) that ignores cancelled rows. SQLite has no
such constraint; there, bookings are serialised by IMMEDIATE write transactions.
"""

from __future__ import annotations


def _table(apps, schema_editor) -> str:
    return schema_editor.quote_name(apps.get_model("appointments", "Appointment")._meta.db_table)


def add_no_overlap(apps, schema_editor, *, column: str, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {_table(apps, schema_editor)} ADD CONSTRAINT {name} EXCLUDE USING gist "
        f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def drop_no_overlap(apps, schema_editor, *, name: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: other objects may use it, and it is harmless on its own.
    schema_editor.execute(f"ALTER TABLE {_table(apps, schema_editor)} DROP CONSTRAINT IF EXISTS {name}")


def overlapping_pairs(apps, schema_editor, *, column: str) -> list[tuple[int, int]]:
    """Up to 20 pairs of blocking appointments of one `column` that overlap (none once the constraint is on)."""
    table = _table(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, b.id FROM {table} a JOIN {table} b ON a.{column} = b.{column} AND a.id < b.id "
            "AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)') "
            "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' LIMIT 20"
        )
        return cursor.fetchall()
