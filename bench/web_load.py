"""Benchmark: the main pages under load, served as in production.

Creates a PostgreSQL database of its own (default rc_web_bench; dropped at the end unless
--keep-database), migrates it, generates the network of bench/dashboard.py (its large
clinic: about 7,200 of the 12,000 clients, 14 practitioners, 500+ appointments in the
current week) and loads the demo clinics (`manage.py seed_demo`). The demo accounts are
made ordinary accounts with a bench password (demo logins are refused with DEBUG off);
no one here has a second factor, so signing in is the password alone.

Then it starts the production web server as bin/web does (gunicorn, deploy/gunicorn.conf.py,
DEBUG off, hashed static files from bin/build, --workers sync processes) on loopback, and
for each clinic signs in --users virtual users (each with its own practitioner's and
owner's session) who fetch the main pages in turn, HTML only, over keep-alive connections
(gunicorn's sync workers close each one after its answer; the client reconnects), for
--seconds after a warm-up pass. Each `--server NAME=DIR[,VAR=VALUE...]` (a checkout of
another commit, e.g. main in a worktree, or this one with other settings) is served by
its own gunicorn against the same database and driven the same way, clinic by clinic,
so the figures stand side by side from one run.

It prints per page requests/s, p50/p95/p99 milliseconds, the page's size and its p95 as a
multiple of the login page's p95 in the same phase (the same server, clinic and load),
the targets of issue 13 (practitioner pages at most 4x login at the demo size and 6x at
the large clinic; the owner's week and day at most 10x at 500+ appointments; the 4-week
reports at most 10x) met or not, and the command that reproduces it. Everything stays on
loopback, every wait is bounded, every process is stopped.

    .venv/bin/python bench/web_load.py
    make bench-web BENCH_ARGS="--users 8 --seconds 30 --server main=/tmp/base"
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import dashboard  # noqa: E402  (the network generator and the database helpers)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rc_web_bench"
PASSWORD = "a-bench-only-password-" + secrets.token_hex(8)
# Not the dashboard's default: this database is dropped at the end.
REFUSED_DATABASES = {"rc_bench"}


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "anonymous", "practitioner" or "owner"
    path: str
    # The most this page's p95 may be, as a multiple of the login page's p95 (None: no target).
    target: float | None = None


@dataclass
class ClinicUnderTest:
    label: str
    practitioner: str
    owner: str
    pages: list[Page]
    facts: str


@dataclass
class Server:
    name: str
    code_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="created, and dropped at the end")
    parser.add_argument("--clients", type=int, default=12_000, help="clients in the generated network (12000)")
    parser.add_argument("--users", type=int, default=8, help="concurrent signed-in users (8)")
    parser.add_argument("--seconds", type=float, default=25, help="timed seconds per clinic and server (25)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync worker processes (4)")
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME=DIR[,VAR=VALUE...]",
        help="also serve the checkout in DIR (e.g. main in a git worktree), with extra environment; repeatable",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="extra environment for this checkout's server (e.g. DATABASE_CONN_MAX_AGE=0)",
    )
    parser.add_argument("--keep-database", action="store_true", help="do not drop the run's database at the end")
    parser.add_argument("--regenerate", action="store_true", help="generate the template database again")
    args = parser.parse_args()
    if args.users < 1 or args.seconds <= 0 or args.workers < 1 or args.clients < 100:
        parser.error("--users, --seconds, --workers must be positive and --clients at least 100")
    return args


def parse_env(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"not VAR=VALUE: {item!r}")
        env[key] = value
    return env


def parse_server(spec: str) -> Server:
    name, sep, rest = spec.partition("=")
    directory, *settings = rest.split(",")
    code_dir = Path(directory).resolve()
    if not sep or not name or not (code_dir / "bin" / "web").exists():
        raise SystemExit(f"--server {spec!r}: expected NAME=DIR where DIR/bin/web exists")
    return Server(name=name, code_dir=code_dir, env=parse_env(settings))


# --------------------------------------------------------------------------- data


def prepare_data(args: argparse.Namespace) -> list[ClinicUnderTest]:
    """The run's database, copied from a template database (<name>_template) holding the
    generated network and the demo clinics for today: the first run of a day generates it
    (a few minutes), later runs copy it (seconds). Returns the clinics' pages."""
    from django.utils import timezone

    name = dashboard.database_name(args.database_url)
    if name in REFUSED_DATABASES:
        raise SystemExit(f"refusing {name!r}: bench/dashboard.py keeps its network there")
    template_url = with_database(args.database_url, f"{name}_template")
    dashboard.ensure_database(template_url, recreate=False)
    network = dashboard.stored_network(template_url)
    # The generator's "today" is the installation's (timezone.localdate(), before Django is set up).
    today = dt.datetime.now(ZoneInfo(os.environ.get("TIME_ZONE", "Europe/London"))).date().isoformat()
    wanted = {"version": dashboard.GENERATOR_VERSION, "clients": args.clients, "anchor": today}
    fresh = args.regenerate or not network or any(network.get(k) != v for k, v in wanted.items())
    if fresh:
        dashboard.ensure_database(template_url, recreate=True)
    dashboard.setup_django(template_url)
    from django.core.management import call_command
    from django.db import connection

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    if fresh:
        print(f"Generating {args.clients:,} clients and the demo clinics in {template_url} ...", flush=True)
        dashboard.generate_network(
            clients=args.clients, large_clients=dashboard.LARGE_CLIENTS, anchor=timezone.localdate()
        )
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    clinics = [
        clinic_pages("demo", "demo", "owner"),
        clinic_pages(dashboard.LARGE, "bench-large-p1", "bench-large-owner"),
    ]
    connection.close()
    drop_database(args.database_url)
    with psycopg_maintenance(args.database_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}_template" STRATEGY FILE_COPY')
    print(f"  data ready in {time.monotonic() - started:.0f} s", flush=True)
    return clinics


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def psycopg_maintenance(url: str):
    import psycopg

    return psycopg.connect(dashboard.maintenance_url(url), autocommit=True)


def clinic_pages(label: str, practitioner_name: str, owner_name: str) -> ClinicUnderTest:
    """The pages of one clinic: the practitioner's with the client who has the longest
    history (and their latest session), the owner's calendars and reports."""
    from django.db.models import Count, Q
    from django.urls import reverse

    from accounts.localtime import local_day_bounds, local_today, local_zone
    from accounts.models import User
    from appointments.models import Appointment
    from clients.models import Client
    from sessions.models import TreatmentSession

    practitioner = User.objects.get(username=practitioner_name)
    owner = User.objects.get(username=owner_name)
    clinic = owner.clinic
    for user in (practitioner, owner):
        # Demo accounts are refused with DEBUG off: here they are ordinary staff.
        user.is_demo = False
        user.set_password(PASSWORD)
        user.save(update_fields=["is_demo", "password"])
    client = (
        Client.objects.filter(clinic=clinic, archived_at__isnull=True)
        .annotate(n=Count("treatment_sessions", filter=Q(treatment_sessions__signed_at__isnull=False)))
        .order_by("-n", "pk")
        .first()
    )
    session = TreatmentSession.objects.filter(client=client, signed_at__isnull=False).order_by("-started_at").first()
    tz = local_zone(clinic)
    today = local_today(clinic)
    monday = today - dt.timedelta(days=today.weekday())

    def booked(start: dt.date, days: int = 1, **where) -> int:
        after, before = local_day_bounds(start, tz, days=days)
        return Appointment.objects.filter(clinic=clinic, starts_at__gte=after, starts_at__lt=before, **where).count()

    week, day, mine = booked(monday, 7), booked(today), booked(today, practitioner=practitioner)
    large = label == dashboard.LARGE
    practitioner_target = 6 if large else 4
    calendar_target = 10 if week >= 500 else None
    pages = [
        Page("login", "anonymous", reverse("login")),
        Page("today", "practitioner", reverse("appointments:day"), practitioner_target),
        Page("client list", "practitioner", reverse("clients:list"), practitioner_target),
        Page("a client page", "practitioner", reverse("clients:detail", args=[client.pk]), practitioner_target),
        Page("a session", "practitioner", reverse("sessions:detail", args=[session.pk]), practitioner_target),
        Page("week (owner)", "owner", reverse("appointments:week"), calendar_target),
        Page("day (owner)", "owner", reverse("appointments:day"), calendar_target),
        Page("reports, 4 weeks", "owner", reverse("reports:dashboard") + "?range=4w", 10),
        Page("reports, this year", "owner", reverse("reports:dashboard") + "?range=year"),
    ]
    facts = (
        f"{clinic.name}: {Client.objects.filter(clinic=clinic).count():,} clients; the client page's client has "
        f"{client.n} signed sessions; {week} appointments this week, {day} today ({mine} the practitioner's)"
    )
    return ClinicUnderTest(clinic.name, practitioner_name, owner_name, pages, facts)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(server: Server, args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """What README's "Running in production" asks for, on loopback. DEBUG is left unset:
    bin/env.sh turns it off."""
    skip = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "EMAIL_URL", "CELERY_TASK_ALWAYS_EAGER", "PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        VAR_DIR=str(var_dir),
        DATABASE_URL=args.database_url,
        BIND=f"127.0.0.1:{server.port}",
        WEB_CONCURRENCY=str(args.workers),
        BEHIND_PROXY="true",
        SITE_URL=f"https://127.0.0.1:{server.port}",
        DJANGO_SETTINGS_MODULE="reflexclinic.settings",
        # The same interpreter for every checkout (a worktree's .venv may be missing).
        PYTHON=sys.executable,
    )
    env.update(server.env)
    return env


def start_server(server: Server, args: argparse.Namespace, work: Path) -> None:
    var_dir = work / server.name.replace("/", "-")
    var_dir.mkdir(parents=True)
    server.port = free_port()
    env = server_env(server, args, var_dir)
    built = subprocess.run(
        [str(server.code_dir / "bin" / "build")], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if built.returncode:
        raise SystemExit(f"bin/build failed for {server.name}:\n{built.stdout}{built.stderr}")
    server.log_path = var_dir / "web.log"
    with open(server.log_path, "w") as log:
        server.process = subprocess.Popen(
            [str(server.code_dir / "bin" / "web")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name}: gunicorn exited:\n{server.log_path.read_text()[-3000:]}")
        if server.log_path.read_text().count("Booting worker") >= args.workers:
            try:
                if Browser(server.port).get("/health/").status in (200, 503):
                    return
            except OSError:
                pass
        time.sleep(0.3)
    raise SystemExit(f"{server.name}: gunicorn did not answer within 60 s")


def stop_server(server: Server) -> None:
    if server.process is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


# --------------------------------------------------------------------------- client


@dataclass
class Answer:
    status: int
    location: str
    body: bytes


class Browser:
    """One user's browser behind the TLS proxy: keep-alive to gunicorn on loopback,
    X-Forwarded-Proto: https, the session's cookies (Secure ones too: the browser saw HTTPS)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"X-Forwarded-Proto": "https", "Accept": "text/html", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the kept-alive connection between requests: once more, anew.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.connection.close()
        return Answer(response.status, response.headers.get("Location", ""), data)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def sign_in(self, username: str) -> None:
        page = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if not token:
            raise SystemExit(f"no login form ({page.status})")
        answer = self.request(
            "POST",
            "/login/",
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": PASSWORD},
        )
        if answer.status != 302 or "/login" in answer.location:
            raise SystemExit(f"signing in as {username} failed: {answer.status} {answer.location}")


@dataclass
class Sample:
    page: str
    ms: float
    size: int
    ok: bool


def drive(server: Server, clinic: ClinicUnderTest, args: argparse.Namespace) -> tuple[list[Sample], float]:
    """--users threads, each with its own sessions, fetching the clinic's pages in turn
    (each from its own starting page) for --seconds after one untimed pass."""
    samples: list[list[Sample]] = [[] for _ in range(args.users)]
    window = [0.0, 0.0]  # start and end of the timed window, set as every user is ready
    failures: list[str] = []

    def open_window() -> None:
        window[0] = time.monotonic()
        window[1] = window[0] + args.seconds

    go = threading.Barrier(args.users + 1, action=open_window)

    def user(n: int) -> None:
        try:
            browsers = {role: Browser(server.port) for role in ("anonymous", "practitioner", "owner")}
            browsers["practitioner"].sign_in(clinic.practitioner)
            browsers["owner"].sign_in(clinic.owner)
            pages = clinic.pages[n % len(clinic.pages) :] + clinic.pages[: n % len(clinic.pages)]
            for page in pages:  # warm-up, untimed
                browsers[page.who].get(page.path)
        except BaseException as exc:  # reported by the main thread
            failures.append(f"user {n}: {exc}")
            go.abort()
            return
        try:
            go.wait(timeout=600)
        except threading.BrokenBarrierError:
            return
        i = 0
        while time.monotonic() < window[1]:
            page = pages[i % len(pages)]
            i += 1
            started = time.perf_counter()
            answer = browsers[page.who].get(page.path)
            ms = (time.perf_counter() - started) * 1000
            ok = answer.status == 200 and (page.who == "anonymous" or clinic.label.encode() in answer.body)
            samples[n].append(Sample(page.name, ms, len(answer.body), ok))

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(args.users)]
    for thread in threads:
        thread.start()
    try:
        go.wait(timeout=600)
    except threading.BrokenBarrierError:
        raise SystemExit(f"{server.name}, {clinic.label}: " + "; ".join(failures)) from None
    except BaseException:
        go.abort()  # Ctrl-C: the users stop where they are
        raise
    for thread in threads:
        thread.join(timeout=args.seconds + 120)
    return [s for per_user in samples for s in per_user], time.monotonic() - window[0]


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    requests: int
    per_second: float
    p50: float
    p95: float
    p99: float
    size: int
    errors: int


def figures(samples: list[Sample], elapsed: float) -> Figures:
    times = sorted(s.ms for s in samples)
    if len(times) < 2:
        times = times * 2 or [float("nan")] * 2
    q = statistics.quantiles(times, n=100, method="inclusive")
    return Figures(
        requests=len(samples),
        per_second=len(samples) / elapsed,
        p50=q[49],
        p95=q[94],
        p99=q[98],
        size=round(statistics.median(s.size for s in samples)) if samples else 0,
        errors=sum(not s.ok for s in samples),
    )


def report(clinic: ClinicUnderTest, runs: list[tuple[Server, list[Sample], float]]) -> list[str]:
    """Print one clinic's table, servers side by side; returns the targets not met."""
    print(f"\n{clinic.facts}")
    missed = []
    for server, samples, elapsed in runs:
        total = figures(samples, elapsed)
        print(
            f"  [{server.name}] {total.requests} requests in {elapsed:.1f} s: {total.per_second:.1f} requests/s, "
            f"p50 {total.p50:.0f} ms, p95 {total.p95:.0f} ms, p99 {total.p99:.0f} ms, {total.errors} errors"
        )
    width = 46
    print(f"  {'':<20}" + "".join(f"  {'[' + server.name + ']':<{width}}" for server, _, _ in runs))
    columns = "req/s   p50   p95   p99 ms    KiB  p95/login"
    print(f"  {'page':<20}" + "".join(f"  {columns:<{width}}" for _ in runs))
    for page in clinic.pages:
        line = f"  {page.name:<20}"
        for server, samples, elapsed in runs:
            login = figures([s for s in samples if s.page == "login"], elapsed)
            own = figures([s for s in samples if s.page == page.name], elapsed)
            times = own.p95 / login.p95
            verdict = ""
            if page.target is not None:
                met = times <= page.target and not own.errors
                verdict = f" {'met' if met else 'NOT met'} (<={page.target:g}x)"
                if not met:
                    missed.append(f"[{server.name}] {clinic.label}, {page.name}: {times:.1f}x")
            errors = f" {own.errors} errors" if own.errors else ""
            cell = (
                f"{own.per_second:5.1f} {own.p50:5.0f} {own.p95:5.0f} {own.p99:5.0f}    {own.size / 1024:5.1f}"
                f" {times:5.1f}x{verdict}{errors}"
            )
            line += f"  {cell:<{width}}"
        print(line.rstrip(), flush=True)
    return missed


def main() -> int:
    args = parse_args()
    servers = [Server("this checkout", BASE_DIR, parse_env(args.env))] + [parse_server(s) for s in args.server]
    if len({s.name for s in servers}) != len(servers):
        raise SystemExit("every --server needs a name of its own")
    started = time.monotonic()
    clinics = prepare_data(args)
    from django.db import connection

    connection.close()
    missed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="web-load-") as work:
        try:
            for server in servers:
                start_server(server, args, Path(work))
            print(
                f"{len(servers)} server(s), each gunicorn with {args.workers} sync workers, DEBUG off; {args.users} "
                f"users; {args.seconds:g} s per clinic and server; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} CPUs",
                flush=True,
            )
            for server in servers:
                print(f"  [{server.name}] {server.code_dir} {describe(server)}")
            for clinic in clinics:
                runs = []
                for server in servers:
                    print(f"Driving {clinic.label} on [{server.name}] ...", flush=True)
                    samples, elapsed = drive(server, clinic, args)
                    runs.append((server, samples, elapsed))
                missed += report(clinic, runs)
        finally:
            for server in servers:
                stop_server(server)
            if not args.keep_database:
                drop_database(args.database_url)
    print()
    print("Targets not met: " + ("; ".join(missed) if missed else "none"))
    command = ["--users", str(args.users), "--seconds", f"{args.seconds:g}", "--workers", str(args.workers)]
    command += [x for s in args.server for x in ("--server", s)] + [x for e in args.env for x in ("--env", e)]
    if args.clients != 12_000:
        command += ["--clients", str(args.clients)]
    if args.database_url != DEFAULT_DATABASE_URL:
        command += ["--database-url", args.database_url]
    print(f"Reproduce: .venv/bin/python bench/web_load.py {shlex.join(command)}")
    print(f"       or: make bench-web BENCH_ARGS={shlex.quote(shlex.join(command))}")
    print(f"(whole run {time.monotonic() - started:.0f} s)")
    return 0


def describe(server: Server) -> str:
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"], cwd=server.code_dir, capture_output=True, text=True, check=False
    ).stdout.strip()
    if not commit and (server.code_dir / ".commit").exists():  # an export: `git archive C | tar -x; echo C > .commit`
        commit = (server.code_dir / ".commit").read_text().strip()
    extra = " ".join(f"{k}={v}" for k, v in server.env.items())
    return f"at {commit[:70]}" + (f" with {extra}" if extra else "")


def drop_database(url: str) -> None:
    name = dashboard.database_name(url)
    with psycopg_maintenance(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
