"""Writes: retention settings, anonymising a client, and building a clinic's data export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Clinic, User
from clients.models import Client
from reports.csv import BOM
from routines.models import Routine
from routines.services import routine_stop

from .models import Anonymisation, ClinicExport, RetentionPolicy
from .selectors import client_retention, client_tables
from .tables import DataTable, csv_value, json_text, tables_of

logger = logging.getLogger(__name__)


def retention_policy_save(*, clinic: Clinic, years_after_last_treatment: int, minor_until_age: int) -> RetentionPolicy:
    policy, _ = RetentionPolicy.objects.update_or_create(
        clinic=clinic,
        defaults={"years_after_last_treatment": years_after_last_treatment, "minor_until_age": minor_until_age},
    )
    return policy


# --- Anonymisation ----------------------------------------------------------------------

# Free text in the client's tables is removed, since a note may name or describe the person,
# except these columns, written from the routine library and the flag specs rather than
# about the client. A new table's free text is removed without being listed anywhere.
KEPT_TEXT: dict[str, set[str]] = {
    "routines.routinestep": {"title", "instruction"},
    "routines.routine": {"hands_reason"},
}
ANONYMISED_FIRST_NAME = "Anonymised"


def is_free_text(field: models.Field) -> bool:
    """Typed text (names, notes, emails, errors) and JSON; not choices, which are codes."""
    return isinstance(field, models.CharField | models.TextField | models.JSONField) and not field.choices


def removed_columns(table: DataTable) -> list[models.Field]:
    kept = KEPT_TEXT.get(table.label, set())
    return [f for f in table.model._meta.concrete_fields if is_free_text(f) and f.name not in kept]


def _without_text(value):
    """JSON with every string emptied and every number kept (an amendment's pain before and after)."""
    if isinstance(value, str):
        return ""
    if isinstance(value, dict):
        return {key: _without_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_text(item) for item in value]
    return value


def _scrub(table: DataTable, client: Client) -> None:
    columns = removed_columns(table)
    plain = {f.name: (None if f.null else "") for f in columns if not isinstance(f, models.JSONField)}
    if plain:
        table.rows(client).update(**plain)
    for field in (f for f in columns if isinstance(f, models.JSONField)):
        for row in table.rows(client).only("pk", field.name):
            setattr(row, field.name, _without_text(getattr(row, field.name)))
            row.save(update_fields=[field.name])


@transaction.atomic
def client_anonymise(*, client: Client, by: User, today: dt.date | None = None) -> Client:
    """Remove the client's identifiers for good, once their retention period has ended.

    Names become "Anonymised client <number>", email, phone, address and every free-text
    note in their tables are emptied, the date of birth keeps only its year (1 January), the
    record is archived and their running routines stop. Sessions, pain scores, pressure notes, appointments,
    emails and check-ins stay as they were, so every report figure is unchanged.
    """
    client = Client.objects.select_for_update().select_related("clinic").get(pk=client.pk)
    if Anonymisation.objects.filter(client=client).exists():
        raise ValidationError("This client has already been anonymised.")
    retention = client_retention(client, today=today)
    if not retention.is_past:
        raise ValidationError(
            f"{client.full_name}'s record must be kept until {retention.kept_until:%-d %B %Y} "
            f"({retention.reason}), so it cannot be anonymised yet."
        )
    for table in client_tables():
        _scrub(table, client)
    client.refresh_from_db()
    client.first_name = ANONYMISED_FIRST_NAME
    client.last_name = f"client {client.pk}"
    if client.date_of_birth:
        client.date_of_birth = client.date_of_birth.replace(month=1, day=1)
    # Out of the active list: nobody books or treats an anonymised record.
    client.archived_at = client.archived_at or timezone.now()
    client.save(update_fields=["first_name", "last_name", "date_of_birth", "archived_at", "updated_at"])
    for routine in Routine.objects.filter(client=client):
        routine_stop(routine=routine, by=by, reason="The client's record was anonymised.")
    Anonymisation.objects.create(client=client, by=by, kept_until=retention.kept_until)
    return client


# --- Clinic export ----------------------------------------------------------------------


def clinic_tables() -> tuple[DataTable, ...]:
    """Every table holding a clinic's rows: the clinic's own, then each reached from it."""
    return tables_of(Clinic)


def export_path(export: ClinicExport) -> Path:
    return Path(settings.PRIVACY_EXPORT_DIR) / export.file_name


def clinic_export_request(*, clinic: Clinic, by: User) -> ClinicExport:
    """Queue an export, or return the one already waiting or running (a second click)."""
    with transaction.atomic():
        # Locks the clinic's row so two clicks at once queue one export.
        Clinic.objects.select_for_update().get(pk=clinic.pk)
        open_export = ClinicExport.objects.filter(
            clinic=clinic, status__in=[ClinicExport.Status.QUEUED, ClinicExport.Status.RUNNING]
        ).first()
        if open_export:
            return open_export
        export = ClinicExport.objects.create(clinic=clinic, requested_by=by, tables_total=len(clinic_tables()))
        transaction.on_commit(lambda: _queue(export.pk))
    return export


def _queue(export_id: int) -> None:
    from .tasks import build_clinic_export

    try:
        build_clinic_export.delay(export_id)
    except Exception as error:  # the broker is down: say so rather than wait forever
        logger.exception("Could not queue clinic export %s", export_id)
        ClinicExport.objects.filter(pk=export_id).update(
            status=ClinicExport.Status.FAILED,
            error=f"The background queue could not be reached ({type(error).__name__}). Please try again.",
            finished_at=timezone.now(),
        )


def _write_table(archive: zipfile.ZipFile, table: DataTable, clinic: Clinic) -> None:
    columns = table.columns
    with archive.open(f"{table.label}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        text.write(BOM)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(columns)
        for row in table.values(clinic):
            writer.writerow([csv_value(row[c]) for c in columns])
    with archive.open(f"{table.label}.json", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        text.write("[")
        for n, row in enumerate(table.values(clinic)):
            text.write(("," if n else "") + "\n" + json_text(row))
        text.write("\n]\n")


def clinic_export_build(*, export_id: int) -> ClinicExport:
    """Write the zip (one CSV and one JSON file per table, only this clinic's rows), counting
    tables done as it goes. Run again (a redelivered task) it starts over, unless it is done."""
    export = ClinicExport.objects.select_related("clinic").get(pk=export_id)
    if export.status == ClinicExport.Status.DONE:
        return export
    clinic, tables = export.clinic, clinic_tables()
    rows = ClinicExport.objects.filter(pk=export.pk)
    rows.update(status=ClinicExport.Status.RUNNING, tables_total=len(tables), tables_done=0, error="")
    folder = Path(settings.PRIVACY_EXPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{clinic.slug}-data-{timezone.now():%Y%m%d-%H%M%S}-{export.pk}.zip"
    partial = folder / f"{name}.part"
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for done, table in enumerate(tables, start=1):
                _write_table(archive, table, clinic)
                rows.update(tables_done=done)
        # Renamed only when complete, so a download never reads half a zip.
        partial.replace(folder / name)
    except Exception as error:
        logger.exception("Clinic export %s failed", export.pk)
        partial.unlink(missing_ok=True)
        rows.update(status=ClinicExport.Status.FAILED, error=str(error)[:500], finished_at=timezone.now())
    else:
        rows.update(
            status=ClinicExport.Status.DONE,
            file_name=name,
            size=(folder / name).stat().st_size,
            finished_at=timezone.now(),
        )
        _remove_older(export)
    export.refresh_from_db()
    return export


def _remove_older(export: ClinicExport) -> None:
    """A copy of every client's record should not linger on disk: the clinic's earlier
    zips are deleted once a newer one is ready."""
    older = ClinicExport.objects.filter(clinic=export.clinic, status=ClinicExport.Status.DONE, pk__lt=export.pk)
    for previous in older.exclude(file_name=""):
        export_path(previous).unlink(missing_ok=True)
    older.update(status=ClinicExport.Status.REPLACED, file_name="")
