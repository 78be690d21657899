"""Benchmark: due routine emails dispatched and delivered end to end, against the limit.

Creates --routines due routines (bulk_create) in a PostgreSQL database of its own
(dropped and created again each run), starts an SMTP server on loopback
(tests/smtp_sink.py), a private redis-server (or uses --redis-url) and a real Celery
worker (prefork, --workers processes), runs ONE dispatch pass and waits until every
email has arrived. Then, in the same run and to the same SMTP server, a plain smtplib
loop pushes the same number of pre-rendered messages over one connection: the limit.

It prints emails per second, the worker's peak memory (sum over its processes of RSS,
and of PSS, which counts shared pages once; target: PSS under 300 MiB), duplicates and
lost emails (both must be 0), the CPU each email cost the worker, the SMTP server and
PostgreSQL, the limit and the ratio to it (target: at least 0.8), the
size of the emails delivered and of routine emails of 2, 4, 6 and 10 steps (targets: at
most 100 KiB for a typical routine of about 4 steps, 150 KiB for any), and the command
that reproduces the run.

--busy runs the same under load: a CPU burner (one process spinning on one core, for at
most the run's --timeout, killed at the end) runs through both halves, pipeline and limit.

    .venv/bin/python bench/deliver_routines.py --routines 20000 --workers 2
    .venv/bin/python bench/deliver_routines.py --routines 20000 --workers 2 --busy
    make bench-deliver BENCH_ARGS="--routines 2000"
"""

from __future__ import annotations

import argparse
import os
import shlex
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import dashboard  # noqa: E402  (its database helpers)

from tests.smtp_sink import SmtpSink, free_port  # noqa: E402
from tests.worker_process import (  # noqa: E402
    PrivateRedis,
    WorkerProcess,
    pss_bytes,
    rss_bytes,
    scan_processes,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routines", type=int, default=20_000, help="due routines to deliver (default 20000)")
    parser.add_argument(
        "--shapes",
        type=int,
        default=0,
        help="different routines among them (zones, pressures, minutes), as each client's routine is built "
        "from their own session; 0 (default) as many as the library allows, 1 every client the same steps",
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (prefork concurrency)")
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/reflexclinic_bench",
        help="PostgreSQL database for the run: DROPPED and created again",
    )
    parser.add_argument("--redis-url", default="", help="broker to use instead of a private redis-server")
    parser.add_argument("--batch-size", type=int, default=0, help="DELIVERY_BATCH_SIZE (default: the setting's)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for every email")
    parser.add_argument("--busy", action="store_true", help="another process keeps one core busy throughout")
    parser.add_argument(
        "--compare-with",
        default="",
        metavar="REV",
        help="first run the same with the worker on REV's code (git archive), e.g. main",
    )
    return parser.parse_args()


class MemorySampler(threading.Thread):
    """Samples the worker's memory. It shares a process (and its GIL) with the SMTP sink,
    so it must stay light: finding the worker's processes scans every entry of /proc,
    which is done once a second, not twice per sample; memory is read 4 times a second.
    (Sampling every 0.1 s with a /proc scan each time held the GIL for a good part of the
    run, slowing the sink in the pipeline's half of the benchmark but not in the limit's.)
    """

    def __init__(self, worker: WorkerProcess, interval: float = 0.25, rescan: float = 1.0):
        super().__init__(daemon=True)
        self.worker, self.interval, self.rescan = worker, interval, rescan
        self.peak_rss = 0
        self.peak_pss = 0
        # CPU per process, the last reading: the worker's, and PostgreSQL's (every server
        # process; a backend that exits keeps its last reading), less what each had used before.
        group, postgres = scan_processes(worker.proc.pid)
        self.worker_before, self.postgres_before = cpu_ticks(group), cpu_ticks(postgres)
        self.worker_ticks, self.postgres_ticks = dict(self.worker_before), dict(self.postgres_before)
        self.stopped = threading.Event()

    def run(self) -> None:
        (pids, postgres), scanned_at = ([], []), 0.0
        while not self.stopped.is_set():
            if time.monotonic() - scanned_at >= self.rescan:
                (pids, postgres), scanned_at = scan_processes(self.worker.proc.pid), time.monotonic()
            self.peak_rss = max(self.peak_rss, rss_bytes(pids))
            self.peak_pss = max(self.peak_pss, pss_bytes(pids))
            self.read_cpu(pids, postgres)
            self.stopped.wait(self.interval)

    def read_cpu(self, group: list[int], postgres: list[int]) -> None:
        self.worker_ticks.update(cpu_ticks(group))
        self.postgres_ticks.update(cpu_ticks(postgres))

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user and system) the worker's processes and PostgreSQL's used since the
        sampler was made, as last read."""
        worker = sum(self.worker_ticks.values()) - sum(self.worker_before.values())
        postgres = sum(self.postgres_ticks.values()) - sum(self.postgres_before.values())
        return worker / os.sysconf("SC_CLK_TCK"), postgres / os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """Per process, user plus system CPU time in clock ticks (/proc/<pid>/stat)."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def cpu_burner(seconds: float) -> subprocess.Popen:
    """Another process busy on one core, as a loaded machine has: it stops by itself after
    `seconds` even if this benchmark dies, and is killed when the run ends."""
    loop = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
    return subprocess.Popen([sys.executable, "-c", loop], start_new_session=True)


def kib_summary(sizes: list[int]) -> str:
    sizes = sorted(sizes)
    p95 = sizes[min(len(sizes) - 1, int(len(sizes) * 0.95))]
    return (
        f"min {sizes[0] / 1024:.1f}, median {statistics.median(sizes) / 1024:.1f}, "
        f"p95 {p95 / 1024:.1f}, max {sizes[-1] / 1024:.1f} KiB"
    )


def smtplib_limit(sink: SmtpSink, templates: list[tuple[bytes, str, str]], count: int) -> float:
    """Seconds for one smtplib connection to push `count` pre-rendered messages to `sink`."""
    sink.reset()
    envelope_from = "no-reply@reflexclinic.local"
    # Each message gets its own Message-ID (a bytes replace, microseconds) so the sink can
    # check that none was lost or doubled here either.
    started = time.monotonic()
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as smtp:
        for n in range(count):
            raw, message_id, to = templates[n % len(templates)]
            smtp.sendmail(envelope_from, [to], raw.replace(message_id.encode(), f"<limit-{n}@bench>".encode(), 1))
    elapsed = time.monotonic() - started
    assert sink.count() == count and not sink.duplicates(), "the limit run itself lost or doubled messages"
    return elapsed


def routine_sizes(clinic, practitioner) -> list[tuple[int, int]]:
    """Bytes on the wire of routine emails of 2, 4, 6 and 10 steps, built after the run
    (pending rows that nothing sends) from the clinic's library."""
    from outbox.mailer import message_for
    from tests.delivery_data import heavy_routine_delivery

    return [
        (
            steps,
            len(message_for(heavy_routine_delivery(clinic, practitioner, steps)).message().as_bytes(linesep="\r\n")),
        )
        for steps in (2, 4, 6, 10)
    ]


def main() -> int:
    args = parse_args()
    options = (
        f"--routines {args.routines} --workers {args.workers}"
        + (f" --shapes {args.shapes}" if args.shapes else "")
        + (f" --batch-size {args.batch_size}" if args.batch_size else "")
        + (" --busy" if args.busy else "")
        + (f" --compare-with {args.compare_with}" if args.compare_with else "")
    )
    command = "make bench-deliver BENCH_ARGS=" + shlex.quote(options)
    redis_server = None
    if args.redis_url:
        redis_url = args.redis_url
    else:
        redis_server = PrivateRedis(free_port()).start()
        redis_url = redis_server.url
    settings_env = {}
    if args.batch_size:
        settings_env["DELIVERY_BATCH_SIZE"] = args.batch_size
    os.environ.update(
        DATABASE_URL=args.database_url, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="tests.worker_settings"
    )
    for name, value in settings_env.items():
        os.environ[f"RC_SETTING_{name}"] = str(value)

    import django

    django.setup()
    runs = [("this checkout", BASE_DIR)]
    with tempfile.TemporaryDirectory(prefix="bench-deliver-") as other:
        try:
            if args.compare_with:
                archive = subprocess.run(
                    ["git", "archive", args.compare_with], cwd=BASE_DIR, capture_output=True, check=True
                ).stdout
                subprocess.run(["tar", "-x", "-C", other], input=archive, check=True)
                runs.insert(0, (args.compare_with, Path(other)))
            results = [run(args, label, code_dir, redis_url, settings_env) for label, code_dir in runs]
        finally:
            if redis_server:
                redis_server.stop()
    if len(results) > 1:
        print()
        print("Side by side (same run, one after the other):")
        print(f"  {'worker code':<16} emails/s limit/s  ratio CPU ms/email  dup.  lost PSS MiB")
        for r in results:
            print(
                f"  {r['label']:<16} {r['rate']:8.0f} {r['limit_rate']:7.0f} {r['rate'] / r['limit_rate']:6.2f} "
                f"{r['worker_cpu_ms']:12.2f} {r['duplicates']:5d} {r['lost']:5d} {r['pss'] / 2**20:7.0f}"
            )
    print()
    print(f"Reproduce: {command}")
    print(f"       or: .venv/bin/python bench/deliver_routines.py {options}")
    return 0 if all(r["duplicates"] == 0 and r["lost"] == 0 for r in results) else 1


def distinct_routines() -> int:
    """How many routines differ in their two reflex steps (zone, pressure, minutes)."""
    from django.db import connection

    from routines.models import RoutineStep

    table = RoutineStep._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(DISTINCT (a.zone_id, a.pressure, a.minutes, b.zone_id, b.pressure, b.minutes)) "
            f"FROM {table} a JOIN {table} b ON b.routine_id = a.routine_id AND a.position = 0 AND b.position = 1"
        )
        return cursor.fetchone()[0]


def run(args: argparse.Namespace, label: str, code_dir: Path, redis_url: str, settings_env: dict) -> dict:
    """One whole run (fresh database, worker from `code_dir`, pipeline, then the limit); prints it."""
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import Clinic, User
    from outbox.dispatch import dispatch_due
    from outbox.mailer import message_for
    from outbox.models import Delivery
    from tests.delivery_data import due_routines

    print(f"[{label}] Preparing {args.routines} due routines in {args.database_url} ...", flush=True)
    connections.close_all()
    dashboard.ensure_database(args.database_url, recreate=True)
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench Reflexology", slug="bench")
    practitioner = User.objects.create_user(username="bench", password="bench", clinic=clinic)
    started = time.monotonic()
    shapes = args.shapes or args.routines
    routine_ids = due_routines(clinic=clinic, created_by=practitioner, count=args.routines, shapes=shapes)
    print(
        f"  {len(routine_ids)} routines created in {time.monotonic() - started:.1f} s, "
        f"{distinct_routines():,} different routines among them (--shapes {args.shapes})",
        flush=True,
    )

    sink = SmtpSink().start()
    worker = WorkerProcess(
        database_url=args.database_url,
        redis_url=redis_url,
        email_url=sink.url,
        concurrency=args.workers,
        settings=settings_env,
        name="bench",
        code_dir=code_dir,
    )
    sampler = burner = None
    try:
        if args.busy:
            burner = cpu_burner(args.timeout)
        worker.start()
        sampler = MemorySampler(worker)
        sampler.start()
        print(f"  worker ready ({args.workers} processes, code: {label}); one dispatch pass ...", flush=True)

        own_cpu_before = time.process_time()
        started = time.monotonic()
        queued = dispatch_due()
        dispatched = time.monotonic() - started
        arrived = sink.wait_for(args.routines, timeout=args.timeout)
        own_cpu = time.process_time() - own_cpu_before
        messages = sink.snapshot()
        delivered_sizes = [m.size for m in messages]
        last_at = max((m.at for m in messages), default=time.monotonic())
        elapsed = last_at - started
        time.sleep(2)  # a late duplicate must have a chance to arrive before counting
        sampler.stopped.set()
        sampler.join()
        sampler.read_cpu(*scan_processes(worker.proc.pid))
        worker_cpu, postgres_cpu = sampler.cpu_seconds()

        deliveries = Delivery.objects.filter(routine_id__in=routine_ids)
        expected = {d.message_id: d for d in deliveries}
        received = sink.message_ids()
        duplicates = sum(n - 1 for n in received.values() if n > 1)
        lost = len(set(routine_ids)) - len({expected[m].routine_id for m in received if m in expected})
        statuses = Counter(deliveries.values_list("status", flat=True))
        rate = len(received) / elapsed if elapsed > 0 else 0.0
        if not arrived:
            print(f"  only {sink.count()} of {args.routines} arrived within {args.timeout} s", flush=True)

        # The limit: the same number of messages, rendered beforehand, over one plain connection.
        sample = list(deliveries.order_by("pk")[: min(200, args.routines)])
        templates = []
        for delivery in sample:
            message = message_for(delivery)  # with the row's Message-ID, as the worker sends it
            templates.append((message.message().as_bytes(linesep="\r\n"), delivery.message_id, delivery.client.email))
        average_size = sum(len(raw) for raw, _, _ in templates) / len(templates)
        limit_cpu_before = time.process_time()
        limit_seconds = smtplib_limit(sink, templates, args.routines)
        limit_cpu = time.process_time() - limit_cpu_before
        limit_rate = args.routines / limit_seconds
    finally:
        if burner:
            burner.kill()
            burner.wait()
        if sampler:
            sampler.stopped.set()
        worker.stop(timeout=10)
        sink.stop()

    print()
    print(f"[{label}]")
    print(f"Routines due               {args.routines}")
    print(f"Queued by the dispatch     {len(queued)} in {dispatched:.2f} s")
    print(f"Delivered (unique)         {len(received)} in {elapsed:.2f} s (dispatch included)")
    print(f"Delivery rows              {dict(statuses)}")
    print(f"Emails per second          {rate:,.0f}")
    rss, pss = sampler.peak_rss / 2**20, sampler.peak_pss / 2**20
    print(f"Worker peak memory         RSS {rss:,.0f} MiB, PSS {pss:,.0f} MiB")
    per_email = 1000 / max(len(received), 1)
    print(f"Worker CPU                 {worker_cpu:,.1f} s, {worker_cpu * per_email:.2f} ms per email")
    print(f"This process's CPU         {own_cpu:,.1f} s, {own_cpu * per_email:.2f} ms per email (SMTP server...)")
    print(f"PostgreSQL CPU             {postgres_cpu:,.1f} s, {postgres_cpu * per_email:.2f} ms per email (all)")
    print(f"Duplicates                 {duplicates}")
    print(f"Lost                       {lost}")
    print(f"Message size (average)     {average_size / 1024:,.1f} KiB")
    print(f"Delivered sizes            {kib_summary(delivered_sizes)}" if delivered_sizes else "")
    print(f"Limit (smtplib, 1 conn.)   {limit_rate:,.0f} emails/s ({args.routines} in {limit_seconds:.2f} s)")
    print(f"  its CPU (this process)   {limit_cpu * 1000 / args.routines:.2f} ms per email (SMTP server and smtplib)")
    print(f"Ratio to the limit         {rate / limit_rate:.2f} (target >= 0.8)")
    print(f"Under load                 {'yes: one core kept busy by another process' if args.busy else 'no'}")
    print()
    print("Routine email sizes (own zone per step, longest library texts, pictures included):")
    for steps, size in routine_sizes(clinic, practitioner):
        budget = 100 if steps <= 4 else 150
        print(f"  {steps:2d} steps  {size / 1024:6.1f} KiB  (target <= {budget} KiB)")
    print(flush=True)
    return {
        "label": label,
        "rate": rate,
        "limit_rate": limit_rate,
        "worker_cpu_ms": worker_cpu * per_email,
        "duplicates": duplicates,
        "lost": lost,
        "pss": sampler.peak_pss,
    }


if __name__ == "__main__":
    sys.exit(main())
