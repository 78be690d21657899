"""Reads of the audit trail for the owner's pages and the CSV export: a clinic's rows,
filtered, and each row in words (who, when, whose record, what, before and after)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.formats import date_format

from accounts.models import Clinic
from audit.models import AuditEntry

DASH = "—"
VERBS = {
    AuditEntry.Action.CREATE: "created",
    AuditEntry.Action.UPDATE: "changed",
    AuditEntry.Action.DELETE: "deleted",
    AuditEntry.Action.ACCESS: "viewed",
}


def audit_entries(
    *, clinic: Clinic, client=None, staff=None, kind: str = "", start: dt.date | None = None, end=None
) -> QuerySet[AuditEntry]:
    """The clinic's audit rows, newest first, narrowed by the filters; every filter is an
    indexed column (clinic, client, actor, timestamp)."""
    qs = AuditEntry.objects.filter(clinic=clinic)
    if client is not None:
        qs = qs.filter(client=client)
    if staff is not None:
        qs = qs.filter(actor=staff)
    if kind == "views":
        qs = qs.filter(action=AuditEntry.Action.ACCESS)
    elif kind == "changes":
        qs = qs.exclude(action=AuditEntry.Action.ACCESS)
    tz = ZoneInfo(clinic.timezone)
    if start:
        qs = qs.filter(timestamp__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end:
        qs = qs.filter(timestamp__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return qs.select_related("content_type", "client").order_by("-timestamp", "-pk")


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Row:
    when: dt.datetime
    who: str
    actor_id: int | None
    client_id: int | None
    client_name: str
    action: str  # "viewed", "created", "changed", "deleted"
    record: str  # "Client Ada Lovelace", "Pressure note ...", or for a view the page seen
    changes: tuple[Change, ...]

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in self.changes)


def _model_field(model, name):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete else None


def _related_names(entries: list[AuditEntry]) -> dict[tuple[type, str], str]:
    """The names of the rows that foreign keys in the changes point at, one query per model."""
    wanted: dict[type, set] = defaultdict(set)
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes or {}).items():
            field = _model_field(model, name)
            if field is not None and field.many_to_one:
                wanted[field.related_model].update(v for v in values if v is not None)
    names = {}
    for model, ids in wanted.items():
        # select_related(): a row's name often reads its own foreign keys (a routine names its client).
        for pk, obj in model._base_manager.select_related().in_bulk(list(ids)).items():
            names[(model, str(pk))] = str(obj)
    return names


def _value_text(field, value, names, tz) -> str:
    if value is None or value == "":
        return DASH
    if field is None:
        return str(value)
    if field.many_to_one:
        return names.get((field.related_model, str(value)), f"#{value} (since removed)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.get_internal_type() == "DateTimeField":
        # Stored as naive UTC by django-auditlog; shown in the clinic's time.
        try:
            moment = dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC).astimezone(tz)
        except ValueError:
            return str(value)
        return date_format(moment, "j M Y, H:i")
    if field.get_internal_type() == "DateField":
        try:
            return date_format(dt.date.fromisoformat(str(value)), "j M Y")
        except ValueError:
            return str(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or DASH
    return str(value)


def audit_rows(entries: Iterable[AuditEntry], *, clinic: Clinic) -> list[Row]:
    entries = list(entries)
    names = _related_names(entries)
    tz = ZoneInfo(clinic.timezone)
    rows = []
    for entry in entries:
        model = entry.content_type.model_class()
        changes = []
        for name, (before, after) in sorted((entry.changes or {}).items()):
            field = _model_field(model, name)
            if field is not None and field.primary_key:
                continue  # a new row's id says nothing to the reader
            label = str(field.verbose_name) if field is not None else name
            changes.append(
                Change(
                    label[:1].upper() + label[1:],
                    _value_text(field, before, names, tz),
                    _value_text(field, after, names, tz),
                )
            )
        if entry.action == AuditEntry.Action.ACCESS:
            record = entry.what or "a page of the record"
        else:
            kind = str(model._meta.verbose_name) if model is not None else entry.content_type.model
            record = f"{kind[:1].upper()}{kind[1:]}: {entry.object_repr}"
        rows.append(
            Row(
                when=entry.timestamp.astimezone(tz),
                who=entry.actor_label or DASH,
                actor_id=entry.actor_id,
                client_id=entry.client_id,
                client_name=str(entry.client) if entry.client is not None else DASH,
                action=VERBS.get(entry.action, "logged"),
                record=record,
                changes=tuple(changes),
            )
        )
    return rows
