"""The copies the reports read instead of the raw rows (docs/domain.md, Reports): each signed
session's place in its client's history, and the clinic's pressure notes per local day.

They follow every change that moves a figure, in the transaction that makes it (signing,
amending), through the app's own services; a draft never counts; and they always equal a
recomputation from the raw rows.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Clinic
from reports.metrics import build
from reports.scope import Scope
from sessions import rollups
from sessions.models import HISTORY_FIELDS, TreatmentSession, ZoneDay
from sessions.services import treatment_session_amend, treatment_session_sign
from tests.factories import (
    ClientFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    SignedSessionFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
MARCH = (dt.date(2025, 3, 1), dt.date(2025, 3, 31))


def at(day: int, time: str = "10:00", month: int = 3) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2025-{month:02}-{day:02}T{time}").replace(tzinfo=LONDON)


def report(clinic, start=MARCH[0], end=MARCH[1], practitioner=None):
    return build(Scope(clinic, start, end, practitioner=practitioner, now=at(15, month=4)))


def amend(session, by, *, notes=(), **fields):
    data = {"pain_before": session.pain_before, "pain_after": session.pain_after, "focus": "", "notes": ""}
    data.update(fields)
    return treatment_session_amend(session=session, by=by, reason="Corrected", data=data, notes=list(notes))


def note(zone, side="right", response="none", pressure=3):
    return {"zone": zone, "side": side, "pressure": pressure, "response": response, "minutes": 2, "note": ""}


def copies(clinic) -> tuple[dict, list]:
    """What the copies hold now: per session its history fields, and the clinic's day rows."""
    sessions = {
        s["pk"]: s for s in TreatmentSession.objects.filter(clinic=clinic).values("pk", *HISTORY_FIELDS).order_by("pk")
    }
    days = list(
        ZoneDay.objects.filter(clinic=clinic)
        .order_by("day", "zone_id", "side")
        .values_list("day", "zone_id", "side", "times", "tender", "pressure_sum")
    )
    return sessions, days


def recomputed(clinic) -> tuple[dict, list]:
    rollups.clinic_rebuilt(clinic)
    return copies(clinic)


@pytest.fixture
def client_(clinic, practitioner):
    return ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Ana")


@pytest.fixture
def spine(clinic):
    return ReflexZoneFactory(clinic=clinic, code="spine", name="Spine")


@pytest.fixture
def shoulder(clinic):
    return ReflexZoneFactory(clinic=clinic, code="shoulder", name="Shoulder", reflex_map="hand_palm")


def signed(client_, practitioner, when, before, after):
    return SignedSessionFactory(
        clinic=client_.clinic, client=client_, practitioner=practitioner, started_at=when, pain_before=before,
        pain_after=after,
    )  # fmt: skip


def test_amending_a_signed_sessions_pain_moves_the_reports_figures(clinic, practitioner, owner, client_):
    first = signed(client_, practitioner, at(3), 8, 6)
    second = signed(client_, practitioner, at(10), 7, 5)
    tables = report(clinic)
    assert tables["first-to-latest"].value("Mean latest pain") == 7.0
    assert tables["sessions-to-relief"].value("Not yet") == 1

    amend(second, owner, pain_before=3, pain_after=2)

    tables = report(clinic)
    assert tables["first-to-latest"].value("Mean first pain") == 8.0
    assert tables["first-to-latest"].value("Mean latest pain") == 3.0
    assert tables["first-to-latest"].value("Improved") == 1
    # Pain after 2 at the second session: relief after two sessions.
    assert tables["sessions-to-relief"].value(2) == 1
    assert tables["pain-by-session-number"].rows[1] == (2, 1, 3.0, 2.0)
    first.refresh_from_db()
    assert first.history_relief is None


def test_amending_the_first_sessions_pain_moves_every_later_sessions_relief(clinic, practitioner, owner, client_):
    first = signed(client_, practitioner, at(3), 4, 4)
    signed(client_, practitioner, at(10), 5, 3)
    # Pain after 3 is not at most half of 4: no relief yet.
    assert report(clinic)["sessions-to-relief"].value("Not yet") == 1

    amend(first, owner, pain_before=6)

    # Now 3 is half the pain the client came in with: relief at the second session.
    assert report(clinic)["sessions-to-relief"].value(2) == 1


def test_a_session_signed_late_renumbers_the_later_ones(clinic, practitioner, client_):
    later = signed(client_, practitioner, at(10), 6, 4)
    last = signed(client_, practitioner, at(17), 5, 3)
    draft = TreatmentSessionFactory(
        clinic=clinic, client=client_, practitioner=practitioner, started_at=at(3), pain_before=9, pain_after=7
    )
    assert [r[:2] for r in report(clinic)["pain-by-session-number"].rows] == [(1, 1), (2, 1)]
    draft.refresh_from_db()
    assert draft.history_number is None  # a draft has no place in the history yet

    assert treatment_session_sign(session=draft, by=practitioner)

    for session, number in ((draft, 1), (later, 2), (last, 3)):
        session.refresh_from_db()
        assert session.history_number == number
    tables = report(clinic)
    assert [r[:3] for r in tables["pain-by-session-number"].rows] == [(1, 1, 9.0), (2, 1, 6.0), (3, 1, 5.0)]
    assert tables["first-to-latest"].value("Mean first pain") == 9.0


def test_two_sessions_at_the_same_minute_share_their_relief_count(clinic, practitioner, client_):
    # Sessions started at or before one count towards relief, ties included (as ever).
    signed(client_, practitioner, at(3), 8, 7)
    signed(client_, practitioner, at(10), 8, 1)
    signed(client_, practitioner, at(10), 8, 7)
    assert report(clinic)["sessions-to-relief"].value(3) == 1


def test_amending_a_sessions_pressure_notes_moves_the_zone_figures(
    clinic, practitioner, owner, client_, spine, shoulder
):
    session = signed(client_, practitioner, at(3), 6, 4)
    PressureNoteFactory(session=session, zone=spine, side="right", response="tender")
    assert report(clinic)["zones"].rows == [("Spine", "Foot sole", 1, 1, 100.0)]

    amend(session, owner, notes=[note(spine, "right", "none"), note(spine, "left"), note(shoulder, "right", "gritty")])

    zones = {row[0]: row[2:4] for row in report(clinic)["zones"].rows}
    assert zones == {"Spine": (2, 0), "Shoulder": (1, 1)}


def test_removing_every_note_of_a_day_leaves_no_zone_rows(clinic, practitioner, owner, client_, spine):
    session = signed(client_, practitioner, at(3), 6, 4)
    PressureNoteFactory(session=session, zone=spine)

    amend(session, owner, notes=[])

    assert not ZoneDay.objects.filter(clinic=clinic).exists()
    assert report(clinic)["zones"].rows == []


def test_a_drafts_notes_count_once_it_is_signed(clinic, practitioner, client_, spine):
    draft = TreatmentSessionFactory(clinic=clinic, client=client_, practitioner=practitioner, started_at=at(3))
    PressureNoteFactory(session=draft, zone=spine, response="tender")
    assert report(clinic)["zones"].rows == []

    treatment_session_sign(session=draft, by=practitioner)

    assert report(clinic)["zones"].rows == [("Spine", "Foot sole", 1, 1, 100.0)]


def test_the_owners_zone_figures_from_the_day_rows_equal_the_notes_of_each_practitioner(
    clinic, practitioner, client_, spine, shoulder
):
    # The owner's figures come from the day rows; a practitioner's from their clients' notes.
    session = signed(client_, practitioner, at(31, "23:30"), 6, 4)
    PressureNoteFactory(session=session, zone=spine, response="gritty")
    PressureNoteFactory(session=session, zone=shoulder)
    assert report(clinic)["zones"].rows == report(clinic, practitioner=practitioner)["zones"].rows
    # 23:30 on 31 March, London time: a March day, so April has none.
    assert report(clinic, dt.date(2025, 4, 1), dt.date(2025, 4, 30))["zones"].rows == []


def test_a_clinic_whose_timezone_changes_has_its_notes_counted_on_its_new_days(clinic, practitioner, client_, spine):
    # 23:30 on 31 March in London is 08:30 on 1 April in Tokyo.
    session = signed(client_, practitioner, at(31, "23:30"), 6, 4)
    PressureNoteFactory(session=session, zone=spine)
    april = (dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    assert report(clinic, *april)["zones"].rows == []

    clinic.timezone = "Asia/Tokyo"
    clinic.save()

    clinic = Clinic.objects.get(pk=clinic.pk)
    assert report(clinic, *april)["zones"].rows == [("Spine", "Foot sole", 1, 0, 0.0)]
    assert report(clinic)["zones"].rows == []


def test_saving_a_clinics_other_settings_leaves_its_zone_days_alone(clinic, django_assert_num_queries):
    clinic.idle_timeout_minutes = 20
    with django_assert_num_queries(1):
        clinic.save(update_fields=["idle_timeout_minutes"])


def test_the_copies_always_equal_a_recomputation_from_the_raw_rows(
    clinic, other_clinic, practitioner, owner, client_, spine, shoulder
):
    other = ClientFactory(clinic=clinic, practitioner=practitioner)
    sessions = [signed(client_, practitioner, at(day), 9 - day // 4, 7 - day // 5) for day in (3, 7, 12, 20)]
    sessions.append(signed(other, practitioner, at(7, "23:59"), None, 3))
    for s in sessions:
        PressureNoteFactory(session=s, zone=spine, response="tender" if s.pain_before else "none")
    draft = TreatmentSessionFactory(clinic=clinic, client=client_, practitioner=practitioner, started_at=at(5))
    PressureNoteFactory(session=draft, zone=shoulder)
    amend(sessions[1], owner, pain_before=None, notes=[note(shoulder, pressure=5)])
    treatment_session_sign(session=draft, by=practitioner)
    amend(sessions[0], owner, pain_after=1)
    SignedSessionFactory(clinic=other_clinic)  # another clinic's copies stay its own

    kept = copies(clinic)
    assert kept == recomputed(clinic)
    assert all(row["history_number"] is not None for row in kept[0].values())


def test_signing_takes_one_statement_per_copy_whatever_the_clients_history(
    clinic, practitioner, client_, django_assert_num_queries
):
    for day in range(1, 25):
        signed(client_, practitioner, at(day), 5, 3)
    draft = TreatmentSessionFactory(clinic=clinic, client=client_, practitioner=practitioner, started_at=at(26))
    # Signing's own ten (its checks, its transaction's and the audit's savepoints, the locked
    # read, the update, the audit row), then five for the copies: the clinic's lock, the
    # history, the day's rows (delete, insert), the copies read back.
    with django_assert_num_queries(15):
        treatment_session_sign(session=draft, by=practitioner)
    draft.refresh_from_db()
    assert draft.history_number == 25
