"""Benchmark: the weight of the owner's calendar pages in a busy week (issue 13, Wanted 2).

Makes a clinic with 14 practitioners and 557 appointments in the current week (Monday to
Sunday, about 80 a day; past ones attended or no-show, a few cancelled, a third of the
clients with health flags; everyone works 09:00-17:00, one 60-minute treatment, where the
code measured has working hours) in a PostgreSQL database of its own (default rc_calbench,
DROPPED and created again on every run), then renders the owner's week and today's day
(the whole clinic) through the Django test client: HTML bytes, gzipped bytes, queries and
the median render time of --repeat requests.

With --compare-with REV (default main) the same run also measures the code of that
revision (`git archive` into a temporary folder, run in a subprocess against a database
of its own), and prints both side by side with the ratio. Times on this shared machine
are noisy; bytes and queries are exact.

    .venv/bin/python bench/calendar_html.py
    .venv/bin/python bench/calendar_html.py --compare-with main --repeat 9
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import logging
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dashboard  # its database helpers

HERE = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rc_calbench"
APPOINTMENTS = 557
PRACTITIONERS = 14


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page; the median is printed")
    parser.add_argument("--compare-with", default="main", help="a git revision to measure as well ('' for none)")
    parser.add_argument("--app-dir", default=str(HERE), help=argparse.SUPPRESS)  # the code measured
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # for the subprocess
    return parser.parse_args()


def recreate_database(url: str) -> None:
    name = dashboard.database_name(url)
    if not name.startswith("rc_calbench"):
        raise SystemExit(f"refusing to drop {name!r}: the benchmark's database names start with rc_calbench")
    dashboard.ensure_database(url, recreate=True)


def generate(today: dt.date):
    """The busy clinic; returns its owner."""
    from accounts.localtime import local_to_utc, local_zone
    from accounts.models import Clinic, User
    from appointments.models import Appointment
    from clients.models import Client, ClientHealthFlag

    clinic = Clinic.objects.create(name="Bench Busy Reflexology", slug="bench-busy", timezone="Europe/London")
    tz = local_zone(clinic)
    owner = User.objects.create(
        username="bench-owner", first_name="Helen", last_name="Ashworth", clinic=clinic, role="owner"
    )
    staff = [owner] + [
        User.objects.create(username=f"bench-p{n}", first_name=f"Pat{n}", last_name="Smith", clinic=clinic)
        for n in range(1, PRACTITIONERS)
    ]
    clients = Client.objects.bulk_create(
        Client(clinic=clinic, first_name=f"Client{n}", last_name="Example", email=f"c{n}@example.org")
        for n in range(APPOINTMENTS)
    )
    ClientHealthFlag.objects.bulk_create(
        ClientHealthFlag(client=c, flag="serious_back_injury" if n % 2 else "feet_injured")
        for n, c in enumerate(clients)
        if n % 3 == 0
    )
    monday = today - dt.timedelta(days=today.weekday())
    now = dt.datetime.now(dt.UTC)
    rows = []
    for n, client in enumerate(clients):
        day = monday + dt.timedelta(days=n % 7)
        who = (n // 7) % PRACTITIONERS
        slot = n // (7 * PRACTITIONERS)
        start = local_to_utc(day, dt.time(9), tz) + dt.timedelta(minutes=75 * slot)
        status = "booked"
        if start < now:
            status = "no_show" if n % 11 == 0 else "attended"
        if n % 17 == 0:
            status = "cancelled"
        rows.append(
            Appointment(
                clinic=clinic,
                client=client,
                practitioner=staff[who],
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=60),
                status=status,
                notes="Lower back; prefers a light touch" if n % 5 == 0 else "",
            )
        )
    Appointment.objects.bulk_create(rows)
    try:  # working hours and a treatment, where the code measured has them (online booking)
        from appointments.models import TreatmentType, WorkingHours
    except ImportError:
        return owner
    TreatmentType.objects.create(clinic=clinic, name="Reflexology", duration_minutes=60)
    WorkingHours.objects.bulk_create(
        WorkingHours(clinic=clinic, practitioner=p, weekday=d, starts=dt.time(9), ends=dt.time(17))
        for p in staff
        for d in range(7)
    )
    return owner


def measure(http, url: str, repeat: int) -> dict:
    from django.db import connection

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        response = http.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        http.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "bytes": len(response.content),
        "gzip": len(gzip.compress(response.content)),
        "queries": len(queries),
        "ms": statistics.median(times),
    }


def run_here(args) -> dict:
    """Measure the code in --app-dir (this process imports it)."""
    sys.path.insert(0, args.app_dir)
    os.chdir(args.app_dir)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflexclinic.settings")
    recreate_database(args.database_url)
    import django

    django.setup()
    logging.disable(logging.INFO)  # one request log line per request would bury the figures
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client as HttpClient
    from django.urls import reverse
    from django.utils import timezone

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    owner = generate(today)
    http = HttpClient()
    http.force_login(owner)
    query = f"?date={today.isoformat()}&practitioner=all"
    return {
        "week": measure(http, reverse("appointments:week") + query, args.repeat),
        "day": measure(http, reverse("appointments:day") + query, args.repeat),
    }


def run_revision(args, revision: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="rc-calbench-") as folder:
        archive = subprocess.run(["git", "-C", str(HERE), "archive", revision], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        for link in (".venv", "node_modules"):
            if (HERE / link).exists() and not (Path(folder) / link).exists():
                os.symlink((HERE / link).resolve(), Path(folder) / link)
        command = [
            sys.executable, __file__, "--json", "--compare-with", "", "--repeat", str(args.repeat),
            "--app-dir", folder, "--database-url", args.database_url + "_before",
        ]  # fmt: skip
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    args = parse_args()
    if args.json:
        print(json.dumps(run_here(args)))
        return 0
    before = run_revision(args, args.compare_with) if args.compare_with else None
    after = run_here(args)
    print(f"Owner's calendar pages, {APPOINTMENTS} appointments in the week, {PRACTITIONERS} practitioners")
    header = f"{'page':<6}{'':>10}{'HTML bytes':>12}{'gzipped':>10}{'queries':>9}{'median ms':>11}"
    print(header)
    for page in ("week", "day"):
        rows = [(args.compare_with, before[page])] if before else []
        rows.append(("this", after[page]))
        for label, m in rows:
            print(f"{page:<6}{label:>10}{m['bytes']:>12,}{m['gzip']:>10,}{m['queries']:>9}{m['ms']:>11.1f}")
        if before:
            b, a = before[page], after[page]
            print(
                f"{page:<6}{'ratio':>10}{a['bytes'] / b['bytes']:>12.2f}{a['gzip'] / b['gzip']:>10.2f}"
                f"{'':>9}{a['ms'] / b['ms']:>11.2f}"
            )
    print("\nReproduce with:", shlex.join([".venv/bin/python", "bench/calendar_html.py", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
