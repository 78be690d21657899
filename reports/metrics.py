"""Every figure of the reports, each a Table computed in the database, and the one list
that declares the report tables (TABLES, at the end): adding a table is one declaration
there and its computation here.

Each computation filters on the clinic and the date first (the order of the indexes),
aggregates in SQL (aggregate, annotate, window functions, correlated subqueries) and
makes a fixed number of queries whatever the size of the data; Python only loops over
aggregated rows (weeks, session numbers, bands, practitioners, zones). Statements that
serve several tables run once per Scope (`shared`). A computation returns its rows keyed by
the declared column names (a Computed); a table whose figures would all be zero has no
rows, so the page shows a sentence instead of an empty chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    Min,
    Q,
    QuerySet,
    RowRange,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils.safestring import SafeString

from accounts.models import User
from appointments.models import Appointment
from charts import svg
from clients.models import Client
from outbox.models import Delivery
from routines.models import CheckIn
from sessions.charts import zone_tally as zone_tally_of
from sessions.models import ReflexMap, ReflexZone, TreatmentSession
from sessions.rollups import RELIEF_PAIN

from .charts import Chart
from .scope import (
    Scope,
    appointments_qs,
    checkins_qs,
    deliveries_qs,
    notes_qs,
    sessions_qs,
    signed_sql,
    zone_days_qs,
)
from .tables import (
    Column,
    Computed,
    Headline,
    Percent,
    ReportTable,
    Section,
    Table,
    cell_text,
    mean,
    percent,
    problems,
)

# Session numbers 1..9 get a row each; later sessions share the "10+" row.
TOP_NUMBER = 10
LAPSED_DAYS = 90
TOP_ZONES = 20
# Row labels that a chart or a definition singles out.
NOT_YET = "Not yet"
REBOOKED = "Rebooked"
Status = Appointment.Status

RELIEF_DEFINITION = (
    f"Relief: the first session after which the client's pain was {RELIEF_PAIN} or less, or at most half "
    "the pain they came in with at their first session."
)
ADHERENCE_DEFINITION = (
    'Adherence: "I did it" check-ins over routine emails sent (each email\'s one "done" link counts once).'
)


def shared(scope: Scope, key: str, compute: Callable[[], object]):
    """What one statement computes for several tables, computed once per scope: the
    tables of one page or export share it, each table function still stands alone."""
    if key not in scope.shared:
        scope.shared[key] = compute()
    return scope.shared[key]


def _number_label(number: int) -> str | int:
    return f"{TOP_NUMBER}+" if number >= TOP_NUMBER else number


def _local_date(value, tz) -> dt.date:
    if isinstance(value, dt.datetime):
        return (value.astimezone(tz) if value.tzinfo else value).date()
    return value


def _person(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _past_appointments(scope: Scope) -> QuerySet[Appointment]:
    # A booked appointment still ahead has no outcome yet; it would dilute every rate.
    return appointments_qs(scope).filter(starts_at__lt=scope.as_of)


# --- Activity -------------------------------------------------------------------------


def sessions_per_week(scope: Scope) -> Computed:
    rows = (
        sessions_qs(scope)
        .order_by()
        .annotate(week=TruncWeek("started_at", tzinfo=scope.tz))
        .values("week")
        .annotate(sessions=Count("id"))
    )
    counts = {_local_date(r["week"], scope.tz): r["sessions"] for r in rows}
    weeks = []
    if counts:
        week = scope.start - dt.timedelta(days=scope.start.weekday())
        while week <= scope.end:
            weeks.append({"week": week, "sessions": counts.get(week, 0)})
            week += dt.timedelta(weeks=1)
    return Computed(weeks, {"sessions": sum(counts.values())})


def clients(scope: Scope) -> Computed:
    # Per client, their sessions from LAPSED_DAYS before the range to its end, counted in
    # and before the range; whether an active client was treated even earlier is looked
    # up once per client through the client index (EXISTS in the outer aggregate, which
    # the ORM cannot place there: as an annotation it becomes a GROUP BY key read for
    # the whole table). Hand-written, like the per-client outcomes below.
    params = {
        "lapse_from": connection.ops.adapt_datetimefield_value(
            scope.local_midnight(scope.start - dt.timedelta(days=LAPSED_DAYS))
        )
    }
    sql = f"""
        WITH per AS (
            SELECT s.client_id,
                   COUNT(CASE WHEN s.started_at >= %(start_at)s THEN 1 END) AS in_range,
                   COUNT(CASE WHEN s.started_at < %(start_at)s THEN 1 END) AS before
            FROM {SESSIONS} s
            WHERE s.clinic_id = %(clinic)s AND s.started_at >= %(lapse_from)s AND s.started_at < %(end_at)s
              AND {signed_sql("s")} {_practitioner_sql(scope)}
            GROUP BY s.client_id
        )
        SELECT COUNT(CASE WHEN in_range > 0 THEN 1 END) AS active,
               COUNT(CASE WHEN in_range > 0 AND (before > 0 OR EXISTS (
                   SELECT 1 FROM {SESSIONS} e
                   WHERE e.client_id = per.client_id AND e.started_at < %(lapse_from)s AND {signed_sql("e")}
               )) THEN 1 END) AS returned,
               COUNT(CASE WHEN in_range = 0 AND before > 0 THEN 1 END) AS lapsed
        FROM per
    """
    (agg,) = _fetch(sql, scope, params)
    active, returning, lapsed = agg["active"], agg["returned"], agg["lapsed"]
    rows = []
    if active or lapsed:
        rows = [
            {"measure": "Active", "clients": active, "definition": "Had at least one session in the range."},
            {
                "measure": "New",
                "clients": active - returning,
                "definition": "Had their first ever session in the range.",
            },
            {
                "measure": "Returning",
                "clients": returning,
                "definition": "Had a session in the range and had been treated before it.",
            },
            {
                "measure": "Lapsed",
                "clients": lapsed,
                "definition": f"Had a session in the {LAPSED_DAYS} days before the range but none in it.",
            },
        ]
    return Computed(rows, {"active": active})


def practitioners(scope: Scope) -> Computed:
    # The sessions and the appointments per practitioner in one statement (UNION ALL), each
    # grouped by the practitioner's id alone: the clients seen are counted distinct, which
    # sorts, on two numbers rather than on the names too. Their names in a second query.
    zero = Value(0)
    worked = (
        sessions_qs(scope)
        .order_by()
        .values("practitioner_id")
        .annotate(
            sessions=Count("id"),
            clients=Count("client_id", distinct=True),
            total=zero,
            attended=zero,
            no_shows=zero,
            cancelled=zero,
        )
    )
    booked = (
        _past_appointments(scope)
        .order_by()
        .values("practitioner_id")
        .annotate(
            sessions=zero,
            clients=zero,
            total=Count("id"),
            attended=Count("id", filter=Q(status=Status.ATTENDED)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
            cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
        )
    )
    counts = ("sessions", "clients", "total", "attended", "no_shows", "cancelled")
    people: dict[int, dict] = {}
    for row in worked.union(booked, all=True):
        person = people.setdefault(row["practitioner_id"], dict.fromkeys(counts, 0))
        for k in counts:
            person[k] += row[k]
    names = User.objects.filter(pk__in=list(people)).order_by().values_list("pk", "first_name", "last_name", "username")
    for pk, *name in names:
        people[pk]["name"] = _person(*name)
    return Computed(
        [
            {
                "practitioner": p["name"],
                "sessions": p["sessions"],
                "clients": p["clients"],
                "attended": p["attended"],
                "no_shows": p["no_shows"],
                "cancelled": p["cancelled"],
                "no_show_rate": percent(p["no_shows"], p["total"]),
            }
            for p in sorted(people.values(), key=lambda p: p["name"].lower())
        ]
    )


def appointments(scope: Scope) -> Computed:
    tz = scope.tz
    # Rebooked: some later, not cancelled appointment of the client was booked by the end of
    # this one's clinic-local day, i.e. the earliest booking time over the later ones falls
    # on or before that day. One window pass instead of a lookup per appointment; later
    # appointments may lie beyond the range, so they are read. The client's appointments
    # latest first, MIN over the rows before this one: a frame that only grows, so the MIN
    # is kept up row by row (over "the following rows" it was recomputed for each row),
    # fed in client order by appointment_history_idx.
    later_booking = Window(
        Min(Case(When(~Q(status=Status.CANCELLED), then=F("created_at")))),
        partition_by=F("client_id"),
        order_by=[F("starts_at").desc(), F("id").desc()],
        frame=RowRange(start=None, end=-1),
    )
    past = Q(starts_at__lt=min(scope.end_at, scope.as_of))
    agg = (
        appointments_qs(scope, open_ended=True)
        .order_by()
        .annotate(
            day=TruncDate("starts_at", tzinfo=tz),
            next_booked_on=TruncDate(later_booking, tzinfo=tz),
        )
        .aggregate(
            total=Count("id", filter=past),
            attended=Count("id", filter=past & Q(status=Status.ATTENDED)),
            no_shows=Count("id", filter=past & Q(status=Status.NO_SHOW)),
            cancelled=Count("id", filter=past & Q(status=Status.CANCELLED)),
            open=Count("id", filter=past & Q(status=Status.BOOKED)),
            rebooked=Count("id", filter=past & Q(status=Status.ATTENDED, next_booked_on__lte=F("day"))),
        )
    )
    total, attended = agg["total"], agg["attended"]
    rows = []
    if total:
        rows = [
            {"outcome": outcome, "appointments": count, "rate": percent(count, whole)}
            for outcome, count, whole in (
                ("Attended", attended, total),
                ("No-show", agg["no_shows"], total),
                ("Cancelled", agg["cancelled"], total),
                ("Not recorded", agg["open"], total),
                (REBOOKED, agg["rebooked"], attended),
            )
        ]
    return Computed(rows, {"no_show_rate": percent(agg["no_shows"], total)})


# --- Home routines --------------------------------------------------------------------


def routines(scope: Scope) -> Computed:
    # Counting a column of the day index (never NULL), not the id, lets PostgreSQL answer
    # from the index alone (delivery_report_day_status_idx, checkin_report_answers_idx).
    emails = (
        deliveries_qs(scope)
        .filter(kind=Delivery.Kind.ROUTINE)
        .aggregate(
            due=Count("status"),
            sent=Count("status", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("status", filter=Q(status=Delivery.Status.FAILED)),
            skipped=Count("status", filter=Q(status=Delivery.Status.SKIPPED)),
            waiting=Count("status", filter=Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])),
        )
    )
    # A check-in carries its email's client-local day, so the range's answers are read
    # from the check-ins' own day index. A "done" link exists only in a routine email that
    # went out (one answer per email: unique per delivery and kind), the same count the
    # adherence bands use. A pain score corrected the same day leaves its earlier answer
    # under another kind (PAIN_REPLACED), so kind "pain" is each email's latest answer.
    answers = checkins_qs(scope).aggregate(
        done=Count("kind", filter=Q(kind=CheckIn.Kind.DONE)),
        n=Count("kind", filter=Q(kind=CheckIn.Kind.PAIN, pain__isnull=False)),
        mean=Avg("pain", filter=Q(kind=CheckIn.Kind.PAIN)),
    )
    adherence = percent(answers["done"], emails["sent"])
    rows = []
    if emails["due"] or answers["n"]:
        rows = [
            {"measure": measure, "value": value}
            for measure, value in (
                ("Emails due", emails["due"]),
                ("Sent", emails["sent"]),
                ("Failed", emails["failed"]),
                ("Not sent", emails["skipped"]),
                ("Still waiting", emails["waiting"]),
                ("Adherence", adherence),
                ("Pain check-ins", answers["n"]),
                ("Mean at-home pain", mean(answers["mean"])),
            )
        ]
    return Computed(rows, {"adherence": adherence})


# --- Outcomes -------------------------------------------------------------------------
#
# The four outcome tables aggregate in two levels: per client (their history as of the
# range's end, read off the copies each signed session carries), then over the clients.
# The ORM cannot put a grouped query with correlated counts under another aggregate, so
# they share one hand-written statement (_outcomes_sql), in SQL that PostgreSQL and SQLite
# both run (CTEs, CASE rather than FILTER), scoped to the clinic and, for a practitioner,
# their clients, with every value a parameter.

SESSIONS = TreatmentSession._meta.db_table
DELIVERIES = Delivery._meta.db_table
CHECKINS = CheckIn._meta.db_table
CLIENTS = Client._meta.db_table


def _params(scope: Scope) -> dict:
    ops = connection.ops
    return {
        "clinic": scope.clinic.pk,
        "practitioner": scope.practitioner.pk if scope.practitioner is not None else None,
        "start_at": ops.adapt_datetimefield_value(scope.start_at),
        "end_at": ops.adapt_datetimefield_value(scope.end_at),
        "end": ops.adapt_datefield_value(scope.end),
        "routine": Delivery.Kind.ROUTINE.value,
        "sent": Delivery.Status.SENT.value,
        "done": CheckIn.Kind.DONE.value,
    }


def _practitioner_sql(scope: Scope) -> str:
    """For a practitioner's scope, only their clients' sessions (alias s)."""
    if scope.practitioner is None:
        return ""
    return f" AND s.client_id IN (SELECT c.id FROM {CLIENTS} c WHERE c.practitioner_id = %(practitioner)s)"


def _fetch(sql: str, scope: Scope, params: dict | None = None) -> list[dict]:
    """The statement's rows, each by the names its SELECT gives the columns."""
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_params(scope), **(params or {})})
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Outcomes:
    """What the history statement returns for the four outcome tables, each row by name."""

    # session number (1..TOP_NUMBER, the last meaning that many or more) -> sessions, mean_before, mean_after
    by_number: dict[int, dict]
    # clients, mean_first, mean_latest, improved, same, worse
    first_to_latest: dict
    # (adherence band 0-3, relief bucket 0..TOP_NUMBER) -> clients, relieved, relief_sum (sessions to relief)
    relief: dict[tuple[int, int], dict]


def _outcomes_sql(scope: Scope) -> str:
    """One statement over the range's signed sessions, for pain by session number, first to
    latest, sessions to relief and the adherence bands.

    The definitions are over each client's whole signed history up to the range's end; each
    signed session carries its place in that history (TreatmentSession.history_*, kept by
    sessions.rollups: its number, ties on the minute broken by id; the pain scores so far;
    the first and the latest score so far; relief so far, the smallest number of sessions
    started at or before one that brought relief, ties counted). A client's figures as of
    the range's end are those of their latest session before it, which for a client active
    in the range is in the range, and are read off the range's sessions by aggregates that
    land on it: the copies only grow (number, scores so far, the latest score as
    `number * 100 + score`, a score being 0-10) or stay once set (the first score), and
    relief so far only falls; `%%` is the modulo, escaped from the parameter style.

    Per client (`per`): whether they had a scored session in the range, those copies, and
    routine emails sent and "done" check-ins up to the range's end, through the client
    indexes (a "done" link exists only in a sent routine email and records that email's
    day). Three aggregates joined by UNION ALL, each column named and NULL in the parts it
    does not belong to (typed in the first part: PostgreSQL types a column of NULLs in two
    parts as text): part 1 per session number (sessions in the range), part 2 the clients
    with a scored session in the range and two or more scores, part 3 per adherence band
    and relief bucket. In SQL that PostgreSQL and SQLite both run."""
    in_range = f"""
            FROM {SESSIONS} s
            WHERE s.clinic_id = %(clinic)s AND s.started_at >= %(start_at)s AND s.started_at < %(end_at)s
              AND {signed_sql("s")} {_practitioner_sql(scope)}"""
    return f"""
        WITH per AS (
            SELECT s.client_id,
                   MAX(CASE WHEN s.pain_before IS NOT NULL THEN 1 ELSE 0 END) AS scored_in_range,
                   MAX(s.history_scored) AS scored,
                   MAX(s.history_first_score) AS first_score,
                   MAX(s.history_number * 100 + s.history_latest_score) %% 100 AS latest_score,
                   MIN(s.history_relief) AS relief,
                   (SELECT COUNT(*) FROM {DELIVERIES} d
                    WHERE d.client_id = s.client_id AND d.kind = %(routine)s AND d.status = %(sent)s
                      AND d.local_date <= %(end)s) AS sent,
                   (SELECT COUNT(*) FROM {CHECKINS} c
                    WHERE c.client_id = s.client_id AND c.kind = %(done)s AND c.local_date <= %(end)s) AS done
            {in_range}
            GROUP BY s.client_id
        )
        SELECT 1 AS part,
               CASE WHEN s.history_number >= {TOP_NUMBER} THEN {TOP_NUMBER} ELSE s.history_number END AS number,
               CAST(NULL AS INTEGER) AS band, CAST(NULL AS INTEGER) AS bucket,
               COUNT(*) AS sessions, AVG(s.pain_before) AS mean_before, AVG(s.pain_after) AS mean_after,
               CAST(NULL AS INTEGER) AS clients, CAST(NULL AS NUMERIC) AS mean_first,
               CAST(NULL AS NUMERIC) AS mean_latest, CAST(NULL AS INTEGER) AS improved,
               CAST(NULL AS INTEGER) AS same, CAST(NULL AS INTEGER) AS worse,
               CAST(NULL AS INTEGER) AS relieved, CAST(NULL AS NUMERIC) AS relief_sum
        {in_range}
        GROUP BY 2
        UNION ALL
        SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL,
               COUNT(*), AVG(first_score), AVG(latest_score),
               COUNT(CASE WHEN latest_score < first_score THEN 1 END),
               COUNT(CASE WHEN latest_score = first_score THEN 1 END),
               COUNT(CASE WHEN latest_score > first_score THEN 1 END),
               NULL, NULL
        FROM per WHERE scored_in_range = 1 AND scored >= 2
        UNION ALL
        SELECT 3, NULL,
               CASE WHEN sent = 0 THEN 0 WHEN done * 4 < sent THEN 1 WHEN done * 4 < sent * 3 THEN 2 ELSE 3 END,
               CASE WHEN relief IS NULL THEN 0 WHEN relief >= {TOP_NUMBER} THEN {TOP_NUMBER} ELSE relief END,
               NULL, NULL, NULL,
               COUNT(*), NULL, NULL, NULL, NULL, NULL,
               COUNT(relief), SUM(relief)
        FROM per
        GROUP BY 3, 4
    """


def _as_int(value) -> int:
    return int(value or 0)


def outcomes(scope: Scope) -> Outcomes:
    """The history statement's results for this scope (one query, shared by four tables)."""

    def compute() -> Outcomes:
        counts = ("sessions", "clients", "improved", "same", "worse", "relieved", "relief_sum")
        by_number, relief = {}, {}
        first_to_latest = {"clients": 0, "mean_first": None, "mean_latest": None, "improved": 0, "same": 0, "worse": 0}
        for row in _fetch(_outcomes_sql(scope), scope):
            # UNION ALL may make counts decimals (PostgreSQL) or leave them NULL: whole numbers.
            row.update({k: _as_int(row[k]) for k in counts})
            if row["part"] == 1:
                by_number[_as_int(row["number"])] = row
            elif row["part"] == 2:
                first_to_latest = row
            else:
                relief[_as_int(row["band"]), _as_int(row["bucket"])] = row
        return Outcomes(by_number, first_to_latest, relief)

    return shared(scope, "outcomes", compute)


def pain_by_session_number(scope: Scope) -> Computed:
    by_number = outcomes(scope).by_number
    none = {"sessions": 0, "mean_before": None, "mean_after": None}
    return Computed(
        [
            {
                "number": _number_label(n),
                "sessions": (row := by_number.get(n, none))["sessions"],
                "mean_before": mean(row["mean_before"]),
                "mean_after": mean(row["mean_after"]),
            }
            for n in range(1, max(by_number, default=0) + 1)
        ]
    )


def first_to_latest(scope: Scope) -> Computed:
    o = outcomes(scope).first_to_latest
    rows = []
    if o["clients"]:
        rows = [
            {"measure": measure, "value": value}
            for measure, value in (
                ("Clients", o["clients"]),
                ("Mean first pain", mean(o["mean_first"])),
                ("Mean latest pain", mean(o["mean_latest"])),
                ("Mean change", round(float(o["mean_latest"]) - float(o["mean_first"]), 1)),
                ("Improved", o["improved"]),
                ("Same", o["same"]),
                ("Worse", o["worse"]),
            )
        ]
    return Computed(rows)


def sessions_to_relief(scope: Scope) -> Computed:
    counts: dict[int, int] = dict.fromkeys(range(TOP_NUMBER + 1), 0)
    for (_band, bucket), row in outcomes(scope).relief.items():
        counts[bucket] += row["clients"]
    rows = []
    if sum(counts.values()):
        # Relief 1..9 and 10 (10+) count by their number, "Not yet" (bucket 0) last.
        rows = [{"relief": _number_label(n), "clients": counts[n]} for n in range(1, TOP_NUMBER + 1)]
        rows.append({"relief": NOT_YET, "clients": counts[0]})
    return Computed(rows)


# The bands' names, in the order of the history statement's band numbers (drawn there in whole
# numbers, done x 4 against sent and sent x 3, so both databases draw the lines alike).
ADHERENCE_BANDS = ("No routine emails", "Under 25%", "25-74%", "75% or more")


def adherence_bands(scope: Scope) -> Computed:
    sums = ("clients", "relieved", "relief_sum")
    bands = {i: dict.fromkeys(sums, 0) for i in range(len(ADHERENCE_BANDS))}
    for (band, _bucket), row in outcomes(scope).relief.items():
        bands[band] = {k: bands[band][k] + row[k] for k in sums}
    rows = []
    if any(b["clients"] for b in bands.values()):
        rows = [
            {
                "band": label,
                "clients": b["clients"],
                "relieved": b["relieved"],
                "mean_to_relief": mean(b["relief_sum"] / b["relieved"]) if b["relieved"] else None,
            }
            for label, b in zip(ADHERENCE_BANDS, bands.values(), strict=True)
        ]
    return Computed(rows)


# --- Zones ----------------------------------------------------------------------------


def zone_tally(scope: Scope) -> list[dict]:
    """The scope's pressure notes per zone and side (sessions.charts.zone_tally): the zones
    table sums the sides, the dashboard's heat map draws them. The whole clinic's from the
    notes per day (sessions.models.ZoneDay); a practitioner's clients' from their notes."""

    def compute() -> list[dict]:
        if scope.practitioner is not None:
            return zone_tally_of(notes_qs(scope))
        rows = (
            zone_days_qs(scope)
            .values("zone_id", "side")
            .annotate(worked=Sum("times"), tender_times=Sum("tender"), pressure=Sum("pressure_sum"))
        )
        return [
            {
                "zone_id": r["zone_id"],
                "side": r["side"],
                "times": r["worked"],
                "avg": r["pressure"] / r["worked"],
                "tender": r["tender_times"],
            }
            for r in rows.order_by()
        ]

    return shared(scope, "zone-tally", compute)


def zones(scope: Scope) -> Computed:
    times: dict[int, list[int]] = {}
    for r in zone_tally(scope):  # both sides of a zone together
        worked = times.setdefault(r["zone_id"], [0, 0])
        worked[0] += r["times"]
        worked[1] += r["tender"]
    names = ReflexZone.objects.filter(pk__in=list(times)).only("name", "reflex_map").in_bulk() if times else {}
    top = sorted(times, key=lambda pk: (-times[pk][0], names[pk].name, pk))[:TOP_ZONES]
    charts = dict(ReflexMap.choices)
    return Computed(
        [
            {
                "zone": names[pk].name,
                "chart": charts.get(names[pk].reflex_map, names[pk].reflex_map),
                "worked": times[pk][0],
                "tender": times[pk][1],
                "tender_rate": percent(times[pk][1], times[pk][0]),
            }
            for pk in top
        ]
    )


# --- The report tables ------------------------------------------------------------------
#
# The one place a report table is declared: the dashboard (its sections and blocks), the CSV
# export, the charts and the KPI cards all read these lists. Adding a table is one
# ReportTable here and its computation above; tests/test_report_declarations.py and the
# system check reports.E001 say what a declaration lacks.

SECTIONS = [
    Section("activity", "Activity"),
    Section("appointments", "Appointments"),
    Section("routines", "Home routines"),
    Section("outcomes", "Outcomes", intro="reports/_outcomes_intro.html"),
    Section("zones", "Reflex zones", outro="reports/_zone_heat.html"),
]

NO_CLIENTS_TO_DRAW = "No clients with a session in this period, so there is nothing to draw."

TABLES: dict[str, ReportTable] = {
    t.slug: t
    for t in [
        ReportTable(
            slug="sessions-per-week",
            title="Sessions per week",
            section="activity",
            columns=(Column("week", "Week starting"), Column("sessions", "Sessions")),
            compute=sessions_per_week,
            figures=("sessions",),
            note=(
                "Sessions by the week they started in (weeks begin on Monday, clinic time). The first and last "
                "weeks count only the days inside the chosen range."
            ),
            chart=Chart(
                svg.bar_chart,
                label="{week}",
                series=(("sessions", svg.SESSIONS),),
                empty="No sessions in this period, so there is nothing to draw.",
                options={"y_label": "Sessions", "x_label": "Week starting (Monday)"},
            ),
        ),
        ReportTable(
            slug="clients",
            title="Clients",
            section="activity",
            columns=(Column("measure", "Measure"), Column("clients", "Clients"), Column("definition", "Definition")),
            compute=clients,
            figures=("active",),
            note="Clients are counted once each, whoever treated them.",
        ),
        ReportTable(
            slug="practitioners",
            title="Practitioners",
            section="activity",
            columns=(
                Column("practitioner", "Practitioner"),
                Column("sessions", "Sessions"),
                Column("clients", "Clients seen"),
                Column("attended", "Attended"),
                Column("no_shows", "No-shows"),
                Column("cancelled", "Cancellations"),
                Column("no_show_rate", "No-show rate"),
            ),
            compute=practitioners,
            note=(
                "Sessions and clients seen count the sessions each practitioner recorded in the range; "
                "appointment outcomes count their appointments that started in the range and are not still "
                "ahead. No-show rate: no-shows over those appointments (cancelled ones included)."
            ),
        ),
        ReportTable(
            slug="appointments",
            title="Appointments",
            section="appointments",
            columns=(Column("outcome", "Outcome"), Column("appointments", "Appointments"), Column("rate", "Rate")),
            compute=appointments,
            figures=("no_show_rate",),
            note=(
                "Appointments that started in the range, up to now (booked appointments still ahead are left "
                "out). Rates of attended, no-show, cancelled and not recorded are over all of them. Rebooked: "
                "attended appointments after which the client already had a later appointment, booked by the end "
                "of that day and not cancelled; its rate is over attended appointments."
            ),
            chart=Chart(
                svg.hbar_chart,
                label="{outcome}",
                series=(("appointments", svg.APPOINTMENTS),),
                empty="No past appointments in this period, so there is nothing to draw.",
                options={"x_label": "Appointments"},
                # The outcomes share all appointments; rebooked ones are a part of the attended.
                where=lambda row: row["outcome"] != REBOOKED,
            ),
        ),
        ReportTable(
            slug="routines",
            title="Home routines",
            section="routines",
            columns=(Column("measure", "Measure"), Column("value", "Value")),
            compute=routines,
            figures=("adherence",),
            note=(
                "Routine emails whose client-local day is in the range. " + ADHERENCE_DEFINITION + " Pain "
                "check-ins: pain scores (0-10) clients sent from the emails on days in the range."
            ),
            empty="No home-routine emails were due in this period.",
        ),
        ReportTable(
            slug="pain-by-session-number",
            title="Pain by session number",
            section="outcomes",
            columns=(
                Column("number", "Session number"),
                Column("sessions", "Sessions"),
                Column("mean_before", "Mean pain before"),
                Column("mean_after", "Mean pain after"),
            ),
            compute=pain_by_session_number,
            note=(
                "Session number: the session's place in the client's whole history (1 = first ever session). "
                "Sessions in the range are counted; means leave out sessions without a pain score (0-10)."
            ),
            chart=Chart(
                svg.line_chart,
                label="{number}",
                series=(("mean_before", svg.PAIN_BEFORE), ("mean_after", svg.PAIN_AFTER)),
                empty="No pain scores were recorded at sessions in this period.",
                options={"y_max": 10, "y_label": "Pain (0-10)", "x_label": "Session number in the client's history"},
            ),
        ),
        ReportTable(
            slug="first-to-latest",
            title="First to latest session",
            section="outcomes",
            columns=(Column("measure", "Measure"), Column("value", "Value")),
            compute=first_to_latest,
            note=(
                "Clients with at least two sessions with a pain score, the latest of them in the range. First "
                "and latest pain: the pain (0-10) the client came in with at their first and at their latest "
                "scored session. Change: latest minus first (negative is less pain)."
            ),
        ),
        ReportTable(
            slug="sessions-to-relief",
            title="Sessions to relief",
            section="outcomes",
            columns=(Column("relief", "Sessions to relief"), Column("clients", "Clients")),
            compute=sessions_to_relief,
            note=(
                RELIEF_DEFINITION + " Clients with a session in the range, counting their sessions up to the "
                'range\'s end; "Not yet": no relief by then.'
            ),
            # The relief definition is shown once, at the top of the Outcomes section.
            note_in_section=True,
            chart=Chart(
                svg.histogram,
                label="{relief}",
                series=(("clients", svg.CLIENTS),),
                empty=NO_CLIENTS_TO_DRAW,
                options={"y_label": "Clients", "x_label": "Sessions until relief", "apart": (NOT_YET,)},
            ),
        ),
        ReportTable(
            slug="adherence-bands",
            title="Routine adherence and relief",
            section="routines",
            columns=(
                Column("band", "Adherence band"),
                Column("clients", "Clients"),
                Column("relieved", "Reached relief"),
                Column("mean_to_relief", "Mean sessions to relief"),
            ),
            compute=adherence_bands,
            note=(
                ADHERENCE_DEFINITION + " A client's adherence counts every routine email sent up to the range's "
                "end. Clients with a session in the range. " + RELIEF_DEFINITION
            ),
            chart=Chart(
                svg.bar_chart,
                label="{band}",
                series=(("clients", svg.CLIENTS), ("relieved", svg.REACHED_RELIEF)),
                empty=NO_CLIENTS_TO_DRAW,
                options={
                    "y_label": "Clients",
                    "x_label": "Home-routine adherence (done check-ins over routine emails sent)",
                },
            ),
        ),
        ReportTable(
            slug="zones",
            title="Zones worked",
            section="zones",
            columns=(
                Column("zone", "Zone"),
                Column("chart", "Chart"),
                Column("worked", "Times worked"),
                Column("tender", "Times tender"),
                Column("tender_rate", "Tender rate"),
            ),
            compute=zones,
            note=(
                f"The {TOP_ZONES} zones worked most often in the range (each pressure note counts once, both "
                "sides together). Tender: the response was tender, very tender or gritty."
            ),
            chart=Chart(
                svg.hbar_chart,
                label="{zone} ({chart})",
                series=(("worked", svg.TIMES_WORKED), ("tender", svg.TIMES_TENDER)),
                empty="No pressure notes were recorded in this period.",
                options={"x_label": "Times worked"},
            ),
        ),
    ]
}

HEADLINES = [
    Headline("sessions", "Sessions", "sessions-per-week", "sessions", "Sessions in the range."),
    Headline("active_clients", "Active clients", "clients", "active", "Clients with a session in the range."),
    Headline(
        "no_show_rate",
        "No-show rate",
        "appointments",
        "no_show_rate",
        "No-shows over appointments that started in the range.",
        undefined="No past appointments in this period.",
    ),
    Headline(
        "adherence",
        "Home-routine adherence",
        "routines",
        "adherence",
        ADHERENCE_DEFINITION,
        undefined="No routine emails were sent in this period.",
    ),
]


def declaration_problems() -> list[str]:
    return problems(list(TABLES.values()), SECTIONS, HEADLINES)


def build(scope: Scope, slugs: Iterable[str] | None = None) -> dict[str, Table]:
    """The tables named (all by default), in TABLES order; an unknown slug is a KeyError."""
    wanted = list(TABLES) if slugs is None else list(slugs)
    return {slug: TABLES[slug](scope) for slug in wanted}


def chart_for(table: Table) -> SafeString:
    """The chart its declaration gives a report table, or "" when it has none or nothing to draw."""
    declaration = TABLES.get(table.slug)
    if declaration is None or declaration.chart is None or not table.rows:
        return SafeString("")
    return declaration.chart.svg(table, declaration)


@dataclass(frozen=True)
class Kpi:
    label: str
    value: int | float | None
    note: str
    # What the card says when the value is undefined (a rate over nothing), instead of "0%".
    undefined: str = ""

    @property
    def text(self) -> str:
        return cell_text(self.value)

    @property
    def help(self) -> str:
        return self.note if self.value is not None else self.undefined


def headline(scope: Scope, tables: dict[str, Table] | None = None) -> dict[str, Kpi]:
    """The dashboard's cards, read off the tables' figures (pass build()'s result to make no
    query at all; otherwise the tables needed are built)."""
    needed = [h.table for h in HEADLINES if tables is None or h.table not in tables]
    tables = {**build(scope, dict.fromkeys(needed)), **(tables or {})}
    return {h.key: Kpi(h.label, tables[h.table].figures[h.figure], h.note, h.undefined) for h in HEADLINES}


__all__ = ["HEADLINES", "SECTIONS", "TABLES", "Kpi", "Percent", "Scope", "Table", "build", "chart_for", "headline"]
