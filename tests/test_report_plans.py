"""A clinic's reports read only that clinic's rows, and the pressure notes' copies of their
session's clinic and start (what lets the zone figures read a clinic's own notes) stay right.

The plan checks run on PostgreSQL over a small network of three clinics (each with the
report views' history: clients, appointments, sessions, pressure notes, routine emails,
check-ins), ANALYZEd. Tables that small are cheapest to read whole, so the planner would
rightly scan them: the checks set enable_seqscan=off, which leaves a sequential scan only
where no index can serve the statement. Each statement build() and the dashboard page run
is EXPLAINed (FORMAT JSON); every read of a network-wide table must be an index range of
the clinic (or of one practitioner of it), or a lookup per row of an outer read that is
(a client's sessions, a session by id). bench/dashboard.py shows the same at 48,000
clients, where the planner chooses freely.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_reschedule, appointment_unmark
from clients.models import Client
from outbox.models import Delivery
from reports import metrics
from reports.scope import Scope, preset_range
from routines.models import CheckIn
from sessions.models import PressureNote, TreatmentSession, ZoneDay
from sessions.services import treatment_session_amend, treatment_session_record, treatment_session_sign
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClinicFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    UserFactory,
)
from tests.test_report_views import make_history

NETWORK_TABLES = {
    m._meta.db_table for m in (Appointment, TreatmentSession, PressureNote, ZoneDay, Delivery, CheckIn, Client)
}
SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan", "Tid Range Scan"}
# An index condition that bounds the read to one clinic (or one of its practitioners)...
OWN_RANGE = re.compile(r"\b(clinic_id|practitioner_id) = '?\d")
# ...or to the rows of one outer row: a column of another relation, or a parameter.
PER_OUTER_ROW = re.compile(r"= \(?(\$\d|[a-z_0-9]+\.[a-z_0-9]+)")


def _scan_nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _scan_nodes(child)


def plan_problems(sql: str) -> list[str]:
    """How the statement's plan reads a network-wide table other than by the clinic's own
    index range (or one lookup per outer row); [] when it does not."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (plan,) = cursor.fetchone()[0]
    problems = []
    for node in _scan_nodes(plan["Plan"]):
        table = node.get("Relation Name")
        if node["Node Type"] not in SCANS or table not in NETWORK_TABLES:
            continue
        condition = node.get("Index Cond") or node.get("Recheck Cond") or ""
        if node["Node Type"] == "Seq Scan":
            problems.append(f"a sequential scan of {table}")
        elif not (OWN_RANGE.search(condition) or PER_OUTER_ROW.search(condition)):
            problems.append(f"{node['Node Type']} of {table} not bounded to the clinic ({condition or 'no condition'})")
    return problems


def statements_problems(queries: list[dict]) -> list[str]:
    return [
        f"{problem}, in: {q['sql'][:160]}"
        for q in queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
        for problem in plan_problems(q["sql"])
    ]


@pytest.fixture
def network(clinic, practitioner):
    """Three clinics alike: the test clinic and two more, each with two copies of the
    report views' history (two practitioners, their clients, their records)."""
    colleague = UserFactory(username="pat", first_name="Pat", last_name="Colleague", clinic=clinic)
    make_history(clinic, practitioner, colleague, copies=2)
    for n in (1, 2):
        other = ClinicFactory(name=f"Neighbour {n} Reflexology", slug=f"neighbour-{n}")
        people = [UserFactory(username=f"n{n}-{who}", clinic=other) for who in ("a", "b")]
        make_history(other, *people, copies=2)
    with connection.cursor() as cursor:
        for table in sorted(NETWORK_TABLES):
            cursor.execute(f"ANALYZE {table}")
        # Only a statement no index can serve scans a whole table (see the module docstring).
        cursor.execute("SET LOCAL enable_seqscan = off")
    return clinic


def _scopes(clinic, practitioner) -> list[tuple[str, Scope]]:
    today = timezone.localdate()
    return [
        (f"{who}, {preset}", Scope(clinic, *preset_range(preset, today), practitioner=person))
        for preset in ("year", "4w")
        for who, person in (("whole clinic", None), ("one practitioner", practitioner))
    ]


@pytest.mark.postgres
def test_every_report_statement_reads_only_the_clinics_own_index_ranges(network, practitioner):
    for label, scope in _scopes(network, practitioner):
        with CaptureQueriesContext(connection) as queries:
            tables = metrics.build(scope)
        assert tables["zones"].rows, "the network has pressure notes in the range"
        assert len(queries) == 10
        assert statements_problems(queries.captured_queries) == [], label


@pytest.mark.postgres
def test_the_dashboard_page_reads_only_the_clinics_own_index_ranges(network, owner_client):
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(reverse("reports:dashboard") + "?range=year")
    assert response.status_code == 200
    assert "Zones worked" in response.content.decode()
    assert statements_problems(queries.captured_queries) == []


@pytest.mark.postgres
def test_a_statement_reading_every_clinics_notes_is_named(network):
    """The check can fail: the zone tally without the clinic's range reads all notes."""
    with CaptureQueriesContext(connection) as queries:
        list(PressureNote.objects.values("zone_id").annotate(times=Count("id")))
    problems = statements_problems(queries.captured_queries)
    assert problems
    assert problems[0].startswith(
        "Index Scan of treatment_sessions_pressurenote not bounded to the clinic (no condition), in: SELECT"
    )


# --- The notes' copies of their session's clinic and start --------------------------------


@pytest.fixture
def zones(clinic):
    return {
        "spine": ReflexZoneFactory(clinic=clinic, code="copy-spine", name="Spine"),
        "neck": ReflexZoneFactory(clinic=clinic, code="copy-neck", name="Neck", x=40, y=20),
    }


@pytest.fixture
def recorded(clinic, practitioner, zones):
    client = ClientFactory(clinic=clinic, practitioner=practitioner)
    starts_at = (timezone.now() - dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    appointment = AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
    )
    return treatment_session_record(
        appointment=appointment,
        data={"pain_before": 6, "pain_after": 3, "focus": "Lower back", "notes": ""},
        notes=[_note(zones["spine"], "right", 3)],
        by=practitioner,
    )


def _note(zone, side: str, pressure: int) -> dict:
    return {"zone": zone, "side": side, "pressure": pressure, "response": "none", "minutes": 2, "note": ""}


def _copies(session: TreatmentSession) -> list[tuple]:
    return list(session.pressure_notes.order_by("position").values_list("clinic_id", "started_at", "zone__code"))


def test_a_recorded_sessions_notes_carry_its_clinic_and_start(recorded, clinic):
    assert _copies(recorded) == [(clinic.pk, recorded.started_at, "copy-spine")]


def test_an_amendment_keeps_every_note_on_its_sessions_clinic_and_start(recorded, practitioner, zones, clinic):
    treatment_session_sign(session=recorded, by=practitioner)
    treatment_session_amend(
        session=recorded,
        by=practitioner,
        reason="Client phoned: the neck was worked too",
        data={"pain_before": 6, "pain_after": 2, "focus": "Lower back", "notes": ""},
        notes=[_note(zones["spine"], "right", 4), _note(zones["neck"], "left", 2)],
    )
    assert _copies(recorded) == [
        (clinic.pk, recorded.started_at, "copy-spine"),
        (clinic.pk, recorded.started_at, "copy-neck"),
    ]


def test_moving_a_drafts_appointment_leaves_the_notes_on_their_sessions_start(recorded, practitioner, owner):
    """A draft's appointment can be unmarked and moved; the session keeps the time it was
    recorded at, and so do its notes (the reports count the session at that time)."""
    appointment, held_at = recorded.appointment, recorded.started_at
    appointment_unmark(appointment=appointment, by=owner)
    moved = appointment_reschedule(
        appointment=appointment,
        practitioner=practitioner,
        starts_at=appointment.starts_at + dt.timedelta(days=1),
        ends_at=appointment.ends_at + dt.timedelta(days=1),
    )
    recorded.refresh_from_db()
    assert moved.starts_at == held_at + dt.timedelta(days=1)
    assert recorded.started_at == held_at
    assert _copies(recorded) == [(recorded.clinic_id, held_at, "copy-spine")]


@pytest.mark.postgres
def test_notes_follow_their_session_whatever_changes_its_start(recorded):
    moved = recorded.started_at + dt.timedelta(hours=1)
    TreatmentSession.objects.filter(pk=recorded.pk).update(started_at=moved)
    assert _copies(recorded) == [(recorded.clinic_id, moved, "copy-spine")]


@pytest.mark.postgres
def test_a_note_cannot_claim_another_clinic_or_start_than_its_sessions(recorded, other_clinic):
    note = recorded.pressure_notes.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PressureNote.objects.filter(pk=note.pk).update(clinic=other_clinic)
        connection.check_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        PressureNote.objects.filter(pk=note.pk).update(started_at=note.started_at + dt.timedelta(minutes=1))
        connection.check_constraints()


def test_a_note_made_by_the_factory_copies_its_session(clinic):
    note = PressureNoteFactory(session__clinic=clinic)
    assert (note.clinic_id, note.started_at) == (clinic.pk, note.session.started_at)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_notes_from_their_sessions_and_goes_back(clinic):
    from django.db.migrations.executor import MigrationExecutor

    note = PressureNoteFactory(session__clinic=clinic)
    before = [("treatment_sessions", "0004_clearance_override")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("treatment_sessions", "PressureNote")
    assert old.objects.filter(session_id=note.session_id).count() == 1
    assert "started_at" not in {f.name for f in old._meta.get_fields()}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    filled = PressureNote.objects.get(pk=note.pk)
    assert (filled.clinic_id, filled.started_at) == (clinic.pk, note.session.started_at)
