"""Exactly one routine email per routine per client-local day, whatever breaks.

These tests use real parts: PostgreSQL (the test database), a Celery worker started as a
subprocess (prefork, two children) on the Redis broker, and an SMTP server on loopback
(tests/smtp_sink.py) that records every message it accepts and can answer 4xx, 5xx or
hang up. Each test breaks one thing (two dispatchers, a worker SIGKILLed mid-batch, the
broker restarted, the mail server refusing, beat down for hours, a daylight-saving day)
and then checks at the sink, by Message-ID, and in the Delivery rows: every due routine
got its email once, none twice, none lost.

Beat is played by the test: it calls `dispatch_due()` (in this process, or as
`manage.py send_due_routines` in another) a few times a second instead of once a minute.
The worker gets short backoff and sweeper delays through `tests/worker_settings.py`.

Run: REQUIRE_SERVICES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rc_faults \
     REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python -m pytest tests/test_delivery_faults.py
The Redis database in REDIS_URL is emptied before and after each test: give these tests
a database number of their own.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, connections
from django.utils import timezone

from outbox.dispatch import dispatch_due
from outbox.mailer import send_deliveries
from outbox.models import Delivery, DeliveryAttempt
from routines.models import Routine
from tests.delivery_data import due_routines
from tests.smtp_sink import PERMANENT_REPLY, SmtpSink, free_port, smtp_sink_fixture  # noqa: F401
from tests.worker_process import PrivateRedis, WorkerProcess, database_url, manage, process_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

# What the worker (and a dispatcher subprocess) runs with: retries a fraction of a second
# apart instead of minutes, a row claimed 3 s ago by a dead worker counts as stuck, and a
# queued row's lease (a lost task's rows are queued again after it) lasts 3 s.
# 3 s is far above the time one message takes here (milliseconds), so the sweeper never
# takes a row from a worker that is still alive and sending.
FAST = {
    "DELIVERY_RETRY_BASE_SECONDS": 0.2,
    "DELIVERY_RETRY_CAP_SECONDS": 1,
    "DELIVERY_STUCK_AFTER_SECONDS": 3,
    "DELIVERY_LEASE_SECONDS": 3,
    "DELIVERY_BATCH_SIZE": 25,
}
BEAT_INTERVAL = 0.3


@pytest.fixture(autouse=True)
def fast_delivery_settings(settings):
    for name, value in FAST.items():
        setattr(settings, name, value)


@pytest.fixture
def broker():
    """The REDIS_URL database, empty: a task left by an earlier test (or a killed worker)
    must not be delivered into this one."""
    url = django_settings.CELERY_BROKER_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def db_url() -> str:
    # The test database pytest-django created, for the worker and dispatcher processes.
    return database_url(connection.settings_dict)


@pytest.fixture
def start_worker(broker, db_url, smtp_sink, request):
    started: list[WorkerProcess] = []

    def start(*, redis_url: str | None = None, settings: dict | None = None) -> WorkerProcess:
        worker = WorkerProcess(
            database_url=db_url,
            redis_url=redis_url or broker,
            email_url=smtp_sink.url,
            settings={**FAST, **(settings or {})},
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop(timeout=5)
    if request.session.testsfailed:
        for worker in started:
            print(f"--- worker log {worker.log_path} ---\n{worker.log_tail()}")


@pytest.fixture
def routines_due(clinic, practitioner):
    def make(count: int, **kwargs) -> list[int]:
        return due_routines(clinic=clinic, created_by=practitioner, count=count, **kwargs)

    return make


def beat_until_settled(routine_ids: list[int], *, timeout: float, dispatch=dispatch_due) -> None:
    """Run dispatch passes, as beat would, until no routine email is pending or in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch()
        open_rows = Delivery.objects.filter(
            routine_id__in=routine_ids, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
        )
        if Delivery.objects.filter(routine_id__in=routine_ids).exists() and not open_rows.exists():
            return
        time.sleep(BEAT_INTERVAL)
    statuses = Counter(Delivery.objects.filter(routine_id__in=routine_ids).values_list("status", flat=True))
    pytest.fail(f"Deliveries not settled within {timeout} s: {dict(statuses)}")


def assert_each_routine_emailed_once(
    sink: SmtpSink, routine_ids: list[int], *, local_date: dt.date | None = None, settle: float = 1.0
) -> None:
    """One SENT row per routine for its local day, and exactly those Message-IDs at the sink, once each."""
    time.sleep(settle)  # a duplicate still on its way must have a chance to arrive
    deliveries = Delivery.objects.filter(routine_id__in=routine_ids, kind=Delivery.Kind.ROUTINE)
    if local_date:
        deliveries = deliveries.filter(local_date=local_date)
    deliveries = list(deliveries.select_related("client"))
    per_routine = Counter(d.routine_id for d in deliveries)
    assert set(per_routine) == set(routine_ids), f"{len(set(routine_ids) - set(per_routine))} routines have no row"
    assert max(per_routine.values()) == 1
    statuses = Counter(d.status for d in deliveries)
    assert statuses == {Delivery.Status.SENT: len(routine_ids)}, dict(statuses)

    received = sink.message_ids()
    expected = {d.message_id for d in deliveries}
    assert sink.duplicates() == {}, f"received twice: {sink.duplicates()}"
    assert set(received) == expected, (
        f"lost: {len(expected - set(received))}, unexpected: {len(set(received) - expected)}"
    )
    by_message_id = {d.message_id: d for d in deliveries}
    for message in sink.snapshot():
        assert by_message_id[message.message_id].client.email in message.to


# --- 1. Two dispatchers at once ---------------------------------------------------------


def _dispatch_in_thread(barrier: threading.Barrier, results: list, errors: list) -> None:
    try:
        barrier.wait(timeout=10)
        results.append(dispatch_due())
    except Exception as error:  # reported by the test, not lost in the thread
        errors.append(error)
    finally:
        connections.close_all()


def test_two_dispatchers_at_once_send_each_routine_once(start_worker, routines_due, smtp_sink):
    ids = routines_due(200)
    start_worker()
    barrier, results, errors = threading.Barrier(2), [], []
    threads = [threading.Thread(target=_dispatch_in_thread, args=(barrier, results, errors)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == 2
    # Each row is leased by one of the passes; were it queued twice, the claim in the send
    # task would make it harmless.
    assert Delivery.objects.filter(routine_id__in=ids).count() == 200

    assert smtp_sink.wait_for(200, timeout=30), f"only {smtp_sink.count()} of 200 arrived"
    beat_until_settled(ids, timeout=20)
    assert_each_routine_emailed_once(smtp_sink, ids)


@pytest.mark.parametrize("how", ["--send", "--queue"])
def test_two_dispatcher_processes_at_once_send_each_routine_once(
    start_worker, routines_due, smtp_sink, broker, db_url, how
):
    """Two cron runs of `send_due_routines` overlap: with --send both send the same due
    rows themselves, with --queue both hand them to the worker."""
    ids = routines_due(200)
    if how == "--queue":
        start_worker()
    env = process_env(database_url=db_url, redis_url=broker, email_url=smtp_sink.url, settings=FAST)
    runs = []
    threads = [threading.Thread(target=lambda: runs.append(manage(env, "send_due_routines", how))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [run.returncode for run in runs] == [0, 0], [run.stderr[-2000:] for run in runs]

    assert smtp_sink.wait_for(200, timeout=30), f"only {smtp_sink.count()} of 200 arrived"
    beat_until_settled(ids, timeout=20)
    assert_each_routine_emailed_once(smtp_sink, ids)


# --- 2. A worker SIGKILLed mid-batch ----------------------------------------------------


def test_worker_killed_mid_batch_then_restarted_sends_each_routine_once(start_worker, routines_due, smtp_sink):
    """SIGKILL the whole worker (parent and pool children) when about a third has arrived.

    Rows it had claimed stay SENDING until the sweeper in the next dispatch passes makes
    them pending again (DELIVERY_STUCK_AFTER_SECONDS); its unacknowledged tasks stay in
    Redis until the visibility timeout, and the dispatcher queues their pending rows again
    once their lease is over (DELIVERY_LEASE_SECONDS). The new worker sends everything that was not sent, once.

    The one window for a duplicate: the mail server has answered 250 for a message and
    the worker dies before its `_record_sent` UPDATE commits (a loopback round trip and
    one short transaction, well under a millisecond here). That row is swept back to
    pending and sent again: the client gets the same email twice, with the same
    Message-ID, so a mail client that de-duplicates shows it once. No SMTP sender can
    close this window (the protocol has no two-phase commit); the mailer keeps it as
    small as it can by recording each message right after its own 250, never at the end
    of a batch.

    A kill at a random instant would land in that window now and then and make this
    test flaky for a reason that is not a bug. So the sink holds every message after the
    100th without answering, and the worker is killed while each pool child is waiting
    for that answer: a message the server never acknowledged was never accepted, so it
    must be sent again, exactly once.
    """
    ids = routines_due(300)
    worker = start_worker()
    smtp_sink.hold_after(100)
    dispatch_due()
    assert smtp_sink.wait_for(100, timeout=30), f"only {smtp_sink.count()} arrived"
    held = smtp_sink.wait_until_holding(worker.concurrency, timeout=10)
    assert held >= 1, "no sender was waiting for the server's answer"
    in_flight = Delivery.objects.filter(routine_id__in=ids, status=Delivery.Status.SENDING).count()
    worker.kill()
    smtp_sink.release()
    assert in_flight >= 1, "the kill must leave rows claimed by the dead worker"
    assert smtp_sink.count() == 100

    start_worker()
    beat_until_settled(ids, timeout=40)
    assert_each_routine_emailed_once(smtp_sink, ids)
    # The rows held when the worker died were tried twice: the dead attempt left no
    # record but its claim, and the swept row was claimed again.
    assert Delivery.objects.filter(routine_id__in=ids, attempts__gte=2).count() >= in_flight


# --- 3. Redis restarted during a dispatch -----------------------------------------------


@pytest.fixture
def private_redis():
    server = PrivateRedis(free_port()).start()
    yield server
    server.stop()


def test_redis_restarted_during_a_dispatch_loses_nothing_and_sends_nothing_twice(
    start_worker, routines_due, smtp_sink, private_redis, db_url
):
    """The broker crashes (SIGKILL, no persistence) with tasks queued and in flight, comes
    back empty, and a dispatch pass runs while it is down. Dispatch runs as
    `manage.py send_due_routines --queue` in its own process, on the private broker."""
    ids = routines_due(300)
    env = process_env(database_url=db_url, redis_url=private_redis.url, email_url=smtp_sink.url, settings=FAST)
    worker = start_worker(redis_url=private_redis.url)
    # The sink stops answering after 60 messages, so the crash finds tasks both in flight
    # (pool children waiting on the sink) and still queued.
    smtp_sink.hold_after(60)

    run = manage(env, "send_due_routines", "--queue")
    assert run.returncode == 0, run.stderr[-2000:]
    assert smtp_sink.wait_for(60, timeout=30), f"only {smtp_sink.count()} arrived"
    assert smtp_sink.wait_until_holding(worker.concurrency, timeout=10) >= 1
    assert private_redis.queued("celery") > 0, "no task was left in the queue when the broker crashed"
    private_redis.stop()
    smtp_sink.release()

    # A pass while the broker is down: the rows stay pending; nothing is lost or raised.
    down = manage(env, "send_due_routines", "--queue")
    assert down.returncode == 0, down.stderr[-2000:]

    private_redis.start()

    def dispatch_in_a_process() -> None:
        result = manage(env, "send_due_routines", "--queue")
        assert result.returncode == 0, result.stderr[-2000:]

    beat_until_settled(ids, timeout=45, dispatch=dispatch_in_a_process)
    assert_each_routine_emailed_once(smtp_sink, ids)


# --- 4. SMTP answering 4xx (or hanging up), then recovering ------------------------------


@pytest.mark.parametrize(
    ("mode", "fail_at"), [("4xx", "DATA"), ("4xx", "RCPT"), ("drop", "DATA")], ids=["451-data", "451-rcpt", "drop"]
)
def test_mail_server_refusing_for_a_while_gets_each_email_once_after_retries(
    start_worker, routines_due, smtp_sink, mode, fail_at
):
    ids = routines_due(60)
    smtp_sink.fail_at = fail_at
    smtp_sink.fail_first(20, mode)
    start_worker()

    beat_until_settled(ids, timeout=40)
    assert_each_routine_emailed_once(smtp_sink, ids)
    assert smtp_sink.refused == 20
    retried = Delivery.objects.filter(routine_id__in=ids, attempts__gte=2)
    assert retried.count() >= 1
    transient = DeliveryAttempt.objects.filter(delivery__routine_id__in=ids, outcome=DeliveryAttempt.Outcome.TRANSIENT)
    assert transient.count() == 20
    # A refusal keeps the server's code; a hang-up has none.
    assert set(transient.values_list("smtp_code", flat=True)) == ({451} if mode == "4xx" else {None})
    # Every row ends with exactly one successful attempt, however many failed before it.
    sent_attempts = Counter(
        DeliveryAttempt.objects.filter(delivery__routine_id__in=ids, outcome=DeliveryAttempt.Outcome.SENT).values_list(
            "delivery_id", flat=True
        )
    )
    assert len(sent_attempts) == 60
    assert set(sent_attempts.values()) == {1}


# --- 5. SMTP answering 5xx ----------------------------------------------------------------


@pytest.mark.parametrize("fail_at", ["DATA", "RCPT"])
def test_mail_server_refusing_for_good_marks_failed_with_reason_and_never_resends(
    start_worker, routines_due, smtp_sink, fail_at
):
    ids = routines_due(40)
    smtp_sink.fail_at = fail_at
    smtp_sink.fail_first(10, "5xx")
    start_worker()

    beat_until_settled(ids, timeout=30)
    failed = Delivery.objects.filter(routine_id__in=ids, status=Delivery.Status.FAILED)
    assert failed.count() == 10
    for delivery in failed:
        assert delivery.last_error == PERMANENT_REPLY
        assert delivery.attempts == 1
        (attempt,) = delivery.attempt_log.all()
        assert (attempt.outcome, attempt.smtp_code) == (DeliveryAttempt.Outcome.PERMANENT, 550)
    sent = Delivery.objects.filter(routine_id__in=ids, status=Delivery.Status.SENT)
    assert sent.count() == 30

    # Later passes (beat keeps ticking) never try a failed row again.
    for _ in range(5):
        dispatch_due()
        time.sleep(BEAT_INTERVAL)
    time.sleep(1)
    assert smtp_sink.refused == 10
    assert smtp_sink.count() == 30
    assert smtp_sink.duplicates() == {}
    assert set(smtp_sink.message_ids()) == {d.message_id for d in sent}
    assert DeliveryAttempt.objects.filter(delivery__in=failed).count() == 10


# --- 6. Beat down for six hours -------------------------------------------------------------


def _zone_where_it_is_about(hour: int, now: dt.datetime) -> str:
    """A fixed-offset zone whose local time now is `hour`:MM, so that "yesterday" and
    "today" are real for the worker too, whatever time the test runs."""
    offset = (hour - now.hour) % 24
    if offset > 12:
        offset -= 24
    # POSIX sign: Etc/GMT-3 is three hours ahead of UTC.
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def test_beat_down_six_hours_sends_todays_missed_routines_and_never_yesterdays(start_worker, routines_due, smtp_sink):
    """Local time is about 03:00 now; beat last ran six hours ago (about 21:00 yesterday),
    after every email due yesterday before then had gone out.

    - due at 20:00: yesterday's row was created on beat's last pass, but its email never
      went out (the worker was down too); its task waits in the broker. It must never be
      sent: the worker that comes back finds a past day and skips it.
    - due at 22:00: yesterday's email fell in the gap: no row, never sent.
    - due at 01:00: today's fell in the gap: sent now, once.
    - due at 08:00: not yet.
    """
    now = timezone.now()
    tz = _zone_where_it_is_about(3, now)
    assert now.astimezone(ZoneInfo(tz)).hour == 3
    yesterday_sent_late = routines_due(5, tz=tz, routine_time=dt.time(20, 0), prefix="late")
    yesterday_in_gap = routines_due(5, tz=tz, routine_time=dt.time(22, 0), prefix="gap")
    today_in_gap = routines_due(5, tz=tz, routine_time=dt.time(1, 0), prefix="today")
    later_today = routines_due(5, tz=tz, routine_time=dt.time(8, 0), prefix="later")

    today = now.astimezone(ZoneInfo(tz)).date()
    yesterday = today - dt.timedelta(days=1)
    Delivery.objects.bulk_create(
        Delivery(
            clinic_id=routine.clinic_id,
            client_id=routine.client_id,
            routine=routine,
            kind=Delivery.Kind.ROUTINE,
            local_date=yesterday,
            status=Delivery.Status.SENT,
            sent_at=now - dt.timedelta(hours=20),
        )
        for routine in Routine.objects.filter(pk__in=today_in_gap + later_today)
    )

    queued_before_outage = dispatch_due(now=now - dt.timedelta(hours=6))
    stale = Delivery.objects.filter(routine_id__in=yesterday_sent_late)
    assert stale.count() == 5
    assert set(queued_before_outage) == set(stale.values_list("pk", flat=True))

    # The worker comes back first and meets yesterday's queued tasks before any dispatch pass.
    start_worker()
    deadline = time.monotonic() + 15
    while stale.exclude(status=Delivery.Status.SKIPPED).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(stale.values_list("status", flat=True)) == {Delivery.Status.SKIPPED}

    beat_until_settled(today_in_gap, timeout=20)
    assert_each_routine_emailed_once(smtp_sink, today_in_gap, local_date=today)
    assert smtp_sink.count() == 5
    assert not Delivery.objects.filter(routine_id__in=yesterday_in_gap).exists()
    assert not Delivery.objects.filter(routine_id__in=later_today, local_date=today).exists()
    assert stale.filter(sent_at__isnull=False).count() == 0
    assert all("day had passed" in reason for reason in stale.values_list("last_error", flat=True))


# --- 7. A daylight-saving change day in the client's timezone ----------------------------------

UTC = dt.UTC


def _at(hour: int, minute: int = 0, *, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


# (zone, the change day, {routine_time: (hour, minute) UTC at which its email is due that day})
DST_DAYS = {
    # Clocks go forward at 01:00 GMT: 01:30 never happens and goes out at 02:00 BST.
    "london-spring": (
        "Europe/London",
        dt.date(2026, 3, 29),
        {dt.time(1, 30): (1, 0), dt.time(8, 0): (7, 0), dt.time(0, 0): (0, 0)},
    ),
    # Clocks go back at 02:00 BST: 01:30 happens twice; the email goes at the first one.
    "london-autumn": (
        "Europe/London",
        dt.date(2026, 10, 25),
        {dt.time(1, 30): (0, 30), dt.time(8, 0): (8, 0), dt.time(23, 30): (23, 30)},
    ),
    # 02:00 EST jumps to 03:00 EDT: 02:30 goes out at 03:00 EDT (07:00 UTC).
    "new-york-spring": (
        "America/New_York",
        dt.date(2026, 3, 8),
        {dt.time(2, 30): (7, 0), dt.time(8, 0): (12, 0), dt.time(0, 0): (5, 0)},
    ),
    # 02:00 EDT goes back to 01:00 EST: 01:30 first at 05:30 UTC (EDT), not again at 06:30.
    "new-york-autumn": (
        "America/New_York",
        dt.date(2026, 11, 1),
        {dt.time(1, 30): (5, 30), dt.time(8, 0): (13, 0), dt.time(0, 0): (4, 0)},
    ),
}


@pytest.mark.parametrize("case", list(DST_DAYS))
def test_daylight_saving_day_sends_one_email_at_the_right_instant(settings, routines_due, smtp_sink, broker, case):
    """Beat ticks every ten minutes across the client's whole local day (23 or 25 hours);
    each tick dispatches and sends what is due at that instant. The clock is the tick's,
    for the dispatcher and the mailer alike (which is why the sending happens in this
    process, not in a worker that reads the real clock)."""
    tz_name, day, expected = DST_DAYS[case]
    tz = ZoneInfo(tz_name)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    by_time = {
        routine_time: routines_due(1, tz=tz_name, routine_time=routine_time, starts_on=day - dt.timedelta(days=3))[0]
        for routine_time in expected
    }
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz).astimezone(UTC)
    assert (end - start) in (dt.timedelta(hours=23), dt.timedelta(hours=25))

    arrived_at: dict[str, dt.datetime] = {}
    tick = start
    while tick < end:
        with mock.patch("django.utils.timezone.now", return_value=tick):
            ids = dispatch_due(now=tick)
            if ids:
                send_deliveries(ids)
        for message in smtp_sink.snapshot():
            arrived_at.setdefault(message.message_id, tick)
        tick += dt.timedelta(minutes=10)

    assert smtp_sink.duplicates() == {}
    for routine_time, (hour, minute) in expected.items():
        (delivery,) = Delivery.objects.filter(routine_id=by_time[routine_time])
        assert delivery.local_date == day
        assert delivery.status == Delivery.Status.SENT
        assert arrived_at[delivery.message_id] == _at(hour, minute, day=day), (
            f"{routine_time} local went out at {arrived_at[delivery.message_id]:%H:%M} UTC"
        )
    assert smtp_sink.count() == len(expected)
