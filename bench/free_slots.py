"""Benchmark: free slots for the public booking page and for a whole booking horizon.

Builds one busy clinic in a PostgreSQL database of its own (DROPPED and created again):
--practitioners practitioners, each working Monday to Friday 09:00-12:00 and 13:00-17:00,
with the next --weeks weeks about two-thirds booked (hourly appointments, every third one
cancelled), an afternoon of time off a week, and a few clients' holds. Then times
`booking.slots.free_slots` for "anyone" over one week (the public page) and over the whole
horizon, median of --repeat runs after a warm-up, and counts its queries (one per table,
whatever the number of days). Prints the figures and the command that reproduces them.

    .venv/bin/python bench/free_slots.py
    .venv/bin/python bench/free_slots.py --practitioners 20 --weeks 12 --repeat 15
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dashboard


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--practitioners", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=8, help="booking horizon, filled with appointments")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/reflexclinic_bench_slots",
        help="PostgreSQL database for the run: DROPPED and created again",
    )
    return parser.parse_args()


def build(practitioners: int, weeks: int):
    from accounts.localtime import local_to_utc, local_today, local_zone
    from accounts.models import Clinic, User
    from appointments.models import Appointment, TimeOff, TreatmentType, WorkingHours
    from booking.models import BookingHold, BookingSettings
    from clients.models import Client

    clinic = Clinic.objects.create(name="Bench Reflexology", slug="bench", timezone="Europe/London")
    BookingSettings.objects.create(clinic=clinic, online=True, horizon_weeks=weeks)
    treatment = TreatmentType.objects.create(clinic=clinic, name="Foot reflexology", duration_minutes=60)
    staff = [User.objects.create(username=f"p{n}", first_name=f"P{n}", clinic=clinic) for n in range(practitioners)]
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, practitioner=p, weekday=d, starts=dt.time(a), ends=dt.time(b))
        for p in staff
        for d in range(5)
        for a, b in ((9, 12), (13, 17))
    )
    tz, today = local_zone(clinic), local_today(clinic)
    appointments, time_off, n = [], [], 0
    for offset in range(weeks * 7 + 1):
        day = today + dt.timedelta(days=offset)
        if day.weekday() > 4:
            continue
        for p in staff:
            if day.weekday() == (p.pk % 5):
                time_off.append(
                    TimeOff(
                        clinic=clinic,
                        practitioner=p,
                        starts_at=local_to_utc(day, dt.time(13), tz),
                        ends_at=local_to_utc(day, dt.time(17), tz),
                    )
                )
            for hour in (9, 10, 11, 13, 14, 15, 16):
                n += 1
                if n % 3 == 0:
                    continue  # a free hour
                start = local_to_utc(day, dt.time(hour), tz)
                appointments.append(
                    Appointment(
                        clinic=clinic,
                        practitioner=p,
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=1),
                        treatment_type=treatment,
                        status=Appointment.Status.CANCELLED if n % 5 == 0 else Appointment.Status.BOOKED,
                    )
                )
    # One client per appointment: the clients' own no-overlap constraint is not the point here.
    clients = Client.objects.bulk_create(
        (Client(clinic=clinic, first_name=f"C{i}", last_name="Bench") for i in range(len(appointments))),
        batch_size=2000,
    )
    for appointment, client in zip(appointments, clients, strict=True):
        appointment.client = client
    Appointment.objects.bulk_create(appointments, batch_size=2000)
    TimeOff.objects.bulk_create(time_off)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    BookingHold.objects.bulk_create(
        BookingHold(
            clinic=clinic,
            practitioner=p,
            treatment_type=treatment,
            starts_at=local_to_utc(today + dt.timedelta(days=7), dt.time(9), tz),
            ends_at=local_to_utc(today + dt.timedelta(days=7), dt.time(10), tz),
            first_name="H",
            last_name="Bench",
            email="h@example.org",
            phone="+447700900123",
            expires_at=soon,
        )
        for p in staff[:3]
    )
    return clinic, treatment, today, len(appointments), len(time_off)


def timed(repeat: int, run) -> tuple[float, object]:
    result = run()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> int:
    args = parse_args()
    command = ".venv/bin/python bench/free_slots.py " + shlex.join(
        ["--practitioners", str(args.practitioners), "--weeks", str(args.weeks), "--repeat", str(args.repeat)]
    )
    dashboard.ensure_database(args.database_url, recreate=True)
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="reflexclinic.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from booking.slots import free_slots

    call_command("migrate", verbosity=0)
    clinic, treatment, today, booked, away = build(args.practitioners, args.weeks)
    print(
        f"One clinic: {args.practitioners} practitioners, {booked} appointments and {away} afternoons off "
        f"over {args.weeks} weeks."
    )
    for label, days in (
        ("one week (the booking page)", 7),
        (f"the whole horizon ({args.weeks * 7} days)", args.weeks * 7),
    ):
        median, slots = timed(args.repeat, lambda days=days: free_slots(clinic, treatment, start=today, days=days))
        with CaptureQueriesContext(connection) as queries:
            free_slots(clinic, treatment, start=today, days=days)
        print(f"  free_slots for anyone, {label}: {median:.1f} ms median of {args.repeat}, "
              f"{len(slots)} slots, {len(queries)} queries")  # fmt: skip
    print(f"Reproduce: {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
