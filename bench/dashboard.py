"""Benchmark: the reports dashboard for one large clinic, against hand-written SQL, as the
network of clinics around it grows.

Generates a clinic network in a PostgreSQL database of its own (default rc_bench): one
large clinic of 7,200 clients (14 practitioners) and around it clinics of about 1,200
clients (3 practitioners each) in four timezones, four of them at the default 12,000
clients, 34 at 48,000 (--large-clients 0 gives the large clinic 60% of the network
instead, however large). Each client has treatment sessions (about ten pressure notes
each), appointments (attended, no-show, cancelled, booked), home routines, their emails
and check-ins. Clinics, staff, reflex zones and the routine library come from the apps
(Clinic.objects.create and its signals, accounts.services.staff_create); the volume is
inserted by server-side INSERT ... SELECT generate_series(...) with hashed pseudo-random
numbers, so the same --clients and anchor day give the same rows. A practitioner's
appointments are 45 minutes apart from 08:00 to 19:55, so nobody is double-booked (the
exclusion constraints hold) at any size. Generation is skipped when the database already
holds a network of the same size and generator version (--regenerate forces it: the
database is DROPPED and created again).

Then, in the same run, it times `reports.metrics.build(scope)` for the large clinic (the
owner's view: the whole clinic) over this year and the last 4 weeks (the dashboard's
presets), each table and the whole build, median of --repeat runs after a warm-up; one page
render through the Django test client; and hand-written SQL computing the same figures
twice: over the copies the reports keep (sessions.rollups: each signed session's place in
its client's history, the notes per day), and over the raw rows. Every figure of build()
and of the SQL over the copies must equal the raw rows' SQL (a mismatch is printed and the
exit status is 1). It prints per table the ORM, SQL-over-the-copies and raw SQL
milliseconds, the ratio ORM / SQL over the copies and the speed-up over the raw rows, the
totals, the targets (at most 500 ms for build() and for the page; within 1.5x of the SQL
over the copies) and the command that reproduces it. The four outcome tables share one statement on both sides,
run once per run (timed in the first of them). Several sizes (--clients 12000,24000,48000)
are measured in turn, each in its own database (rc_bench_12000, ...), and a growth table
(network size against the large clinic's build(), page and SQL times) ends the output.

    .venv/bin/python bench/dashboard.py
    make bench-dashboard BENCH_ARGS="--clients 12000,24000,48000 --repeat 5"
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shlex
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rc_bench"
# CI's database (see the CI workflow): never touched by the benchmark.
REFUSED_DATABASES = {"reflexclinic_ci"}
# "Well under a second", for build() and for the whole page: half a second at most.
WELL_UNDER_MS = 500
# build() within this multiple of the hand-written SQL's time (over the same copies of the rows).
WITHIN = 1.5
# Bumped whenever the generator changes what it makes: an older network is regenerated.
GENERATOR_VERSION = 2

# The largest clinic keeps its size however large the network: a clinic's reports should
# cost what its own data costs, so a bigger network is more clinics around it (the
# growth table shows the large clinic's times as the network grows). --large-clients 0
# gives it LARGE_SHARE of the network instead, as generator version 1 did.
LARGE_CLIENTS = 7_200
LARGE_SHARE = 0.60
LARGE = "bench-large"
# The other clinics, in turn: about OTHER_CLIENTS clients each.
OTHER_CLIENTS = 1_200
TOWNS = [
    ("North", "Europe/London"),
    ("Dublin", "Europe/Dublin"),
    ("Boston", "America/New_York"),
    ("Sydney", "Australia/Sydney"),
]
# One practitioner per this many clients (at least three a clinic): about 4.5 visits a day each.
CLIENTS_PER_PRACTITIONER = 520
# Appointments of one practitioner on one day: 08:00 to 19:55, 45 minutes apart. A visit
# beyond a practitioner's day is not made (see "appointments" below), so nobody is double-booked.
SLOTS_PER_DAY = 16
FIRST_NAMES = [
    "Alice", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Harry", "Isla", "Jack", "Kate", "Liam",
    "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wendy", "Yusuf",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Brown", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Iqbal", "Jones", "Khan",
    "Lewis", "Murphy", "Nolan", "O'Brien", "Patel", "Quinn", "Roberts", "Smith", "Taylor", "Walsh", "Young",
]  # fmt: skip


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database of the benchmark (default rc_bench); DROPPED and created again to regenerate",
    )
    parser.add_argument(
        "--clients",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[12_000],
        help="clients in the network (default 12000); several, comma-separated (12000,24000,48000), time a "
        "network of each size, each in a database of its own (the URL's name plus _<clients>), and print "
        "the growth table",
    )
    parser.add_argument(
        "--large-clients",
        type=int,
        default=LARGE_CLIENTS,
        help=f"clients of the large clinic, at most {LARGE_SHARE:.0%} of the network (default {LARGE_CLIENTS}); "
        f"0: {LARGE_SHARE:.0%} of the network, however large",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the median is printed")
    parser.add_argument("--regenerate", action="store_true", help="generate the network again even if it is there")
    parser.add_argument(
        "--jit",
        choices=["server", "on", "off"],
        default="server",
        help="PostgreSQL JIT for the timed queries: the server's setting (default), or on/off for this run",
    )
    args = parser.parse_args()
    if min(args.clients) < 100 or args.repeat < 1:
        parser.error("--clients must be at least 100 and --repeat at least 1")
    return args


# --------------------------------------------------------------------------- database


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database name {name!r}")
    if name in REFUSED_DATABASES:
        raise SystemExit(f"refusing to run against {name!r}: that is CI's database; use e.g. {DEFAULT_DATABASE_URL}")
    return name


def maintenance_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def ensure_database(url: str, *, recreate: bool) -> None:
    import psycopg

    name = database_name(url)
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def stored_network(url: str) -> dict | None:
    """What the generator recorded in the database, or None when there is no network."""
    import psycopg

    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
            return None
        row = conn.execute("SELECT value FROM bench_meta WHERE key = 'network'").fetchone()
        return json.loads(row[0]) if row else None


# --------------------------------------------------------------------------- generator


def u(key: str, seed: int) -> str:
    """SQL for a pseudo-random number in [0, 1) that depends only on `key` (a bigint SQL
    expression) and `seed`: a 64-bit hash, not md5 (slow with OpenSSL 3) nor random()
    (its order of evaluation is the planner's)."""
    return f"((hashint8extended({key}, {seed}) & 4294967295)::float8 / 4294967296.0)"


def clamp10(expr: str) -> str:
    return f"greatest(0, least(10, round({expr})))::smallint"


# A session's pain before, from the client's starting pain and speed, with noise; after
# it, half to most of that, and now and then two points more.
PAIN_BEFORE = f"base_pain * exp(-speed * (number - 1)) + ({u('id', 21)} - 0.5) * 3"
PAIN_AFTER = f"before * (0.5 + 0.45 * {u('id', 24)}) + CASE WHEN {u('id', 25)} > 0.97 THEN 2 ELSE 0 END"
# At-home pain, a little under what the sessions would show on that day.
HOME_PAIN = (
    "d.base_pain * 0.8 * exp(-d.speed * (d.local_date - d.first_day) / d.interval_days::float8)"
    f" + ({u('d.id', 54)} - 0.5) * 3"
)

# Step by step; every statement sees the bench_* temporary tables of the ones before it.
# %(anchor)s is the network's "today" (clinic-local day); the past is every day before it.
GENERATE = [
    (
        "clients",
        f"""
        CREATE TEMP TABLE bench_client AS
        SELECT g::bigint AS id, c.clinic_id, c.tz,
               c.pracs[1 + g %% cardinality(c.pracs)] AS practitioner_id, c.pracs,
               %(anchor)s::date - floor({u("g", 1)} * 1100)::int + 10 AS first_day,
               least(40, 1 + floor(-ln(1 - {u("g", 2)}) * 13))::int AS visits,
               (ARRAY[7, 10, 14, 21])[1 + floor({u("g", 3)} * 4)::int] AS interval_days,
               {u("g", 4)} < 0.8 AS consent_email,
               -- share of routine emails the client does (skewed towards doing them)
               power({u("g", 5)}, 0.7) AS adherence,
               4 + floor({u("g", 6)} * 6) AS base_pain,
               -- how fast pain comes down: faster for those who do their routine; some not at all
               CASE WHEN {u("g", 7)} < 0.15 THEN 0.01 * {u("g", 8)}
                    ELSE 0.04 + 0.12 * power({u("g", 5)}, 0.7) + 0.12 * {u("g", 8)} END AS speed,
               {u("g", 9)} AS extra
        FROM generate_series(1, %(clients)s) g
        JOIN bench_clinic c ON g BETWEEN c.first_client AND c.last_client;
        ANALYZE bench_client;

        INSERT INTO clients_client (
            id, clinic_id, practitioner_id, first_name, last_name, email, phone, date_of_birth, address,
            timezone, routine_time, prefers_hands, consent_treatment, consent_treatment_at, consent_email,
            consent_email_at, medical_notes, physician_clearance, notes, archived_at, created_at, updated_at)
        SELECT id, clinic_id, practitioner_id,
               (%(first_names)s::text[])[1 + id %% cardinality(%(first_names)s::text[])],
               (%(last_names)s::text[])[1 + (id / 7) %% cardinality(%(last_names)s::text[])],
               'client' || id || '@example.org', '07700 ' || lpad((id %% 1000000)::text, 6, '0'),
               DATE '1950-01-01' + (extra * 18000)::int, '', tz, TIME '08:00',
               extra < 0.1, true, created, consent_email, CASE WHEN consent_email THEN created END,
               '', '', '', CASE WHEN extra > 0.97 THEN %(now)s END, created, created
        FROM bench_client, LATERAL (SELECT (first_day - 14 + TIME '10:00') AT TIME ZONE tz AS created) t
        ORDER BY id;
        """,
    ),
    (
        "appointments",
        f"""
        -- Visits every 7 to 21 days (give or take two), from three years ago to eight weeks ahead.
        CREATE TEMP TABLE bench_slot AS
        SELECT v.*,
               CASE WHEN day < %(anchor)s THEN
                        CASE WHEN status_u < 0.06 THEN 'no_show' WHEN status_u < 0.16 THEN 'cancelled'
                             ELSE 'attended' END
                    ELSE CASE WHEN status_u < 0.05 THEN 'cancelled' ELSE 'booked' END
               END AS status,
               row_number() OVER (PARTITION BY practitioner_id, day ORDER BY client_id, k) - 1 AS slot
        FROM (
            SELECT c.id AS client_id, c.clinic_id, c.tz, k, c.id * 64 + k AS key,
                   c.first_day + (k - 1) * c.interval_days + floor({u("c.id * 64 + k", 11)} * 5)::int - 2 AS day,
                   CASE WHEN {u("c.id * 64 + k", 12)} < 0.1
                        THEN c.pracs[1 + floor({u("c.id * 64 + k", 13)} * cardinality(c.pracs))::int]
                        ELSE c.practitioner_id END AS practitioner_id,
                   {u("c.id * 64 + k", 14)} AS status_u
            FROM bench_client c
            CROSS JOIN LATERAL generate_series(1, c.visits) k
        ) v
        WHERE day <= %(anchor)s::date + 56;

        -- 40-minute appointments every 45 minutes from 08:00 to 19:55: a practitioner never
        -- overlaps. A visit beyond a practitioner's day (rare: about 4.5 a day each) is not made.
        -- Most clients book the next visit at the desk after this one; others a day or two later.
        CREATE TEMP TABLE bench_visit AS
        SELECT s.*, row_number() OVER (ORDER BY starts_at, practitioner_id) AS id,
               CASE WHEN lag(starts_at) OVER w IS NULL
                        THEN starts_at - (1 + floor({u("key", 15)} * 14)) * INTERVAL '1 day'
                    WHEN {u("key", 16)} < 0.7 THEN lag(starts_at) OVER w + INTERVAL '50 minutes'
                    ELSE lag(starts_at) OVER w + (1 + floor({u("key", 17)} * 2)) * INTERVAL '1 day'
               END AS created_at
        FROM (SELECT *, (day + TIME '08:00' + slot * INTERVAL '45 minutes') AT TIME ZONE tz AS starts_at
              FROM bench_slot WHERE slot < {SLOTS_PER_DAY}) s
        WINDOW w AS (PARTITION BY client_id ORDER BY k);
        ANALYZE bench_visit;

        INSERT INTO appointments_appointment (
            id, clinic_id, client_id, practitioner_id, course_id, starts_at, ends_at, status, notes,
            cancel_reason, created_by_id, created_at, updated_at, sequence)
        SELECT id, clinic_id, client_id, practitioner_id, NULL, starts_at, starts_at + INTERVAL '40 minutes', status,
               '', CASE WHEN status = 'cancelled' THEN 'Client asked to move it' ELSE '' END, practitioner_id,
               created_at, greatest(created_at, least(starts_at + INTERVAL '1 hour', %(now)s)), 0
        FROM bench_visit ORDER BY id;
        """,
    ),
    (
        "sessions",
        f"""
        CREATE TEMP TABLE bench_session AS
        SELECT row_number() OVER (ORDER BY v.starts_at, v.id) AS id, v.id AS appointment_id, v.clinic_id,
               v.client_id, v.practitioner_id, v.starts_at, v.day,
               row_number() OVER (PARTITION BY v.client_id ORDER BY v.starts_at) AS number,
               c.base_pain, c.speed
        FROM bench_visit v JOIN bench_client c ON c.id = v.client_id
        WHERE v.status = 'attended';
        ANALYZE bench_session;

        -- Pain comes down over a client's sessions (faster for clients who do their routine),
        -- with noise; a few scores were not asked, a few sessions are not signed yet.
        INSERT INTO treatment_sessions_treatmentsession (
            id, clinic_id, appointment_id, client_id, practitioner_id, started_at, pain_before, pain_after,
            focus, notes, signed_at, signed_by_id, created_at, updated_at, clearance_override)
        SELECT id, clinic_id, appointment_id, client_id, practitioner_id, starts_at,
               CASE WHEN {u("id", 22)} >= 0.04 THEN before END,
               CASE WHEN {u("id", 23)} >= 0.04
                    THEN {clamp10(PAIN_AFTER)}
               END,
               (ARRAY['Lower back', 'Sleep', 'Stress', 'Headaches', 'Digestion', ''])[1 + id %% 6], '',
               CASE WHEN {u("id", 26)} < 0.97 THEN starts_at + INTERVAL '45 minutes' END,
               CASE WHEN {u("id", 26)} < 0.97 THEN practitioner_id END,
               starts_at + INTERVAL '5 minutes', starts_at + INTERVAL '45 minutes', ''
        FROM bench_session,
             LATERAL (SELECT {clamp10(PAIN_BEFORE)} AS before) b
        ORDER BY id;
        """,
    ),
    (
        "pressure notes",
        f"""
        CREATE TEMP TABLE bench_zones AS
        SELECT clinic_id, array_agg(id ORDER BY reflex_map, sort_order, id) AS ids,
               array_agg(sides ORDER BY reflex_map, sort_order, id) AS sides
        FROM treatment_sessions_reflexzone WHERE is_active GROUP BY clinic_id;

        -- 8 to 12 notes a session (10 on average), some zones far more often than others; a
        -- zone is tender more often in some clients, and less as their sessions go on.
        INSERT INTO treatment_sessions_pressurenote (
            session_id, clinic_id, started_at, zone_id, side, pressure, response, minutes, note, position)
        SELECT s.id, s.clinic_id, s.starts_at, z.ids[zi],
               CASE WHEN z.sides[zi] <> 'both' THEN z.sides[zi] WHEN j %% 2 = 0 THEN 'left' ELSE 'right' END,
               least(5, 1 + floor({u("s.id * 16 + j", 32)} * 4.4))::int,
               CASE WHEN r < tender * 0.45 THEN 'tender' WHEN r < tender * 0.65 THEN 'very_tender'
                    WHEN r < tender THEN 'gritty' WHEN r < tender + 0.15 THEN 'sensitive' ELSE 'none' END,
               1 + floor({u("s.id * 16 + j", 33)} * 5)::int, '', j
        FROM bench_session s
        JOIN bench_zones z ON z.clinic_id = s.clinic_id
        CROSS JOIN LATERAL generate_series(1, 8 + floor({u("s.id", 30)} * 5)::int) j
        CROSS JOIN LATERAL (
            SELECT 1 + floor(cardinality(z.ids) * power({u("s.id * 16 + j", 31)}, 1.6))::int AS zi,
                   {u("s.id * 16 + j", 34)} AS r
        ) p
        CROSS JOIN LATERAL (
            SELECT (0.08 + 0.4 * {u("z.ids[zi] * 4 + s.client_id %% 3", 35)})
                   * (1 - 0.04 * least(s.number, 10)) AS tender
        ) t
        ORDER BY s.id, j;
        """,
    ),
    (
        "routines",
        f"""
        -- One home routine from each consenting client's first session, four to twelve weeks
        -- long, every day or every other day.
        CREATE TEMP TABLE bench_routine AS
        SELECT row_number() OVER (ORDER BY s.starts_at, s.client_id) AS id, s.client_id, s.clinic_id, c.tz,
               s.id AS session_id, s.practitioner_id, s.day + 1 AS starts_on,
               s.day + 28 + floor({u("c.id", 41)} * 57)::int AS ends_on,
               CASE WHEN {u("c.id", 42)} < 0.5 THEN 1 ELSE 2 END AS step, c.adherence,
               c.base_pain, c.speed, c.interval_days, s.day AS first_day
        FROM bench_session s JOIN bench_client c ON c.id = s.client_id
        WHERE s.number = 1 AND c.consent_email AND s.day < %(anchor)s;

        INSERT INTO routines_routine (
            id, clinic_id, client_id, session_id, created_by_id, status, frequency, weekdays, every_n_days,
            starts_on, ends_on, paused_until, hands_reason, intro, assigned_at, stopped_at, stop_reason,
            created_at, updated_at)
        SELECT id, clinic_id, client_id, session_id, practitioner_id,
               CASE WHEN ends_on < %(anchor)s THEN 'ended' ELSE 'active' END,
               CASE WHEN step = 1 THEN 'daily' ELSE 'every_n_days' END, '[]'::jsonb, 2, starts_on, ends_on, NULL,
               '', '', at, NULL, '', at, at
        FROM bench_routine, LATERAL (SELECT (first_day + TIME '12:00') AT TIME ZONE tz AS at) t
        ORDER BY id;

        -- Routine emails up to today: most sent, a few failed or not sent; today's partly waiting.
        CREATE TEMP TABLE bench_delivery AS
        SELECT row_number() OVER (ORDER BY d, r.id) AS id, r.id AS routine_id, r.client_id, r.clinic_id, r.tz,
               d::date AS local_date, r.adherence, r.base_pain, r.speed, r.interval_days, r.first_day
        FROM bench_routine r
        CROSS JOIN LATERAL generate_series(
            r.starts_on::timestamp, least(r.ends_on, %(anchor)s)::timestamp, r.step * INTERVAL '1 day') d;
        ALTER TABLE bench_delivery ADD COLUMN status text;
        UPDATE bench_delivery SET status = CASE
            WHEN local_date = %(anchor)s THEN CASE WHEN {u("id", 51)} < 0.6 THEN 'pending' ELSE 'sent' END
            WHEN {u("id", 51)} < 0.03 THEN 'failed' WHEN {u("id", 51)} < 0.08 THEN 'skipped' ELSE 'sent' END;

        INSERT INTO routines_delivery (
            id, clinic_id, client_id, kind, routine_id, appointment_id, local_date, status, attempts,
            next_attempt_at, claimed_at, sent_at, last_error, created_at)
        SELECT id, clinic_id, client_id, 'routine', routine_id, NULL, local_date, status,
               CASE status WHEN 'sent' THEN 1 WHEN 'failed' THEN 8 ELSE 0 END, NULL, NULL,
               CASE WHEN status = 'sent' THEN due END,
               CASE WHEN status = 'failed' THEN '550 5.1.1 Mailbox unavailable' ELSE '' END, due
        FROM bench_delivery, LATERAL (SELECT (local_date + TIME '08:00') AT TIME ZONE tz AS due) t
        ORDER BY id;

        -- Appointment reminders of the last year: other emails the routine figures must leave out.
        INSERT INTO routines_delivery (
            id, clinic_id, client_id, kind, routine_id, appointment_id, local_date, status, attempts,
            next_attempt_at, claimed_at, sent_at, last_error, created_at)
        SELECT (SELECT count(*) FROM bench_delivery) + row_number() OVER (ORDER BY v.id), v.clinic_id, v.client_id,
               'reminder', NULL, v.id, v.day - 1, CASE WHEN v.day - 1 < %(anchor)s THEN 'sent' ELSE 'pending' END,
               CASE WHEN v.day - 1 < %(anchor)s THEN 1 ELSE 0 END, NULL, NULL,
               CASE WHEN v.day - 1 < %(anchor)s THEN v.starts_at - INTERVAL '1 day' END, '',
               v.starts_at - INTERVAL '1 day'
        FROM bench_visit v
        WHERE v.status <> 'cancelled' AND v.day BETWEEN %(anchor)s::date - 365 AND %(anchor)s::date + 1
        ORDER BY v.id;

        -- Check-ins from sent routine emails: "done" as often as the client does the routine,
        -- an at-home pain score now and then (coming down like the session scores).
        INSERT INTO routines_checkin (clinic_id, client_id, delivery_id, kind, pain, local_date, created_at)
        SELECT clinic_id, client_id, id, kind, pain, local_date, (local_date + TIME '20:00') AT TIME ZONE tz
        FROM (
            SELECT d.*, 'done' AS kind, NULL::smallint AS pain, 0 AS o FROM bench_delivery d
            WHERE d.status = 'sent' AND {u("d.id", 52)} < d.adherence
            UNION ALL
            SELECT d.*, 'pain',
                   {clamp10(HOME_PAIN)},
                   1
            FROM bench_delivery d
            WHERE d.status = 'sent' AND {u("d.id", 53)} < 0.3
        ) x
        ORDER BY local_date, id, o;
        """,
    ),
]

SEQUENCED = [
    "clients_client",
    "appointments_appointment",
    "treatment_sessions_treatmentsession",
    "treatment_sessions_pressurenote",
    "routines_routine",
    "routines_delivery",
    "routines_checkin",
]


def check_foreign_keys(cursor) -> None:
    """Every foreign key of the generated tables points at a row (the load ran without
    the per-row triggers): one anti-join per key."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
        WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
        """,
        [SEQUENCED],
    )
    for table, column, target, target_column in cursor.fetchall():
        cursor.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} x WHERE x.{target_column} = t.{column})"
        )
        if missing := cursor.fetchone()[0]:
            raise SystemExit(f"generator bug: {missing} rows of {table}.{column} point at no {target} row")
    # The notes' copies of their session's clinic and start (sessions.PressureNote).
    cursor.execute(
        "SELECT count(*) FROM treatment_sessions_pressurenote n JOIN treatment_sessions_treatmentsession s "
        "ON s.id = n.session_id WHERE (n.clinic_id, n.started_at) <> (s.clinic_id, s.started_at)"
    )
    if wrong := cursor.fetchone()[0]:
        raise SystemExit(f"generator bug: {wrong} pressure notes differ from their session's clinic or start")


def clinic_layout(clients: int, large_clients: int) -> list[tuple[str, str, str, int, int]]:
    """The network's clinics: name, slug, timezone, clients, practitioners; the large one
    first (LARGE_CLIENTS and the notes there)."""
    share = round(clients * LARGE_SHARE)
    large = min(large_clients, share) if large_clients else share
    rest = clients - large
    others = max(len(TOWNS), round(rest / OTHER_CLIENTS)) if large_clients else len(TOWNS)
    sizes = [large] + [rest // others + (1 if i < rest % others else 0) for i in range(others)]
    layout = []
    for n, size in enumerate(sizes):
        if n == 0:
            name, slug, tz = "Bench Large Reflexology", LARGE, "Europe/London"
        else:
            town, tz = TOWNS[(n - 1) % len(TOWNS)]
            round_ = (n - 1) // len(TOWNS)
            name = f"Bench {town}{f' {round_ + 1}' if round_ else ''} Reflexology"
            slug = f"bench-{town.lower()}{f'-{round_ + 1}' if round_ else ''}"
        layout.append((name, slug, tz, size, max(3, -(-size // CLIENTS_PER_PRACTITIONER))))
    return layout


@contextlib.contextmanager
def column_defaults():
    """The models' plain defaults as the columns' own while the generator inserts rows: it
    names the columns it knows, and a column added since then (a text left blank, a counter
    at 0) takes its model default rather than failing on NOT NULL."""
    from django.apps import apps
    from django.db import connection, models

    tables = set(SEQUENCED)
    columns = []
    with connection.schema_editor() as editor:
        for model in apps.get_models():
            if model._meta.db_table not in tables:
                continue
            for f in model._meta.local_concrete_fields:
                if f.null or f.primary_key or isinstance(f, models.DateField):
                    continue
                value = editor.effective_default(f)
                if value is None:
                    continue
                column = f"{editor.quote_name(model._meta.db_table)} ALTER COLUMN {editor.quote_name(f.column)}"
                editor.execute(f"ALTER TABLE {column} SET DEFAULT %s", [value])
                columns.append(column)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for column in columns:
                editor.execute(f"ALTER TABLE {column} DROP DEFAULT")


def generate_network(*, clients: int, large_clients: int, anchor: dt.date) -> dict:
    """Create the network in the (empty, migrated) database; returns what it made."""
    from django.db import connection, transaction

    from accounts.models import Clinic, User
    from accounts.services import staff_create
    from sessions import rollups

    london_now = dt.datetime.combine(anchor, dt.time.min, tzinfo=ZoneInfo("Europe/London"))
    bounds, first = [], 1
    layout = clinic_layout(clients, large_clients)
    with transaction.atomic():
        for n, (name, slug, tz, size, practitioners) in enumerate(layout):
            # The apps' own way: the post_save signals install the zones and the routine library.
            clinic = Clinic.objects.create(name=name, slug=slug, timezone=tz)
            staff_create(
                clinic=clinic,
                username=f"{slug}-owner",
                first_name="Olive",
                last_name=f"Owner {n + 1}",
                email=f"owner@{slug}.example.org",
                role=User.Role.OWNER,
            )
            pracs = [
                staff_create(
                    clinic=clinic,
                    username=f"{slug}-p{p + 1}",
                    first_name=FIRST_NAMES[(n * 5 + p) % len(FIRST_NAMES)],
                    last_name=f"Practitioner {p + 1}",
                    email=f"p{p + 1}@{slug}.example.org",
                    role=User.Role.PRACTITIONER,
                ).pk
                for p in range(practitioners)
            ]
            last = first + size - 1
            bounds.append((clinic.pk, tz, first, last, pracs))
            first = last + 1

    params = {
        "anchor": anchor,
        "now": london_now,
        "clients": clients,
        "first_names": FIRST_NAMES,
        "last_names": LAST_NAMES,
    }
    # A column added to a model since the generator was written takes its model default.
    with column_defaults(), connection.cursor() as cursor:
        # A bulk load: no JIT compilation of the generator's queries (seconds each), no
        # per-row foreign-key triggers (the rows are made consistent; checked after).
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET jit = off")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "CREATE TEMP TABLE bench_clinic"
            " (clinic_id bigint, tz text, first_client int, last_client int, pracs bigint[])"
        )
        for row in bounds:
            cursor.execute("INSERT INTO bench_clinic VALUES (%s, %s, %s, %s, %s)", list(row))
        for label, sql in GENERATE:
            started = time.monotonic()
            with transaction.atomic():
                for statement in [x for x in sql.split(";\n") if x.strip()]:
                    t0 = time.monotonic()
                    cursor.execute(statement, params)
                    if os.environ.get("BENCH_DEBUG"):
                        print(f"    {time.monotonic() - t0:6.2f} s  {statement.strip().splitlines()[-1][:80]}")
            print(f"  {label:<16} {time.monotonic() - started:6.1f} s", flush=True)
        for table in SEQUENCED:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        cursor.execute("SET session_replication_role = DEFAULT")
        started = time.monotonic()
        check_foreign_keys(cursor)
        print(f"  {'foreign keys':<16} {time.monotonic() - started:6.1f} s", flush=True)
        # The rows went in directly: the copies the reports keep of them, as the app makes them.
        started = time.monotonic()
        for clinic in Clinic.objects.order_by("pk"):
            with transaction.atomic():
                rollups.clinic_rebuilt(clinic)
        print(f"  {'report copies':<16} {time.monotonic() - started:6.1f} s", flush=True)
        started = time.monotonic()
        cursor.execute("VACUUM ANALYZE")
        print(f"  {'vacuum analyze':<16} {time.monotonic() - started:6.1f} s", flush=True)
        counts = {}
        for table in SEQUENCED:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("DISCARD TEMP")
        network = {
            "version": GENERATOR_VERSION,
            "clients": clients,
            "large_clients": large_clients,
            "clinics": len(layout),
            "anchor": anchor.isoformat(),
            "counts": counts,
        }
        cursor.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute("INSERT INTO bench_meta VALUES ('network', %s)", [json.dumps(network)])
    return network


def setup_django(url: str) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="reflexclinic.settings",
        # Off, as in production: no query log in memory while timing.
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-not-a-secret",
    )
    import django

    django.setup()


# --------------------------------------------------------------------------- hand-written SQL
#
# The same figures as reports.metrics, written straight in SQL (CTEs, FILTER, window
# functions), one statement per table. Parameters: see sql_params().

TS = "treatment_sessions_treatmentsession"

SQL = {
    "sessions-per-week": """
        WITH counted AS (
            SELECT date_trunc('week', started_at AT TIME ZONE %(tz)s)::date AS week, count(*) AS n
            FROM treatment_sessions_treatmentsession
            WHERE clinic_id = %(clinic)s AND started_at >= %(start_at)s AND started_at < %(end_at)s
              AND signed_at IS NOT NULL
            GROUP BY 1
        )
        SELECT w::date, coalesce(c.n, 0)
        FROM generate_series(%(monday)s::timestamp, %(end)s::timestamp, INTERVAL '1 week') w
        LEFT JOIN counted c ON c.week = w::date
        WHERE EXISTS (SELECT 1 FROM counted)
        ORDER BY 1
    """,
    "clients": """
        WITH per AS (
            SELECT client_id,
                   count(*) FILTER (WHERE started_at >= %(start_at)s) AS in_range,
                   count(*) FILTER (WHERE started_at < %(start_at)s) AS before
            FROM treatment_sessions_treatmentsession
            WHERE clinic_id = %(clinic)s AND started_at >= %(lapse_from)s AND started_at < %(end_at)s
              AND signed_at IS NOT NULL
            GROUP BY client_id
        )
        SELECT count(*) FILTER (WHERE in_range > 0),
               -- treated before the range: in the 90 days before it, or earlier still
               count(*) FILTER (WHERE in_range > 0 AND (before > 0 OR EXISTS (
                   SELECT 1 FROM treatment_sessions_treatmentsession e
                   WHERE e.client_id = per.client_id AND e.started_at < %(lapse_from)s
                     AND e.signed_at IS NOT NULL))),
               count(*) FILTER (WHERE in_range = 0 AND before > 0)
        FROM per
    """,
    "practitioners": """
        WITH worked AS (
            SELECT practitioner_id, count(*) AS sessions, count(DISTINCT client_id) AS clients
            FROM treatment_sessions_treatmentsession
            WHERE clinic_id = %(clinic)s AND started_at >= %(start_at)s AND started_at < %(end_at)s
              AND signed_at IS NOT NULL
            GROUP BY practitioner_id
        ), booked AS (
            SELECT practitioner_id, count(*) AS total,
                   count(*) FILTER (WHERE status = 'attended') AS attended,
                   count(*) FILTER (WHERE status = 'no_show') AS no_shows,
                   count(*) FILTER (WHERE status = 'cancelled') AS cancelled
            FROM appointments_appointment
            WHERE clinic_id = %(clinic)s AND starts_at >= %(start_at)s AND starts_at < %(end_at)s
              AND starts_at < %(now)s
            GROUP BY practitioner_id
        )
        SELECT u.first_name, u.last_name, u.username, coalesce(w.sessions, 0), coalesce(w.clients, 0),
               coalesce(b.attended, 0), coalesce(b.no_shows, 0), coalesce(b.cancelled, 0), coalesce(b.total, 0)
        FROM worked w FULL JOIN booked b USING (practitioner_id)
        JOIN accounts_user u ON u.id = practitioner_id
    """,
    "appointments": """
        -- Rebooked: the earliest booking of the client's later, not cancelled appointments
        -- falls on or before this one's clinic-local day (one pass, latest first: MIN over
        -- the rows before, a frame that only grows).
        WITH a AS (
            SELECT status, starts_at < %(now)s AND starts_at < %(end_at)s AS past,
                   (starts_at AT TIME ZONE %(tz)s)::date AS day,
                   (min(created_at) FILTER (WHERE status <> 'cancelled') OVER (
                       PARTITION BY client_id ORDER BY starts_at DESC, id DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                   ) AT TIME ZONE %(tz)s)::date AS next_booked_on
            FROM appointments_appointment
            WHERE clinic_id = %(clinic)s AND starts_at >= %(start_at)s
        )
        SELECT count(*), count(*) FILTER (WHERE status = 'attended'), count(*) FILTER (WHERE status = 'no_show'),
               count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE status = 'booked'),
               count(*) FILTER (WHERE status = 'attended' AND next_booked_on <= day)
        FROM a WHERE past
    """,
    "routines": """
        SELECT e.*, p.*
        FROM (
            SELECT count(*), count(*) FILTER (WHERE d.status = 'sent'), count(*) FILTER (WHERE d.status = 'failed'),
                   count(*) FILTER (WHERE d.status = 'skipped'),
                   count(*) FILTER (WHERE d.status IN ('pending', 'sending'))
            FROM routines_delivery d
            WHERE d.clinic_id = %(clinic)s AND d.local_date BETWEEN %(start)s AND %(end)s AND d.kind = 'routine'
        ) e, (
            -- A check-in records its email's day: the range's answers come from the check-ins'
            -- day index ("done" links exist only in routine emails that went out). A pain score
            -- corrected the same day keeps its earlier answer as kind 'pain_replaced', so kind
            -- 'pain' is the latest answer of each email.
            SELECT count(*) FILTER (WHERE kind = 'done'),
                   count(*) FILTER (WHERE kind = 'pain' AND pain IS NOT NULL),
                   avg(pain) FILTER (WHERE kind = 'pain')
            FROM routines_checkin
            WHERE clinic_id = %(clinic)s AND local_date BETWEEN %(start)s AND %(end)s
        ) p
    """,
}

# The four outcome tables in one statement, as metrics computes them (the history of the
# clients active in the range is read once), written independently: PostgreSQL's FILTER,
# array_agg and windowed min() instead of metrics' portable CASE and arithmetic.
# Rows: part 1 per session number (number, -, sessions, mean before, mean after); part 2
# first to latest (-, -, clients, mean first, mean latest, improved, same, worse); part 3
# per adherence band and relief bucket (band, bucket 0 = not yet, clients, relieved,
# sum of sessions to relief).
SQL["outcomes"] = """
    WITH active AS (
        SELECT client_id, bool_or(pain_before IS NOT NULL) AS scored_in_range
        FROM treatment_sessions_treatmentsession
        WHERE clinic_id = %(clinic)s AND started_at >= %(start_at)s AND started_at < %(end_at)s
              AND signed_at IS NOT NULL
        GROUP BY client_id
    ), history AS (
        SELECT s.client_id, s.id, s.started_at, s.pain_before, s.pain_after, a.scored_in_range,
               row_number() OVER w AS number,
               first_value(s.pain_before) OVER w AS first_pain
        FROM treatment_sessions_treatmentsession s JOIN active a USING (client_id)
        WHERE s.clinic_id = %(clinic)s AND s.started_at < %(end_at)s AND s.signed_at IS NOT NULL
        WINDOW w AS (PARTITION BY s.client_id ORDER BY s.started_at, s.id)
    ), relief_at AS (
        SELECT client_id, started_at,
               min(started_at) FILTER (WHERE pain_after <= 2 OR pain_after * 2 <= first_pain)
                   OVER (PARTITION BY client_id) AS relief_at
        FROM history
    ), relief AS (
        SELECT client_id, nullif(count(*) FILTER (WHERE started_at <= relief_at), 0) AS relief
        FROM relief_at GROUP BY client_id
    ), per AS (
        SELECT h.client_id, bool_or(h.scored_in_range) AS scored_in_range,
               count(h.pain_before) AS scored,
               (array_agg(h.pain_before ORDER BY h.started_at, h.id) FILTER (WHERE h.pain_before IS NOT NULL))[1]
                   AS first,
               (array_agg(h.pain_before ORDER BY h.started_at DESC, h.id DESC)
                   FILTER (WHERE h.pain_before IS NOT NULL))[1] AS latest,
               r.relief
        FROM history h JOIN relief r USING (client_id) GROUP BY h.client_id, r.relief
    ), adherence AS MATERIALIZED (
        SELECT p.relief, s.sent, o.done
        FROM per p
        CROSS JOIN LATERAL (
            SELECT count(*) AS sent FROM routines_delivery d
            WHERE d.client_id = p.client_id AND d.kind = 'routine' AND d.status = 'sent' AND d.local_date <= %(end)s
        ) s
        CROSS JOIN LATERAL (
            -- (a "done" link exists only in a sent routine email, and records its day)
            SELECT count(*) AS done FROM routines_checkin c
            WHERE c.client_id = p.client_id AND c.kind = 'done' AND c.local_date <= %(end)s
        ) o
    )
    SELECT 1, least(number, 10), NULL::int, count(*)::numeric, avg(pain_before), avg(pain_after),
           NULL::numeric, NULL::numeric, NULL::numeric
    FROM history WHERE started_at >= %(start_at)s GROUP BY 2
    UNION ALL
    SELECT 2, NULL, NULL, count(*), avg(first), avg(latest), count(*) FILTER (WHERE latest < first),
           count(*) FILTER (WHERE latest = first), count(*) FILTER (WHERE latest > first)
    FROM per WHERE scored_in_range AND scored >= 2
    UNION ALL
    -- (not least(relief, 10): LEAST skips NULLs, and NULL is "not yet")
    SELECT 3, CASE WHEN sent = 0 THEN 0 WHEN done * 4 < sent THEN 1 WHEN done * 4 < sent * 3 THEN 2 ELSE 3 END,
           CASE WHEN relief IS NULL THEN 0 WHEN relief >= 10 THEN 10 ELSE relief END,
           count(*), count(relief), sum(relief), NULL, NULL, NULL
    FROM adherence GROUP BY 2, 3
"""
OUTCOMES = ("pain-by-session-number", "first-to-latest", "sessions-to-relief", "adherence-bands")
SHARED = dict.fromkeys(OUTCOMES, "outcomes")
SQL["zones"] = """
    SELECT z.name, z.reflex_map, t.times, t.tender
    FROM (
        SELECT n.zone_id, count(*) AS times,
               count(*) FILTER (WHERE n.response IN ('tender', 'very_tender', 'gritty')) AS tender
        FROM treatment_sessions_pressurenote n
        -- (a note carries its session's clinic and start: the range from the notes' own index;
        -- the notes of the range's drafts left out)
        WHERE n.clinic_id = %(clinic)s AND n.started_at >= %(start_at)s AND n.started_at < %(end_at)s
          AND NOT EXISTS (
              SELECT 1 FROM treatment_sessions_treatmentsession s
              WHERE s.id = n.session_id AND s.clinic_id = %(clinic)s AND s.started_at >= %(start_at)s
                AND s.started_at < %(end_at)s AND s.signed_at IS NULL)
        GROUP BY n.zone_id
    ) t
    JOIN treatment_sessions_reflexzone z ON z.id = t.zone_id
    ORDER BY t.times DESC, z.name, z.id
    LIMIT 20
"""


# The same figures from the copies the reports keep (sessions.rollups), hand-written too:
# what build() is held to (within WITHIN of these), while the statements above over the raw
# rows check every figure. A statement not named here reads no copy, so the raw one serves.
# The outcome figures take each active client's latest session in the range (DISTINCT ON)
# and its copies of the client's history so far; the zones sum the notes per day.
SQL_ROLLUPS = dict(SQL)
SQL_ROLLUPS["outcomes"] = """
    WITH s AS MATERIALIZED (
        SELECT client_id, history_number, history_scored, history_first_score, history_latest_score,
               history_relief, pain_before, pain_after
        FROM treatment_sessions_treatmentsession
        WHERE clinic_id = %(clinic)s AND started_at >= %(start_at)s AND started_at < %(end_at)s
              AND signed_at IS NOT NULL
    ), latest AS (
        SELECT DISTINCT ON (client_id) client_id, history_scored AS scored, history_first_score AS first,
               history_latest_score AS latest, history_relief AS relief
        FROM s ORDER BY client_id, history_number DESC
    ), per AS MATERIALIZED (
        SELECT l.*, a.scored_in_range, sent.n AS sent, done.n AS done
        FROM latest l
        JOIN (SELECT client_id, bool_or(pain_before IS NOT NULL) AS scored_in_range FROM s GROUP BY client_id) a
            USING (client_id)
        CROSS JOIN LATERAL (
            SELECT count(*) AS n FROM routines_delivery d
            WHERE d.client_id = l.client_id AND d.kind = 'routine' AND d.status = 'sent' AND d.local_date <= %(end)s
        ) sent
        CROSS JOIN LATERAL (
            SELECT count(*) AS n FROM routines_checkin c
            WHERE c.client_id = l.client_id AND c.kind = 'done' AND c.local_date <= %(end)s
        ) done
    )
    SELECT 1, least(history_number, 10), NULL::int, count(*)::numeric, avg(pain_before), avg(pain_after),
           NULL::numeric, NULL::numeric, NULL::numeric
    FROM s GROUP BY 2
    UNION ALL
    SELECT 2, NULL, NULL, count(*), avg(first), avg(latest), count(*) FILTER (WHERE latest < first),
           count(*) FILTER (WHERE latest = first), count(*) FILTER (WHERE latest > first)
    FROM per WHERE scored_in_range AND scored >= 2
    UNION ALL
    SELECT 3, CASE WHEN sent = 0 THEN 0 WHEN done * 4 < sent THEN 1 WHEN done * 4 < sent * 3 THEN 2 ELSE 3 END,
           CASE WHEN relief IS NULL THEN 0 WHEN relief >= 10 THEN 10 ELSE relief END,
           count(*), count(relief), sum(relief), NULL, NULL, NULL
    FROM per GROUP BY 2, 3
"""
SQL_ROLLUPS["zones"] = """
    SELECT z.name, z.reflex_map, t.times, t.tender
    FROM (
        SELECT zone_id, sum(times) AS times, sum(tender) AS tender
        FROM treatment_sessions_zoneday
        WHERE clinic_id = %(clinic)s AND day BETWEEN %(start)s AND %(end)s
        GROUP BY zone_id
    ) t
    JOIN treatment_sessions_reflexzone z ON z.id = t.zone_id
    ORDER BY t.times DESC, z.name, z.id
    LIMIT 20
"""


def sql_params(scope) -> dict:
    return {
        "clinic": scope.clinic.pk,
        "tz": scope.clinic.timezone,
        "start": scope.start,
        "end": scope.end,
        "monday": scope.start - dt.timedelta(days=scope.start.weekday()),
        "start_at": scope.start_at,
        "end_at": scope.end_at,
        "lapse_from": scope.local_midnight(scope.start - dt.timedelta(days=90)),
        "now": scope.as_of,
    }


def sql_rows(slug: str, params: dict, memo: dict, statements: dict = SQL) -> list[tuple]:
    """The rows of one table as reports.metrics shapes them, from the hand-written SQL
    (`statements`: SQL over the raw rows, or SQL_ROLLUPS over the copies).
    `memo`: one run's results of statements that serve two tables (SHARED)."""
    from django.db import connection

    from reports.tables import mean, percent
    from sessions.models import ReflexMap

    statement = SHARED.get(slug, slug)
    if statement not in memo:
        with connection.cursor() as cursor:
            cursor.execute(statements[statement], params)
            memo[statement] = cursor.fetchall()
    rows = memo[statement]
    if slug == "sessions-per-week":
        return rows
    if slug == "clients":
        active, returning, lapsed = rows[0]
        if not (active or lapsed):
            return []
        return [("Active", active), ("New", active - returning), ("Returning", returning), ("Lapsed", lapsed)]
    if slug == "practitioners":
        people = sorted(((f"{r[0]} {r[1]}".strip() or r[2], *r[3:]) for r in rows), key=lambda p: p[0].lower())
        return [(name, s, c, a, n, x, percent(n, total)) for name, s, c, a, n, x, total in people]
    if slug == "appointments":
        total, attended, no_shows, cancelled, booked, rebooked = rows[0]
        if not total:
            return []
        return [
            ("Attended", attended, percent(attended, total)),
            ("No-show", no_shows, percent(no_shows, total)),
            ("Cancelled", cancelled, percent(cancelled, total)),
            ("Not recorded", booked, percent(booked, total)),
            ("Rebooked", rebooked, percent(rebooked, attended)),
        ]
    if slug == "routines":
        due, sent, failed, skipped, waiting, done, pains, pain = rows[0]
        if not (due or pains):
            return []
        return [
            ("Emails due", due),
            ("Sent", sent),
            ("Failed", failed),
            ("Not sent", skipped),
            ("Still waiting", waiting),
            ("Adherence", percent(done, sent)),
            ("Pain check-ins", pains),
            ("Mean at-home pain", mean(pain)),
        ]
    if slug in OUTCOMES:
        # The rows of this table's part, counts as whole numbers (UNION ALL made them numeric).
        part = {"pain-by-session-number": 1, "first-to-latest": 2}.get(slug, 3)
        rows = [
            tuple(int(v) if isinstance(v, Decimal) and v == int(v) else v for v in r[1:]) for r in rows if r[0] == part
        ]
    if slug == "pain-by-session-number":
        by_number = {r[0]: r[2:5] for r in rows}
        return [
            ("10+" if n == 10 else n, *(lambda r: (r[0], mean(r[1]), mean(r[2])))(by_number.get(n, (0, None, None))))
            for n in range(1, max(by_number, default=0) + 1)
        ]
    if slug == "first-to-latest":
        clients, first, latest, improved, same, worse = rows[0][2:] if rows else (0,) * 6
        if not clients:
            return []
        return [
            ("Clients", clients),
            ("Mean first pain", mean(first)),
            ("Mean latest pain", mean(latest)),
            ("Mean change", round(float(latest) - float(first), 1)),
            ("Improved", improved),
            ("Same", same),
            ("Worse", worse),
        ]
    if slug == "sessions-to-relief":
        counts: dict[int, int] = {}
        for _band, bucket, clients, *_ in rows:
            counts[bucket] = counts.get(bucket, 0) + clients
        if not counts:
            return []
        labels = [*range(1, 10), "10+", "Not yet"]
        return [(label, counts.get(key, 0)) for label, key in zip(labels, [*range(1, 11), 0], strict=True)]
    if slug == "adherence-bands":
        bands: dict[int, list[int]] = {}
        for band, _bucket, clients, relieved, total, *_ in rows:
            acc = bands.setdefault(band, [0, 0, 0])
            acc[0], acc[1], acc[2] = acc[0] + clients, acc[1] + relieved, acc[2] + (total or 0)
        if not bands:
            return []
        names = ["No routine emails", "Under 25%", "25-74%", "75% or more"]
        return [
            (name, c, r, mean(t / r) if r else None)
            for name, (c, r, t) in ((name, bands.get(i, [0, 0, 0])) for i, name in enumerate(names))
        ]
    if slug == "zones":
        charts = dict(ReflexMap.choices)
        return [(name, charts.get(m, m), times, tender, percent(tender, times)) for name, m, times, tender in rows]
    raise KeyError(slug)


# --------------------------------------------------------------------------- timing


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def same_rows(orm: list[tuple], sql: list[tuple]) -> bool:
    """Equal cell by cell (the ORM's rows may carry extra text columns, e.g. definitions)."""
    if len(orm) != len(sql):
        return False
    for a, b in zip(orm, sql, strict=True):
        for x, y in zip(a, b, strict=False):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or abs(float(x) - float(y)) > 1e-9:
                    return False
            elif x != y:
                return False
    return True


def compare_range(scope, repeat: int) -> tuple[list[tuple], list[str], int]:
    """Each run builds every table (what metrics.build does: the tables in turn), timing
    each table's ORM function, then its hand-written SQL over the copies the reports keep,
    then its hand-written SQL over the raw rows, so all three see the same load; a run's
    total is the sum of its tables. Returns per table and for the total the median ORM,
    SQL-over-the-copies and raw SQL milliseconds, any table whose rows differ (build()'s
    or the copies' SQL against the raw rows' SQL), and build()'s queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import metrics

    params = sql_params(scope)
    mismatches = []
    with CaptureQueriesContext(connection) as queries:  # warm-up, and the comparison
        built = metrics.build(scope)
    raw_memo: dict = {}
    rollup_memo: dict = {}
    for slug, table in built.items():
        sql = sql_rows(slug, params, raw_memo)
        if not same_rows(table.rows, sql):
            mismatches.append(f"{slug}:\n    ORM {table.rows}\n    SQL {sql}")
        over_rollups = sql_rows(slug, params, rollup_memo, SQL_ROLLUPS)
        if not same_rows(over_rollups, sql):
            mismatches.append(f"{slug} (SQL over the copies):\n    copies {over_rollups}\n    raw    {sql}")
    times = {slug: ([], [], []) for slug in [*metrics.TABLES, "total"]}
    for _ in range(repeat):
        run = [0.0, 0.0, 0.0]
        # A fresh Scope and SQL memo per run, as each page gets: a statement that serves
        # two tables is timed once per run, in the first table that asks for it.
        run_scope, raw_memo, rollup_memo = dataclasses.replace(scope), {}, {}
        for slug, table_fn in metrics.TABLES.items():
            spent = (
                timed(lambda fn=table_fn, sc=run_scope: fn(sc))[0],
                timed(lambda s=slug, m=rollup_memo: sql_rows(s, params, m, SQL_ROLLUPS))[0],
                timed(lambda s=slug, m=raw_memo: sql_rows(s, params, m))[0],
            )
            for i, ms in enumerate(spent):
                times[slug][i].append(ms)
                run[i] += ms
        for i, ms in enumerate(run):
            times["total"][i].append(ms)
    results = [(slug, *(statistics.median(t) for t in three)) for slug, three in times.items()]
    return results, mismatches, len(queries)


def page_ms(owner, scope, repeat: int) -> tuple[float, float]:
    """Median milliseconds of the dashboard page (test client, logged in as the owner) and
    of build() for the same range, alternating the two so both see the same load."""
    from django.conf import settings
    from django.test import Client, override_settings
    from django.urls import reverse

    from reports import metrics

    browser = Client()
    browser.force_login(owner)
    url = reverse("reports:dashboard") + f"?range=custom&start={scope.start:%Y-%m-%d}&end={scope.end:%Y-%m-%d}"
    # Plain static names: hashed ones need collectstatic's manifest, and the bench times the
    # page's queries and rendering, not static file names.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    override_settings(STORAGES=plain).enable()
    # Over HTTPS, as production serves it (DEBUG off redirects plain HTTP).
    response = browser.get(url, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"the dashboard answered {response.status_code} to {url}")
    # The page's own scope: the same days, "now" being now.
    pages, builds = [], []
    for _ in range(repeat):
        pages.append(timed(lambda: browser.get(url, secure=True))[0])
        page_scope = type(scope)(scope.clinic, scope.start, scope.end, now=None)
        builds.append(timed(lambda sc=page_scope: metrics.build(sc))[0])
    return statistics.median(pages), statistics.median(builds)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def large_clinic_counts(clinic) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM clients_client WHERE clinic_id = %(c)s),
                   (SELECT count(*) FROM treatment_sessions_treatmentsession WHERE clinic_id = %(c)s),
                   (SELECT count(*) FROM treatment_sessions_pressurenote WHERE clinic_id = %(c)s)
            """,
            {"c": clinic.pk},
        )
        clients, sessions, notes = cursor.fetchone()
    return {"clients": clients, "sessions": sessions, "pressure notes": notes}


def code_version() -> str:
    """The commit of reports/ the run measured, and whether the working tree differs from it."""
    import subprocess

    def git(*cmd: str) -> str:
        result = subprocess.run(["git", *cmd], cwd=BASE_DIR, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    commit = git("log", "-1", "--format=%h", "--", "reports") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--", "reports") else "")


def switch_database(url: str) -> None:
    """Point Django's connection at another benchmark database (one per network size)."""
    from django.conf import settings
    from django.db import connection

    connection.close()
    name = database_name(url)
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def measure(args: argparse.Namespace, clients: int, url: str) -> dict:
    """Generate (or reuse) the network of `clients` in `url`, time it, print the figures;
    returns the large clinic's totals for the growth table."""
    ensure_database(url, recreate=False)
    network = stored_network(url)
    fresh = (
        args.regenerate
        or network is None
        or network.get("version") != GENERATOR_VERSION
        or network.get("clients") != clients
        or network.get("large_clients") != args.large_clients
    )
    if fresh:
        ensure_database(url, recreate=True)
    switch_database(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if not fresh:
        # A migration may just have rewritten every session (the reports' copies of the
        # clients' histories): vacuumed, as autovacuum would soon, so the timing reads the
        # copies from the index as it would on a settled database.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE treatment_sessions_treatmentsession, treatment_sessions_zoneday")
    if fresh:
        from django.utils import timezone

        anchor = timezone.localdate()
        print(f"Generating a clinic network of {clients:,} clients in {url} ...", flush=True)
        started = time.monotonic()
        network = generate_network(clients=clients, large_clients=args.large_clients, anchor=anchor)
        print(f"  generated in {time.monotonic() - started:.0f} s", flush=True)
    else:
        print(f"Using the network generated for {network['anchor']} in {url} (--regenerate to redo it)")

    from accounts.models import Clinic, User
    from reports import metrics
    from reports.forms import RANGE_CHOICES
    from reports.scope import Scope, preset_range

    clinic = Clinic.objects.get(slug=LARGE)
    owner = User.objects.get(clinic=clinic, role=User.Role.OWNER)
    anchor = dt.date.fromisoformat(network["anchor"])
    # "Now" is the start of the network's today, whenever the benchmark runs.
    now = dt.datetime.combine(anchor, dt.time.min, tzinfo=ZoneInfo(clinic.timezone))
    # The dashboard's own presets, named as its filter names them ("This year", "Last 4 weeks").
    ranges = [(dict(RANGE_CHOICES)[preset].lower(), preset) for preset in ("year", "4w")]
    scopes = [
        (label, Scope(clinic, *preset_range(preset, anchor), practitioner=None, now=now)) for label, preset in ranges
    ]

    counts = network["counts"]
    large = large_clinic_counts(clinic)
    print()
    print(f"Network ({network['clinics']} clinics)")
    print(
        f"  clients {counts['clients_client']:,}, sessions {counts['treatment_sessions_treatmentsession']:,}, "
        f"pressure notes {counts['treatment_sessions_pressurenote']:,}, appointments "
        f"{counts['appointments_appointment']:,}, routine and reminder emails {counts['routines_delivery']:,}, "
        f"check-ins {counts['routines_checkin']:,}"
    )
    print(f"Large clinic: {clinic.name}, owner's view (the whole clinic)")
    print("  " + ", ".join(f"{name} {n:,}" for name, n in large.items()))
    with connection.cursor() as cursor:
        if args.jit != "server":
            cursor.execute(f"SET jit = {args.jit}")
        cursor.execute("SELECT current_setting('server_version'), current_setting('jit')")
        version, jit = cursor.fetchone()
    print(
        f"PostgreSQL {version} (jit {jit}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"median of {args.repeat} runs after a warm-up"
    )
    print(f"reports/ at {code_version()}")

    mismatches, summary = [], []
    for label, scope in scopes:
        print(f"\nTiming {label} ...", flush=True)
        results, wrong, queries = compare_range(scope, args.repeat)
        mismatches += [f"{label}: {m}" for m in wrong]
        print(f"Dashboard figures, {label} ({scope.start} to {scope.end}), {queries} queries for build()")
        print(f"  {'Table':<26}{'ORM ms':>10}{'SQL ms':>10}{'ratio':>8}{'raw SQL ms':>12}{'speed-up':>10}")
        for slug, orm, sql, raw in results:
            if slug == "total":
                print(f"  {'-' * 76}")
            print(
                f"  {slug:<26}{orm:>10.1f}{sql:>10.1f}{ratio(orm, sql):>8}{raw:>12.1f}{ratio(raw, orm):>10}",
                flush=True,
            )
        summary.append((label, scope, *results[-1][1:]))
        print(
            "  total: build(), i.e. the ten tables in turn; SQL: the ten statements in turn, over the copies the "
            "reports keep (ratio: ORM / SQL); raw SQL: over the raw rows (speed-up: raw SQL / ORM)",
            flush=True,
        )

    label, scope, orm_total, sql_total, raw_total = summary[0]
    page_runs = min(args.repeat, 3)
    print(f"\nTiming the dashboard page ({label}) ...", flush=True)
    page, page_build = page_ms(owner, scope, page_runs)
    print(
        f"Dashboard page, {label} (test client, owner, median of {page_runs}): {page:.1f} ms; build() "
        f"alternating with it {page_build:.1f} ms: the view (heat map, charts, template) adds "
        f"{page - page_build:.1f} ms"
    )

    print()
    print(f"Targets (well under a second: at most {WELL_UNDER_MS} ms; within {WITHIN:g}x of the SQL)")
    for label, _scope, orm_total, sql_total, raw_total in summary:
        fast = "met" if orm_total <= WELL_UNDER_MS else "NOT met"
        close = "met" if orm_total <= WITHIN * sql_total else "NOT met"
        print(
            f"  {label:<14} build() {orm_total:7.1f} ms: well under a second: {fast}; "
            f"{orm_total / sql_total:.2f}x the hand-written SQL over the copies ({sql_total:.1f} ms), within "
            f"{WITHIN:g}x: {close}; {raw_total / orm_total:.2f}x faster than the SQL over the raw rows "
            f"({raw_total:.1f} ms)"
        )
    fast = "met" if page <= WELL_UNDER_MS else "NOT met"
    print(f"  {summary[0][0]:<14} page    {page:7.1f} ms: well under a second: {fast}")
    if mismatches:
        print()
        print("MISMATCH between reports.metrics and the hand-written SQL:")
        for m in mismatches:
            print("  " + m)
    else:
        print(
            f"  every table equals the hand-written SQL's over the raw rows ({len(metrics.TABLES)} tables, "
            f"{len(scopes)} ranges; build() and the SQL over the copies)"
        )
    year = summary[0]
    return {
        "clients": clients,
        "clinics": network["clinics"],
        "large": large,
        "build": year[2],
        "sql": year[3],
        "raw": year[4],
        "page": page,
        "mismatches": len(mismatches),
    }


def growth_table(rows: list[dict]) -> None:
    print()
    print('Growth: "this year" for the large clinic (owner\'s view) as the network grows')
    print(
        f"  {'clients':>8}{'clinics':>9}{'large clinic':>14}{'its notes':>11}"
        f"{'build() ms':>12}{'page ms':>9}{'SQL ms':>8}{'build/SQL':>11}{'raw SQL ms':>12}{'raw/build':>11}"
    )
    for r in rows:
        print(
            f"  {r['clients']:>8,}{r['clinics']:>9}{r['large']['clients']:>14,}{r['large']['pressure notes']:>11,}"
            f"{r['build']:>12.1f}{r['page']:>9.1f}{r['sql']:>8.1f}{ratio(r['build'], r['sql']):>11}"
            f"{r['raw']:>12.1f}{ratio(r['raw'], r['build']):>11}"
        )


def size_url(url: str, clients: int, several: bool) -> str:
    """One database per network size when several are measured: rc_bench_24000, ..."""
    if not several:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path}_{clients}"))


def main() -> int:
    args = parse_args()
    several = len(args.clients) > 1
    urls = [size_url(args.database_url, clients, several) for clients in args.clients]
    for url in urls:
        database_name(url)
    ensure_database(urls[0], recreate=False)
    setup_django(urls[0])
    rows = []
    for clients, url in zip(args.clients, urls, strict=True):
        if several:
            print(f"\n===== {clients:,} clients in the network =====", flush=True)
        rows.append(measure(args, clients, url))
    growth_table(rows)

    command_args = f"--clients {','.join(str(c) for c in args.clients)} --repeat {args.repeat}"
    if args.large_clients != LARGE_CLIENTS:
        command_args += f" --large-clients {args.large_clients}"
    if args.jit != "server":
        command_args += f" --jit {args.jit}"
    if args.database_url != DEFAULT_DATABASE_URL:
        command_args += f" --database-url {args.database_url}"
    print()
    print(f"Reproduce: make bench-dashboard BENCH_ARGS={shlex.quote(command_args)}")
    print(f"       or: .venv/bin/python bench/dashboard.py {command_args}   (add --regenerate for a fresh network)")
    return 1 if any(r["mismatches"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
