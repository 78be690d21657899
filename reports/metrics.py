"""Every figure of the reports, each a Table computed in the database.

Each table function filters on the clinic and the date first (the order of the indexes),
aggregates in SQL (aggregate, annotate, correlated subqueries) and makes a fixed number
of queries whatever the size of the data; Python only loops over aggregated rows
(weeks, session numbers, bands, practitioners). A table whose figures would all be
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
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    RowRange,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate, TruncWeek
from django.db.models.lookups import GreaterThanOrEqual, LessThan

from appointments.models import Appointment
from clients.models import Client
from routines.models import CheckIn, Delivery
from sessions.models import TENDER_RESPONSES, ReflexMap, TreatmentSession

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


def _count(qs: QuerySet) -> Func:
    """COUNT(*) of a correlated queryset as a scalar subquery (0, never NULL, when it is empty)."""
    counted = qs.order_by().annotate(_n=Func(F("pk"), function="COUNT", output_field=IntegerField())).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _outer(name: str, output_field) -> ExpressionWrapper:
    """OuterRef with its type stated, so database functions (TruncDate) accept it."""
    return ExpressionWrapper(OuterRef(name), output_field=output_field)


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
    # The email's "done" check-in (one per email at most: unique per delivery and kind),
    # joined once (LEFT JOIN ... ON delivery and kind) rather than looked up per email.
    emails = (
        deliveries_qs(scope)
        .filter(kind=Delivery.Kind.ROUTINE)
        .annotate(done_check_in=FilteredRelation("check_ins", condition=Q(check_ins__kind=CheckIn.Kind.DONE)))
        .aggregate(
            due=Count("id"),
            sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
            skipped=Count("id", filter=Q(status=Delivery.Status.SKIPPED)),
            waiting=Count("id", filter=Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])),
            done=Count("done_check_in__id", filter=Q(status=Delivery.Status.SENT)),
        )
    )
    pain = (
        checkins_qs(scope).filter(kind=CheckIn.Kind.PAIN, pain__isnull=False).aggregate(n=Count("id"), mean=Avg("pain"))
    )
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
# The per-client figures (first to latest, relief, adherence) aggregate in two levels:
# window functions over each client's history, GROUP BY client, then an aggregate over
# the clients. The ORM cannot put a grouped window query under another aggregate, so
# these are one hand-written statement each, in SQL that PostgreSQL and SQLite both run
# (CTEs, window functions, CASE rather than FILTER), scoped to the clinic and, for a
# practitioner, their clients, with every value a parameter.

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


def _active_clients_sql(scope: Scope, *, scored: bool = False) -> str:
    """The clients with a session (scored=True: with a pain score) in the range."""
    sql = f"""
        SELECT DISTINCT s.client_id FROM {SESSIONS} s
        WHERE s.clinic_id = %(clinic)s AND s.started_at >= %(start_at)s AND s.started_at < %(end_at)s
    """
    if scored:
        sql += " AND s.pain_before IS NOT NULL"
    return sql + _practitioner_sql(scope)


def _practitioner_sql(scope: Scope) -> str:
    """For a practitioner's scope, only their clients' sessions (alias s)."""
    if scope.practitioner is None:
        return ""
    return f" AND s.client_id IN (SELECT c.id FROM {CLIENTS} c WHERE c.practitioner_id = %(practitioner)s)"


def _fetch(sql: str, scope: Scope, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {**_params(scope), **(params or {})})
        return cursor.fetchall()


def _numbered_history(scope: Scope) -> QuerySet[TreatmentSession]:
    """The scope's clients' sessions up to the range's end, each with `number`: its place in
    the client's whole history (1 = first; ties on the minute broken by id)."""
    # Only the clients with a session in the range: their whole history is numbered, the
    # rest of the clinic's is not read at all.
    return (
        sessions_qs(scope, in_range=False)
        .filter(client_id__in=sessions_qs(scope).values("client_id"))
        .order_by()
        .annotate(
            number=Window(RowNumber(), partition_by=F("client_id"), order_by=[F("started_at").asc(), F("id").asc()])
        )
    )


def pain_by_session_number(scope: Scope) -> Table:
    # One pass of ROW_NUMBER() over the history, then conditional aggregates per number
    # over it (Django wraps the window query in a subquery): no per-session lookups.
    aggs = {}
    for number in range(1, TOP_NUMBER + 1):
        this = Q(number=number) if number < TOP_NUMBER else Q(number__gte=TOP_NUMBER)
        this &= Q(started_at__gte=scope.start_at)
        aggs[f"sessions{number}"] = Count("id", filter=this)
        aggs[f"before{number}"] = Avg("pain_before", filter=this)
        aggs[f"after{number}"] = Avg("pain_after", filter=this)
    agg = _numbered_history(scope).aggregate(**aggs)
    last = max((n for n in range(1, TOP_NUMBER + 1) if agg[f"sessions{n}"]), default=0)
    table = _table("pain-by-session-number")
    table.note = (
        "Session number: the session's place in the client's whole history (1 = first ever session). "
        "Sessions in the range are counted; means leave out sessions without a pain score (0-10)."
    )
    table.rows = [
        (_number_label(n), agg[f"sessions{n}"], mean(agg[f"before{n}"]), mean(agg[f"after{n}"]))
        for n in range(1, last + 1)
    ]
    return table


def first_to_latest(scope: Scope) -> Table:
    # Per client, one numbering pass over their scored sessions up to the range's end
    # (first and latest by window functions), then one aggregate over the clients.
    sql = f"""
        WITH active AS ({_active_clients_sql(scope, scored=True)}),
        scored AS (
            SELECT s.client_id, s.pain_before,
                   ROW_NUMBER() OVER (PARTITION BY s.client_id ORDER BY s.started_at, s.id) AS from_first,
                   ROW_NUMBER() OVER (PARTITION BY s.client_id ORDER BY s.started_at DESC, s.id DESC) AS from_latest
            FROM {SESSIONS} s JOIN active a ON a.client_id = s.client_id
            WHERE s.started_at < %(end_at)s AND s.pain_before IS NOT NULL
        ),
        per AS (
            SELECT client_id, COUNT(*) AS scored,
                   MAX(CASE WHEN from_first = 1 THEN pain_before END) AS first,
                   MAX(CASE WHEN from_latest = 1 THEN pain_before END) AS latest
            FROM scored GROUP BY client_id
        )
        SELECT COUNT(*), AVG(first), AVG(latest), COUNT(CASE WHEN latest < first THEN 1 END),
               COUNT(CASE WHEN latest = first THEN 1 END), COUNT(CASE WHEN latest > first THEN 1 END)
        FROM per WHERE scored >= 2
    """
    clients, mean_first, mean_latest, improved, same, worse = _fetch(sql, scope)[0]
    agg = {
        "clients": clients,
        "mean_first": mean_first,
        "mean_latest": mean_latest,
        "improved": improved,
        "same": same,
        "worse": worse,
    }
    table = _table("first-to-latest")
    table.note = (
        "Clients with at least two sessions with a pain score, the latest of them in the range. First and "
        "latest pain: the pain (0-10) the client came in with at their first and at their latest scored "
        "session. Change: latest minus first (negative is less pain)."
    )
    if agg["clients"]:
        first, latest = mean(agg["mean_first"]), mean(agg["mean_latest"])
        table.rows = [
            ("Clients", agg["clients"]),
            ("Mean first pain", first),
            ("Mean latest pain", latest),
            ("Mean change", round(float(agg["mean_latest"]) - float(agg["mean_first"]), 1)),
            ("Improved", agg["improved"]),
            ("Same", agg["same"]),
            ("Worse", agg["worse"]),
        ]
    return table


def _relief_per_client(scope: Scope, *, adherence: bool = False) -> str:
    """SQL with one row per client active in the range: `relief` (the number of the
    session that brought relief, NULL if none yet by the range's end) and, with
    adherence=True, `sent` and `done` (routine emails sent and "I did it" check-ins, all
    time up to the range's end).

    One pass over the active clients' sessions: `first_pain` (pain before the first
    session) and `upto` (how many of the client's sessions started at or before this
    one: COUNT over the default RANGE frame counts ties) by window functions; relief is
    the smallest `upto` of a session that brought relief. Emails and check-ins are
    counted per client through the client indexes (index-only scans)."""
    sql = f"""
        WITH active AS ({_active_clients_sql(scope)}),
        history AS (
            SELECT s.client_id, s.pain_after,
                   FIRST_VALUE(s.pain_before) OVER (PARTITION BY s.client_id ORDER BY s.started_at, s.id) AS first_pain,
                   COUNT(*) OVER (PARTITION BY s.client_id ORDER BY s.started_at) AS upto
            FROM {SESSIONS} s JOIN active a ON a.client_id = s.client_id
            WHERE s.started_at < %(end_at)s
        ),
        relief AS (
            SELECT client_id,
                   MIN(CASE WHEN pain_after <= {RELIEF_PAIN} OR pain_after * 2 <= first_pain THEN upto END) AS relief
            FROM history GROUP BY client_id
        )
    """
    if not adherence:
        return sql + " SELECT client_id, relief FROM relief"
    return (
        sql
        + f"""
        SELECT r.client_id, r.relief,
               (SELECT COUNT(*) FROM {DELIVERIES} d
                WHERE d.client_id = r.client_id AND d.kind = %(routine)s AND d.status = %(sent)s
                  AND d.local_date <= %(end)s) AS sent,
               -- A "done" link only exists in a sent routine email and records that
               -- email's local day, so the check-in's own client and day suffice.
               (SELECT COUNT(*) FROM {CHECKINS} c
                WHERE c.client_id = r.client_id AND c.kind = %(done)s AND c.local_date <= %(end)s) AS done
        FROM relief r
    """
    )


def _relief_buckets() -> list[str]:
    return [*(str(n) for n in range(1, TOP_NUMBER)), f"{TOP_NUMBER}+", "Not yet"]


def sessions_to_relief(scope: Scope) -> Table:
    buckets = _relief_buckets()
    sql = f"""
        WITH per AS ({_relief_per_client(scope)})
        SELECT CASE WHEN relief IS NULL THEN 0 WHEN relief >= {TOP_NUMBER} THEN {TOP_NUMBER} ELSE relief END,
               COUNT(*)
        FROM per GROUP BY 1
    """
    counts = dict(_fetch(sql, scope))
    agg = {"total": sum(counts.values())}
    # Relief 1..9 and 10 (10+) count by their number, "Not yet" (NULL) as 0.
    for i, label in enumerate(buckets):
        agg[f"b{i}"] = counts.get(int(label.rstrip("+")) if label[0].isdigit() else 0, 0)
    table = _table("sessions-to-relief")
    table.note = (
        RELIEF_DEFINITION + " Clients with a session in the range, counting their sessions up to the range's end; "
        '"Not yet": no relief by then.'
    )
    if agg["total"]:
        table.rows = [(label if not label.isdigit() else int(label), agg[f"b{i}"]) for i, label in enumerate(buckets)]
    return table


# In whole numbers (done x 4 against sent, sent x 3), so both databases draw the lines alike.
ADHERENCE_BANDS = {
    "No routine emails": Q(sent=0),
    "Under 25%": Q(sent__gt=0) & LessThan(F("done") * 4, F("sent")),
    "25-74%": Q(sent__gt=0) & GreaterThanOrEqual(F("done") * 4, F("sent")) & LessThan(F("done") * 4, F("sent") * 3),
    "75% or more": Q(sent__gt=0) & GreaterThanOrEqual(F("done") * 4, F("sent") * 3),
}


def adherence_bands(scope: Scope) -> Table:
    # Bands in whole numbers (done x 4 against sent, sent x 3), so both databases draw the
    # lines alike; the order of ADHERENCE_BANDS.
    sql = f"""
        WITH per AS ({_relief_per_client(scope, adherence=True)})
        SELECT CASE WHEN sent = 0 THEN 0 WHEN done * 4 < sent THEN 1 WHEN done * 4 < sent * 3 THEN 2 ELSE 3 END,
               COUNT(*), COUNT(relief), AVG(relief)
        FROM per GROUP BY 1
    """
    bands = {band: (clients, relieved, mean_relief) for band, clients, relieved, mean_relief in _fetch(sql, scope)}
    agg = {"total": sum(b[0] for b in bands.values())}
    for i in range(len(ADHERENCE_BANDS)):
        agg[f"clients{i}"], agg[f"relieved{i}"], agg[f"mean{i}"] = bands.get(i, (0, 0, None))
    table = _table("adherence-bands")
    table.note = (
        ADHERENCE_DEFINITION + " A client's adherence counts every routine email sent up to the range's end. "
        "Clients with a session in the range. " + RELIEF_DEFINITION
    )
    if agg["total"]:
        table.rows = [
            (label, agg[f"clients{i}"], agg[f"relieved{i}"], mean(agg[f"mean{i}"]))
            for i, label in enumerate(ADHERENCE_BANDS)
        ]
    return table


# --- Zones ----------------------------------------------------------------------------


def zones(scope: Scope) -> Table:
    rows = (
        notes_qs(scope)
        .order_by()
        .values("zone_id", "zone__name", "zone__reflex_map")
        .annotate(times=Count("id"), tender=Count("id", filter=Q(response__in=TENDER_RESPONSES)))
        .order_by("-times", "zone__name", "zone_id")[:TOP_ZONES]
    )
    charts = dict(ReflexMap.choices)
    table = _table("zones")
    table.note = (
        f"The {TOP_ZONES} zones worked most often in the range (each pressure note counts once, both sides "
        "together). Tender: the response was tender, very tender or gritty."
    )
    table.rows = [
        (
            r["zone__name"],
            charts.get(r["zone__reflex_map"], r["zone__reflex_map"]),
            r["times"],
            r["tender"],
            percent(r["tender"], r["times"]),
        )
        for r in rows
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
