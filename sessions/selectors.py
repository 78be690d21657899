"""Reads for treatment sessions: the session page, the zones a form offers, snapshots
of a session's record and the readable history of its amendments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Clinic
from clients.models import Client

from .models import PressureLevel, PressureNote, ReflexMap, ReflexZone, Response, SessionAmendment, TreatmentSession

# The session fields a practitioner edits, in the order the history lists them.
SESSION_FIELDS: dict[str, str] = {
    "pain_before": "Pain before",
    "pain_after": "Pain after",
    "focus": "Focus",
    "notes": "Notes",
}
NOTE_FIELDS = ("pressure", "response", "minutes", "note")


def active_zones(*, clinic: Clinic, keep: Iterable[int] = ()) -> list[ReflexZone]:
    """The zones a practitioner can record on, in chart order (one query). `keep` adds
    zones a session already uses, so retiring a zone never blocks editing that session."""
    wanted = Q(is_active=True) | Q(pk__in=list(keep))
    return list(ReflexZone.objects.filter(wanted, clinic=clinic).order_by("reflex_map", "sort_order", "name"))


def session_queryset(*, clinic: Clinic) -> QuerySet[TreatmentSession]:
    """Everything the session page shows, in a fixed number of queries however many notes."""
    return (
        TreatmentSession.objects.filter(clinic=clinic)
        .select_related("client", "practitioner", "signed_by", "appointment")
        .prefetch_related(
            "client__health_flags",
            "client__permission_requests",
            Prefetch("pressure_notes", queryset=PressureNote.objects.select_related("zone")),
            Prefetch("amendments", queryset=SessionAmendment.objects.select_related("by")),
        )
    )


def last_signed_session(*, client: Client, exclude_pk: int | None = None) -> TreatmentSession | None:
    qs = TreatmentSession.objects.filter(client=client, signed_at__isnull=False)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return (
        qs.select_related("practitioner")
        .prefetch_related(Prefetch("pressure_notes", queryset=PressureNote.objects.select_related("zone")))
        .order_by("-started_at", "-pk")
        .first()
    )


def note_as_dict(note: PressureNote) -> dict[str, Any]:
    return {
        "zone": note.zone,
        "side": note.side,
        "pressure": note.pressure,
        "response": note.response,
        "minutes": note.minutes,
        "note": note.note,
    }


def snapshot_from(fields: dict[str, Any], notes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A JSON-ready record of a session: its fields and its pressure notes, with the zone
    named in words so the record still reads the same if the catalogue changes later."""
    snapshot: dict[str, Any] = {name: fields.get(name) for name in SESSION_FIELDS}
    for name in ("focus", "notes"):
        snapshot[name] = snapshot[name] or ""
    snapshot["pressure_notes"] = [
        {
            "zone_code": n["zone"].code,
            "zone_name": n["zone"].name,
            "map": n["zone"].reflex_map,
            "side": n["side"],
            "pressure": int(n["pressure"]),
            "response": n["response"],
            "minutes": int(n["minutes"]),
            "note": n.get("note") or "",
        }
        for n in notes
    ]
    return snapshot


def session_snapshot(session: TreatmentSession) -> dict[str, Any]:
    fields = {name: getattr(session, name) for name in SESSION_FIELDS}
    return snapshot_from(fields, (note_as_dict(n) for n in session.pressure_notes.all()))


def session_original(session: TreatmentSession) -> dict[str, Any]:
    """The record as it was signed: the first amendment's `before`, or the record itself
    when it was never amended."""
    # Meta ordering is (at, id); .all() reuses the page's prefetch when there is one.
    amendments = list(session.amendments.all())
    return amendments[0].before if amendments else session_snapshot(session)


def snapshot_lines(snapshot: dict[str, Any]) -> list[str]:
    """A stored snapshot as readable lines, e.g. to show the record as it was signed."""
    lines = [f"{label}: {_field_value(name, snapshot.get(name))}" for name, label in SESSION_FIELDS.items()]
    lines += [f"{_note_title(n)}: {_describe_note(n)}" for n in snapshot.get("pressure_notes", [])]
    return lines


def _label(choices: type, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _describe_note(n: dict[str, Any]) -> str:
    text = (
        f"{_label(PressureLevel, n['pressure'])} pressure, response {_label(Response, n['response']).lower()}, "
        f"{n['minutes']} min"
    )
    return f"{text}, note “{n['note']}”" if n.get("note") else text


def _note_title(n: dict[str, Any]) -> str:
    return f"{n['zone_name']} ({_label(ReflexMap, n['map']).lower()}), {n['side']}"


def _field_value(name: str, value: Any) -> str:
    if value in (None, ""):
        return "not recorded" if name.startswith("pain") else "empty"
    return str(value) if name.startswith("pain") else f"“{value}”"


def snapshot_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two snapshots, as sentences a practitioner reads in the history.
    Pressure notes are matched by zone and side, so a mere reordering is no change."""
    changes: list[str] = []
    for name, label in SESSION_FIELDS.items():
        old, new = before.get(name), after.get(name)
        # Pain 0 is a score, not "empty"; for text fields None and "" are the same.
        if (old != new) if name.startswith("pain") else ((old or "") != (new or "")):
            changes.append(f"{label}: {_field_value(name, old)} → {_field_value(name, new)}")

    def keyed(snapshot: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(n["zone_code"], n["side"]): n for n in snapshot.get("pressure_notes", [])}

    old_notes, new_notes = keyed(before), keyed(after)
    for key, new in new_notes.items():
        old = old_notes.get(key)
        if old is None:
            changes.append(f"Added {_note_title(new)}: {_describe_note(new)}")
            continue
        diffs = []
        for field in NOTE_FIELDS:
            if old.get(field) == new.get(field):
                continue
            if field == "pressure":
                diffs.append(f"pressure {_label(PressureLevel, old[field])} → {_label(PressureLevel, new[field])}")
            elif field == "response":
                diffs.append(f"response {_label(Response, old[field])} → {_label(Response, new[field])}")
            elif field == "minutes":
                diffs.append(f"minutes {old[field]} → {new[field]}")
            else:
                diffs.append(f"note {_field_value('note', old[field])} → {_field_value('note', new[field])}")
        if diffs:
            changes.append(f"{_note_title(new)}: {'; '.join(diffs)}")
    for key, old in old_notes.items():
        if key not in new_notes:
            changes.append(f"Removed {_note_title(old)}: {_describe_note(old)}")
    return changes


@dataclass(frozen=True)
class AmendmentEntry:
    amendment: SessionAmendment
    changes: list[str]


def amendment_history(session: TreatmentSession) -> list[AmendmentEntry]:
    """Uses the prefetched amendments of `session_queryset`."""
    return [AmendmentEntry(a, snapshot_changes(a.before, a.after)) for a in session.amendments.all()]
