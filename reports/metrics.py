"""Every figure of the reports, each a Table computed in the database.

Each table function filters on the clinic and the date first (the order of the indexes),
aggregates in SQL (aggregate, annotate, window functions, correlated subqueries) and
makes a fixed number of queries whatever the size of the data; Python only loops over
aggregated rows (weeks, session numbers, bands, practitioners, zones). Statements that
serve several tables run once per Scope (`shared`). A table whose figures would all be
zero has no rows, so the page shows a sentence instead of an empty chart.
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
    When,
    Window,
)
from django.db.models.functions import TruncDate, TruncWeek

from appointments.models import Appointment
from clients.models import Client
from outbox.models import Delivery
from routines.models import CheckIn
from sessions.charts import zone_tally as zone_tally_of
from sessions.models import ReflexMap, ReflexZone, TreatmentSession

from .scope import Scope, appointments_qs, checkins_qs, deliveries_qs, notes_qs, sessions_qs
from .tables import Percent, Table, mean, percent

# Session numbers 1..9 get a row each; later sessions share the "10+" row.
TOP_NUMBER = 10
LAPSED_DAYS = 90
RELIEF_PAIN = 2
TOP_ZONES = 20
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


def sessions_per_week(scope: Scope) -> Table:
    rows = (
        sessions_qs(scope)
        .order_by()
        .annotate(week=TruncWeek("started_at", tzinfo=scope.tz))
        .values("week")
        .annotate(sessions=Count("id"))
    )
    counts = {_local_date(r["week"], scope.tz): r["sessions"] for r in rows}
    table = _table("sessions-per-week")
    table.note = (
        "Sessions by the week they started in (weeks begin on Monday, clinic time). The first and last "
        "weeks count only the days inside the chosen range."
    )
    if counts:
        week = scope.start - dt.timedelta(days=scope.start.weekday())
        while week <= scope.end:
            table.rows.append((week, counts.get(week, 0)))
            week += dt.timedelta(weeks=1)
    return table


def clients(scope: Scope) -> Table:
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
              {_practitioner_sql(scope)}
            GROUP BY s.client_id
        )
        SELECT COUNT(CASE WHEN in_range > 0 THEN 1 END),
               COUNT(CASE WHEN in_range > 0 AND (before > 0 OR EXISTS (
                   SELECT 1 FROM {SESSIONS} e WHERE e.client_id = per.client_id AND e.started_at < %(lapse_from)s
               )) THEN 1 END),
               COUNT(CASE WHEN in_range = 0 AND before > 0 THEN 1 END)
        FROM per
    """
    agg = dict(zip(("active", "returning", "lapsed"), _fetch(sql, scope, params)[0], strict=True))
    active, returning, lapsed = agg["active"], agg["returning"], agg["lapsed"]
    table = _table("clients")
    table.note = "Clients are counted once each, whoever treated them."
    if active or lapsed:
        table.rows = [
            ("Active", active, "Had at least one session in the range."),
            ("New", active - returning, "Had their first ever session in the range."),
            ("Returning", returning, "Had a session in the range and had been treated before it."),
            (
                "Lapsed",
                lapsed,
                f"Had a session in the {LAPSED_DAYS} days before the range but none in it.",
            ),
        ]
    return table


def practitioners(scope: Scope) -> Table:
    names = ("practitioner_id", "practitioner__first_name", "practitioner__last_name", "practitioner__username")
    worked = (
        sessions_qs(scope)
        .order_by()
        .values(*names)
        .annotate(sessions=Count("id"), clients=Count("client_id", distinct=True))
    )
    booked = (
        _past_appointments(scope)
        .order_by()
        .values(*names)
        .annotate(
            total=Count("id"),
            attended=Count("id", filter=Q(status=Status.ATTENDED)),
            no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
            cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
        )
    )
    people: dict[int, dict] = {}
    for row in [*worked, *booked]:
        person = people.setdefault(
            row["practitioner_id"],
            {"name": _person(*(row[n] for n in names[1:])), "sessions": 0, "clients": 0, "total": 0},
        )
        person.update({k: v for k, v in row.items() if k not in names})
    table = _table("practitioners")
    table.note = (
        "Sessions and clients seen count the sessions each practitioner recorded in the range; "
        "appointment outcomes count their appointments that started in the range and are not still ahead. "
        "No-show rate: no-shows over those appointments (cancelled ones included)."
    )
    for p in sorted(people.values(), key=lambda p: p["name"].lower()):
        table.rows.append(
            (
                p["name"],
                p["sessions"],
                p["clients"],
                p.get("attended", 0),
                p.get("no_shows", 0),
                p.get("cancelled", 0),
                percent(p.get("no_shows", 0), p["total"]),
            )
        )
    return table


def appointments(scope: Scope) -> Table:
    tz = scope.tz
    # Rebooked: some later, not cancelled appointment of the client was booked by the end of
    # this one's clinic-local day, i.e. the earliest booking time over the later ones falls
    # on or before that day. One window pass (MIN over the following rows) instead of a
    # lookup per appointment; later appointments may lie beyond the range, so they are read.
    later_booking = Window(
        Min(Case(When(~Q(status=Status.CANCELLED), then=F("created_at")))),
        partition_by=F("client_id"),
        order_by=[F("starts_at").asc(), F("id").asc()],
        frame=RowRange(start=1, end=None),
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
    table = _table("appointments")
    table.note = (
        "Appointments that started in the range, up to now (booked appointments still ahead are left out). "
        "Rates of attended, no-show, cancelled and not recorded are over all of them. Rebooked: attended "
        "appointments after which the client already had a later appointment, booked by the end of that day "
        "and not cancelled; its rate is over attended appointments."
    )
    if total:
        table.rows = [
            ("Attended", attended, percent(attended, total)),
            ("No-show", agg["no_shows"], percent(agg["no_shows"], total)),
            ("Cancelled", agg["cancelled"], percent(agg["cancelled"], total)),
            ("Not recorded", agg["open"], percent(agg["open"], total)),
            ("Rebooked", agg["rebooked"], percent(agg["rebooked"], attended)),
        ]
    return table


# --- Home routines --------------------------------------------------------------------


def routines(scope: Scope) -> Table:
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
    # adherence bands use.
    answers = checkins_qs(scope).aggregate(
        done=Count("kind", filter=Q(kind=CheckIn.Kind.DONE)),
        n=Count("kind", filter=Q(kind=CheckIn.Kind.PAIN, pain__isnull=False)),
        mean=Avg("pain", filter=Q(kind=CheckIn.Kind.PAIN)),
    )
    emails["done"] = answers["done"]
    pain = {"n": answers["n"], "mean": answers["mean"]}
    table = _table("routines")
    table.note = (
        "Routine emails whose client-local day is in the range. " + ADHERENCE_DEFINITION + " Pain check-ins: "
        "pain scores (0-10) clients sent from the emails on days in the range."
    )
    if emails["due"] or pain["n"]:
        table.rows = [
            ("Emails due", emails["due"]),
            ("Sent", emails["sent"]),
            ("Failed", emails["failed"]),
            ("Not sent", emails["skipped"]),
            ("Still waiting", emails["waiting"]),
            ("Adherence", percent(emails["done"], emails["sent"])),
            ("Pain check-ins", pain["n"]),
            ("Mean at-home pain", mean(pain["mean"])),
        ]
    return table


# --- Outcomes -------------------------------------------------------------------------
#
# The four outcome tables aggregate in two levels: window functions over each client's
# history, GROUP BY client, then an aggregate over the clients. The ORM cannot put a
# grouped window query under another aggregate, so they share one hand-written statement
# (_outcomes_sql), in SQL that PostgreSQL and SQLite both run (CTEs, window functions,
# CASE rather than FILTER), scoped to the clinic and, for a practitioner, their clients,
# with every value a parameter. The history is the expensive part, so it is read once.

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


def _fetch(sql: str, scope: Scope, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_params(scope), **(params or {})})
        return cursor.fetchall()


@dataclass(frozen=True)
class Outcomes:
    """What the history statement returns for the four outcome tables."""

    # session number (1..TOP_NUMBER, the last meaning that many or more) -> (sessions, mean before, mean after)
    by_number: dict[int, tuple[int, object, object]]
    # clients, mean first pain, mean latest pain, improved, same, worse
    first_to_latest: tuple
    # (adherence band 0-3, relief bucket 0..TOP_NUMBER) -> (clients, relieved, sum of sessions to relief)
    relief: dict[tuple[int, int], tuple[int, int, int]]


def _outcomes_sql(scope: Scope) -> str:
    """One statement over the history of the clients active in the range (every session of
    theirs up to the range's end), for pain by session number, first to latest, sessions
    to relief and the adherence bands: the history is read and numbered once.

    Per session, by window functions sharing one ordering per client: `number` (its place
    in the client's history, ties on the minute broken by id), `first_pain` (pain before
    the client's first session) and `upto` (sessions started at or before it: COUNT over
    the default RANGE frame counts ties). Per client (`per`, materialised once since two
    parts read it): scored sessions; the first and latest pain score, as the smallest and
    largest `number * 100 + pain_before` over the scored sessions (a score is 0-10, so
    the remainder is the score: no second ordering to sort for; `%%` is the modulo,
    escaped from the parameter style); `relief`, the smallest
    `upto` of a session that brought relief; and routine emails sent and "done" check-ins
    up to the range's end, through the client indexes (a "done" link exists only in a
    sent routine email and records that email's day). Three aggregates joined by UNION
    ALL: part 1 per session number (sessions in the range), part 2 the clients with a
    scored session in the range and two or more scores, part 3 per adherence band and
    relief bucket."""
    return f"""
        WITH active AS (
            SELECT s.client_id, MAX(CASE WHEN s.pain_before IS NOT NULL THEN 1 ELSE 0 END) AS scored_in_range
            FROM {SESSIONS} s
            WHERE s.clinic_id = %(clinic)s AND s.started_at >= %(start_at)s AND s.started_at < %(end_at)s
              {_practitioner_sql(scope)}
            GROUP BY s.client_id
        ),
        history AS (
            SELECT s.client_id, a.scored_in_range, s.started_at, s.pain_before, s.pain_after,
                   ROW_NUMBER() OVER (PARTITION BY s.client_id ORDER BY s.started_at, s.id) AS number,
                   FIRST_VALUE(s.pain_before) OVER (PARTITION BY s.client_id ORDER BY s.started_at, s.id) AS first_pain,
                   COUNT(*) OVER (PARTITION BY s.client_id ORDER BY s.started_at) AS upto
            FROM {SESSIONS} s JOIN active a ON a.client_id = s.client_id
            WHERE s.clinic_id = %(clinic)s AND s.started_at < %(end_at)s
        ),
        per AS (
            SELECT client_id, scored_in_range, COUNT(pain_before) AS scored,
                   MIN(number * 100 + pain_before) %% 100 AS first_score,
                   MAX(number * 100 + pain_before) %% 100 AS latest_score,
                   MIN(CASE WHEN pain_after <= {RELIEF_PAIN} OR pain_after * 2 <= first_pain THEN upto END) AS relief,
                   (SELECT COUNT(*) FROM {DELIVERIES} d
                    WHERE d.client_id = history.client_id AND d.kind = %(routine)s AND d.status = %(sent)s
                      AND d.local_date <= %(end)s) AS sent,
                   (SELECT COUNT(*) FROM {CHECKINS} c
                    WHERE c.client_id = history.client_id AND c.kind = %(done)s AND c.local_date <= %(end)s) AS done
            FROM history GROUP BY client_id, scored_in_range
        )
        SELECT 1, CASE WHEN number >= {TOP_NUMBER} THEN {TOP_NUMBER} ELSE number END, CAST(NULL AS INTEGER),
               COUNT(*), AVG(pain_before), AVG(pain_after), NULL, NULL, NULL
        FROM history WHERE started_at >= %(start_at)s
        GROUP BY 2
        UNION ALL
        SELECT 2, NULL, CAST(NULL AS INTEGER), COUNT(*), AVG(first_score), AVG(latest_score),
               COUNT(CASE WHEN latest_score < first_score THEN 1 END),
               COUNT(CASE WHEN latest_score = first_score THEN 1 END),
               COUNT(CASE WHEN latest_score > first_score THEN 1 END)
        FROM per WHERE scored_in_range = 1 AND scored >= 2
        UNION ALL
        SELECT 3, CASE WHEN sent = 0 THEN 0 WHEN done * 4 < sent THEN 1 WHEN done * 4 < sent * 3 THEN 2 ELSE 3 END,
               CASE WHEN relief IS NULL THEN 0 WHEN relief >= {TOP_NUMBER} THEN {TOP_NUMBER} ELSE relief END,
               COUNT(*), COUNT(relief), SUM(relief), NULL, NULL, NULL
        FROM per
        GROUP BY 2, 3
    """


def _as_int(value) -> int:
    return int(value or 0)


def outcomes(scope: Scope) -> Outcomes:
    """The history statement's results for this scope (one query, shared by four tables)."""

    def compute() -> Outcomes:
        by_number, relief, first_to_latest = {}, {}, (0, None, None, 0, 0, 0)
        for part, k1, k2, n, a, b, c, d, e in _fetch(_outcomes_sql(scope), scope):
            if part == 1:
                by_number[_as_int(k1)] = (_as_int(n), a, b)
            elif part == 2:
                first_to_latest = (_as_int(n), a, b, _as_int(c), _as_int(d), _as_int(e))
            else:
                relief[_as_int(k1), _as_int(k2)] = (_as_int(n), _as_int(a), _as_int(b))
        return Outcomes(by_number, first_to_latest, relief)

    return shared(scope, "outcomes", compute)


def pain_by_session_number(scope: Scope) -> Table:
    by_number = outcomes(scope).by_number
    last = max(by_number, default=0)
    table = _table("pain-by-session-number")
    table.note = (
        "Session number: the session's place in the client's whole history (1 = first ever session). "
        "Sessions in the range are counted; means leave out sessions without a pain score (0-10)."
    )
    table.rows = [
        (_number_label(n), *(lambda r: (r[0], mean(r[1]), mean(r[2])))(by_number.get(n, (0, None, None))))
        for n in range(1, last + 1)
    ]
    return table


def first_to_latest(scope: Scope) -> Table:
    clients, mean_first, mean_latest, improved, same, worse = outcomes(scope).first_to_latest
    table = _table("first-to-latest")
    table.note = (
        "Clients with at least two sessions with a pain score, the latest of them in the range. First and "
        "latest pain: the pain (0-10) the client came in with at their first and at their latest scored "
        "session. Change: latest minus first (negative is less pain)."
    )
    if clients:
        table.rows = [
            ("Clients", clients),
            ("Mean first pain", mean(mean_first)),
            ("Mean latest pain", mean(mean_latest)),
            ("Mean change", round(float(mean_latest) - float(mean_first), 1)),
            ("Improved", improved),
            ("Same", same),
            ("Worse", worse),
        ]
    return table


def _relief_buckets() -> list[str]:
    return [*(str(n) for n in range(1, TOP_NUMBER)), f"{TOP_NUMBER}+", "Not yet"]


def sessions_to_relief(scope: Scope) -> Table:
    buckets = _relief_buckets()
    counts: dict[int, int] = dict.fromkeys(range(TOP_NUMBER + 1), 0)
    for (_band, bucket), (clients, _relieved, _total) in outcomes(scope).relief.items():
        counts[bucket] += clients
    table = _table("sessions-to-relief")
    table.note = (
        RELIEF_DEFINITION + " Clients with a session in the range, counting their sessions up to the range's end; "
        '"Not yet": no relief by then.'
    )
    if sum(counts.values()):
        # Relief 1..9 and 10 (10+) count by their number, "Not yet" (NULL) as 0.
        table.rows = [
            (int(label) if label.isdigit() else label, counts[int(label.rstrip("+")) if label[0].isdigit() else 0])
            for label in buckets
        ]
    return table


# The bands' names, in the order of the history statement's band numbers (drawn there in whole
# numbers, done x 4 against sent and sent x 3, so both databases draw the lines alike).
ADHERENCE_BANDS = ("No routine emails", "Under 25%", "25-74%", "75% or more")


def adherence_bands(scope: Scope) -> Table:
    bands = {i: [0, 0, 0] for i in range(len(ADHERENCE_BANDS))}
    for (band, _bucket), counts in outcomes(scope).relief.items():
        bands[band] = [a + b for a, b in zip(bands[band], counts, strict=True)]
    table = _table("adherence-bands")
    table.note = (
        ADHERENCE_DEFINITION + " A client's adherence counts every routine email sent up to the range's end. "
        "Clients with a session in the range. " + RELIEF_DEFINITION
    )
    if any(clients for clients, _, _ in bands.values()):
        table.rows = [
            (label, clients, relieved, mean(total / relieved) if relieved else None)
            for label, (clients, relieved, total) in zip(ADHERENCE_BANDS, bands.values(), strict=True)
        ]
    return table


# --- Zones ----------------------------------------------------------------------------


def zone_tally(scope: Scope) -> list[dict]:
    """The scope's pressure notes per zone and side (sessions.charts.zone_tally): the zones
    table sums the sides, the dashboard's heat map draws them."""
    return shared(scope, "zone-tally", lambda: zone_tally_of(notes_qs(scope)))


def zones(scope: Scope) -> Table:
    times: dict[int, list[int]] = {}
    for r in zone_tally(scope):  # both sides of a zone together
        worked = times.setdefault(r["zone_id"], [0, 0])
        worked[0] += r["times"]
        worked[1] += r["tender"]
    names = ReflexZone.objects.filter(pk__in=list(times)).in_bulk() if times else {}
    top = sorted(times, key=lambda pk: (-times[pk][0], names[pk].name, pk))[:TOP_ZONES]
    charts = dict(ReflexMap.choices)
    table = _table("zones")
    table.note = (
        f"The {TOP_ZONES} zones worked most often in the range (each pressure note counts once, both sides "
        "together). Tender: the response was tender, very tender or gritty."
    )
    table.rows = [
        (
            names[pk].name,
            charts.get(names[pk].reflex_map, names[pk].reflex_map),
            times[pk][0],
            times[pk][1],
            percent(times[pk][1], times[pk][0]),
        )
        for pk in top
    ]
    return table


# --- All together ---------------------------------------------------------------------

COLUMNS = {
    "sessions-per-week": ("Sessions per week", ["Week starting", "Sessions"]),
    "clients": ("Clients", ["Measure", "Clients", "Definition"]),
    "practitioners": (
        "Practitioners",
        ["Practitioner", "Sessions", "Clients seen", "Attended", "No-shows", "Cancellations", "No-show rate"],
    ),
    "appointments": ("Appointments", ["Outcome", "Appointments", "Rate"]),
    "routines": ("Home routines", ["Measure", "Value"]),
    "pain-by-session-number": (
        "Pain by session number",
        ["Session number", "Sessions", "Mean pain before", "Mean pain after"],
    ),
    "first-to-latest": ("First to latest session", ["Measure", "Value"]),
    "sessions-to-relief": ("Sessions to relief", ["Sessions to relief", "Clients"]),
    "adherence-bands": (
        "Routine adherence and relief",
        ["Adherence band", "Clients", "Reached relief", "Mean sessions to relief"],
    ),
    "zones": ("Zones worked", ["Zone", "Chart", "Times worked", "Times tender", "Tender rate"]),
}


def _table(slug: str) -> Table:
    title, columns = COLUMNS[slug]
    return Table(slug=slug, title=title, columns=list(columns), rows=[])


TABLES: dict[str, Callable[[Scope], Table]] = {
    "sessions-per-week": sessions_per_week,
    "clients": clients,
    "practitioners": practitioners,
    "appointments": appointments,
    "routines": routines,
    "pain-by-session-number": pain_by_session_number,
    "first-to-latest": first_to_latest,
    "sessions-to-relief": sessions_to_relief,
    "adherence-bands": adherence_bands,
    "zones": zones,
}


def build(scope: Scope, slugs: Iterable[str] | None = None) -> dict[str, Table]:
    """The tables named (all by default), in TABLES order; an unknown slug is a KeyError."""
    wanted = list(TABLES) if slugs is None else list(slugs)
    return {slug: TABLES[slug](scope) for slug in wanted}


@dataclass(frozen=True)
class Kpi:
    label: str
    value: int | float | None
    note: str

    @property
    def text(self) -> str:
        from .tables import cell_text

        return cell_text(self.value)


HEADLINE_TABLES = ("sessions-per-week", "clients", "appointments", "routines")


def headline(scope: Scope, tables: dict[str, Table] | None = None) -> dict[str, Kpi]:
    """The dashboard's cards, read off the tables (pass build()'s result to make no
    query at all; otherwise the four tables needed are built)."""
    if tables is None or any(slug not in tables for slug in HEADLINE_TABLES):
        tables = {**build(scope, HEADLINE_TABLES), **(tables or {})}
    return {
        "sessions": Kpi("Sessions", sum(tables["sessions-per-week"].column("Sessions")), "Sessions in the range."),
        "active_clients": Kpi(
            "Active clients", tables["clients"].value("Active") or 0, "Clients with a session in the range."
        ),
        "no_show_rate": Kpi(
            "No-show rate",
            tables["appointments"].value("No-show", 2),
            "No-shows over appointments that started in the range.",
        ),
        "adherence": Kpi("Home-routine adherence", tables["routines"].value("Adherence"), ADHERENCE_DEFINITION),
    }


__all__ = ["TABLES", "Kpi", "Percent", "Scope", "Table", "build", "headline"]
