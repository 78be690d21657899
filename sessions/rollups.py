"""What the reports read instead of the raw rows (docs/domain.md, Reports), kept exact.

Two copies, both of signed sessions only (a draft is not a result yet):

- each signed session's place in its client's signed history (TreatmentSession.history_*):
  its number, the pain scores so far, the first and the latest of them, and the session
  that brought relief so far; the outcome figures of a range read them off the range's
  own sessions instead of numbering every client's whole history;
- the pressure notes per clinic-local day, zone and side (ZoneDay), which the owner's zone
  figures and heat map sum instead of reading every note of the range.

Both are recomputed from the raw rows, never adjusted by differences: for a session's
client (their whole signed history) and for its day, in the transaction that signs or
amends it (`session_changed`, called by sessions.services), with the clinic's row locked so
two signings at once cannot each miss the other's. `clinic_rebuilt` recomputes a whole
clinic: the migration that added them, the demo data, the benchmark's generator, and a
clinic whose timezone changes (its days move). Drafts never count, so recording, editing
or deleting a draft leaves both alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from accounts.localtime import local_day_bounds, local_today
from accounts.models import Clinic

from .models import HISTORY_FIELDS, TENDER_RESPONSES, PressureNote, TreatmentSession, ZoneDay

# The reports' relief threshold (reports.metrics.RELIEF_PAIN says it in words): a session
# brings relief when the pain after it is this or less, or at most half the pain the client
# came in with at their first session.
RELIEF_PAIN = 2

SESSIONS = TreatmentSession._meta.db_table
ONE_DAY = dt.timedelta(days=1)

# Per signed session of the clients chosen by {where}, in their order (start, then id):
# number, scores so far, the first and latest score so far (as number * 100 + score, the
# smallest and the largest: a score is 0-10, so the remainder is the score), and relief so
# far, the smallest `upto` (sessions started at or before it, ties counted) of a session
# whose pain after was RELIEF_PAIN or less or at most half the first session's pain before.
# Plain SQL that PostgreSQL and SQLite both run (window functions, UPDATE ... FROM).
HISTORY_SQL = f"""
    UPDATE {SESSIONS} SET history_number = h.number, history_scored = h.scored,
        history_first_score = h.first_score, history_latest_score = h.latest_score, history_relief = h.relief
    FROM (
        SELECT id, number, scored,
               (MIN(number * 100 + pain_before) OVER w) %% 100 AS first_score,
               (MAX(number * 100 + pain_before) OVER w) %% 100 AS latest_score,
               MIN(CASE WHEN pain_after <= {RELIEF_PAIN} OR pain_after * 2 <= first_pain THEN upto END) OVER w
                   AS relief
        FROM (
            SELECT id, client_id, started_at, pain_before, pain_after,
                   ROW_NUMBER() OVER w AS number,
                   COUNT(pain_before) OVER w AS scored,
                   FIRST_VALUE(pain_before) OVER w AS first_pain,
                   COUNT(*) OVER (PARTITION BY client_id ORDER BY started_at) AS upto
            FROM {SESSIONS}
            WHERE signed_at IS NOT NULL AND {{where}}
            WINDOW w AS (PARTITION BY client_id ORDER BY started_at, id)
        ) n
        WINDOW w AS (PARTITION BY client_id ORDER BY started_at, id)
    ) h
    WHERE {SESSIONS}.id = h.id
"""


def history_refresh(*, clinic_id: int, client_ids: Iterable[int] | None = None) -> None:
    """Recompute the history copies of the clinic's clients (the given ones, or all)."""
    where, params = "clinic_id = %s", [clinic_id]
    if client_ids is not None:
        ids = list(client_ids)
        if not ids:
            return
        where += f" AND client_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL.format(where=where), params)


def zone_days_refresh(clinic: Clinic, days: Iterable[dt.date] | None = None) -> None:
    """Recompute the clinic's ZoneDay rows of `days` (all its days by default) from its notes."""
    tz = ZoneInfo(clinic.timezone)
    notes = PressureNote.objects.filter(clinic=clinic, session__signed_at__isnull=False)
    rows = ZoneDay.objects.filter(clinic=clinic)
    notes = notes.order_by().annotate(local_day=TruncDate("started_at", tzinfo=tz))
    if days is not None:
        days = sorted(set(days))
        if not days:
            return
        # The notes' own index range, a day wider each side (a midnight the clocks skip
        # stays inside it), then exactly the days asked for.
        near = Q()
        for day in days:
            start, end = local_day_bounds(day - ONE_DAY, tz, days=3)
            near |= Q(started_at__gte=start, started_at__lt=end)
        notes = notes.filter(near, local_day__in=days)
        rows = rows.filter(day__in=days)
    rows.delete()
    tally = notes.values("local_day", "zone_id", "side").annotate(
        n_times=Count("id"),
        n_tender=Count("id", filter=Q(response__in=TENDER_RESPONSES)),
        n_pressure=Sum("pressure"),
    )
    select, params = tally.query.sql_with_params()
    table = ZoneDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (clinic_id, day, zone_id, side, times, tender, pressure_sum) "
            f"SELECT %s, t.local_day, t.zone_id, t.side, t.n_times, t.n_tender, t.n_pressure FROM ({select}) t",
            [clinic.pk, *params],
        )


def locked_clinic(clinic_id: int) -> Clinic:
    # Two signings in one clinic at once take turns here, so each recomputes with the
    # other's rows committed (PostgreSQL; SQLite writes one at a time anyway).
    return Clinic.objects.select_for_update(no_key=True).get(pk=clinic_id)


@transaction.atomic(savepoint=False)
def session_changed(session: TreatmentSession) -> None:
    """A signed session was signed or amended: recompute its client's history and its day.
    Call inside the transaction that changed it (it joins it; alone, it is its own)."""
    clinic = locked_clinic(session.clinic_id)
    history_refresh(clinic_id=clinic.pk, client_ids=[session.client_id])
    zone_days_refresh(clinic, [local_today(clinic, session.started_at)])
    # The instance the caller holds shows the copies just written.
    fresh = TreatmentSession.objects.filter(pk=session.pk).values(*HISTORY_FIELDS).first() or {}
    for name, value in fresh.items():
        setattr(session, name, value)


@transaction.atomic(savepoint=False)
def clinic_rebuilt(clinic: Clinic) -> None:
    """Recompute both copies for the whole clinic (see the module's docstring for when)."""
    clinic = locked_clinic(clinic.pk)
    history_refresh(clinic_id=clinic.pk)
    zone_days_refresh(clinic)
