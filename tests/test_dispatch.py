"""The delivery pipeline: schedule rules, the dispatcher and the mailer.

Unit tests with a scripted in-memory email backend; tests/test_delivery_faults.py
runs the same pipeline against a real SMTP server, Celery worker and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.localtime import local_now, local_to_utc
from appointments import services as appointment_services
from appointments.services import appointment_book, appointment_cancel, course_book
from outbox import mailer
from outbox.dispatch import dispatch_due, dispatch_pass
from outbox.mailer import send_deliveries
from outbox.models import Delivery, DeliveryAttempt
from outbox.tasks import send_deliveries_task
from routines.dispatch import PAST_DAY
from routines.models import Routine
from routines.schedule import is_due, not_due_reason
from tests.factories import AppointmentFactory, ClientFactory, RoutineFactory, TreatmentSessionFactory

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
# A Wednesday in summer (BST, UTC+1).
TODAY = dt.date(2025, 6, 18)
NOON = dt.datetime(2025, 6, 18, 11, 0, tzinfo=UTC)


class ScriptedBackend(BaseEmailBackend):
    """Counts connections and messages; `script` holds exceptions to raise, in order (None = send)."""

    opens = 0
    closes = 0
    sent: list[EmailMessage] = []
    script: list[BaseException | None] = []

    def open(self):
        type(self).opens += 1
        return True

    def close(self):
        type(self).closes += 1

    def send_messages(self, messages):
        for message in messages:
            outcome = type(self).script.pop(0) if type(self).script else None
            if outcome is not None:
                raise outcome
            type(self).sent.append(message)
        return len(messages)


@pytest.fixture(autouse=True)
def simple_emails(monkeypatch):
    """The pipeline's tests don't need the real rendering (tests/test_emails.py has it)."""

    def build(delivery):
        return EmailMessage(f"{delivery.kind} for {delivery.local_date}", "Hello", to=[delivery.client.email])

    monkeypatch.setattr(mailer, "build_message", build)


@pytest.fixture
def backend(settings):
    settings.EMAIL_BACKEND = "tests.test_dispatch.ScriptedBackend"
    ScriptedBackend.opens = ScriptedBackend.closes = 0
    ScriptedBackend.sent = []
    ScriptedBackend.script = []
    return ScriptedBackend


@pytest.fixture
def queued(monkeypatch):
    """What the dispatcher hands to Celery, instead of a broker."""
    calls: list[list[int]] = []
    monkeypatch.setattr(send_deliveries_task, "delay", lambda ids: calls.append(list(ids)))
    return calls


def make_routine(clinic, *, tz="Europe/London", at=dt.time(8, 0), starts_on=TODAY - dt.timedelta(days=7), **kwargs):
    client_kwargs = {k[len("client__") :]: kwargs.pop(k) for k in list(kwargs) if k.startswith("client__")}
    client = ClientFactory(clinic=clinic, timezone=tz, routine_time=at, **client_kwargs)
    return RoutineFactory(
        clinic=clinic,
        client=client,
        starts_on=starts_on,
        assigned_at=dt.datetime.combine(starts_on, dt.time(9), tzinfo=UTC),
        **kwargs,
    )


def rows(routine) -> list[Delivery]:
    return list(Delivery.objects.filter(routine=routine, kind=Delivery.Kind.ROUTINE).order_by("local_date"))


# --- One row per routine per client-local day ----------------------------------------------


def test_dispatch_twice_in_the_same_minute_creates_one_email_per_routine(clinic, queued):
    routine = make_routine(clinic)
    dispatch_due(NOON)
    dispatch_due(NOON)
    dispatch_due(NOON + dt.timedelta(hours=5))
    assert [(d.local_date, d.status) for d in rows(routine)] == [(TODAY, Delivery.Status.PENDING)]


def test_nothing_is_created_before_the_clients_local_time(clinic, queued):
    routine = make_routine(clinic, at=dt.time(14, 30))
    dispatch_due(dt.datetime(2025, 6, 18, 13, 29, tzinfo=UTC))  # 14:29 BST
    assert rows(routine) == []
    dispatch_due(dt.datetime(2025, 6, 18, 13, 30, tzinfo=UTC))  # 14:30 BST
    assert len(rows(routine)) == 1


def test_the_local_day_is_the_clients_not_the_servers(clinic, queued):
    # 23:30 UTC on the 17th is already 09:30 on the 18th in Sydney.
    routine = make_routine(clinic, tz="Australia/Sydney", at=dt.time(9, 0))
    dispatch_due(dt.datetime(2025, 6, 17, 23, 30, tzinfo=UTC))
    assert [d.local_date for d in rows(routine)] == [TODAY]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_create_one_email_per_routine_and_queue_each_once(clinic):
    routines = [make_routine(clinic) for _ in range(40)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    queued: list[list[int]] = []

    def run():
        try:
            barrier.wait()
            queued.append(dispatch_pass(NOON, queue=False).due_ids)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Delivery.objects.filter(kind=Delivery.Kind.ROUTINE).count() == len(routines)
    assert set(Delivery.objects.values_list("routine", flat=True)) == {r.pk for r in routines}
    # Each row leased by one of the passes (a pass sees the rows it made), none by both.
    first, second = queued
    assert not set(first) & set(second)
    assert set(first) | set(second) == set(Delivery.objects.values_list("pk", flat=True))
    assert dispatch_pass(NOON + dt.timedelta(minutes=1), queue=False).due_ids == []


def test_a_pass_costs_the_same_queries_for_3_or_30_routines(clinic, queued):
    def queries_for(count: int) -> int:
        Delivery.objects.all().delete()
        Routine.objects.all().delete()
        for _ in range(count):
            make_routine(clinic)
        with CaptureQueriesContext(connection) as ctx:
            ids = dispatch_due(NOON)
        assert len(ids) == count
        return len(ctx.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_dispatch_queues_sending_in_chunks_after_commit(clinic, settings, queued, django_capture_on_commit_callbacks):
    settings.DELIVERY_BATCH_SIZE = 2
    for _ in range(5):
        make_routine(clinic)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = dispatch_due(NOON)
    assert queued == []  # nothing leaves before the rows are committed
    for callback in callbacks:
        callback()
    assert queued == [ids[0:2], ids[2:4], ids[4:5]]


# --- Schedule rules ---------------------------------------------------------------------------


def test_daily_routine_is_due_every_day_from_its_start(clinic):
    routine = make_routine(clinic, starts_on=TODAY)
    assert is_due(routine, TODAY)
    assert is_due(routine, TODAY + dt.timedelta(days=1))
    assert not_due_reason(routine, TODAY - dt.timedelta(days=1)) == "the routine had not started yet"


def test_weekday_routine_is_due_only_on_its_weekdays(clinic):
    routine = make_routine(clinic, frequency=Routine.Frequency.WEEKDAYS, weekdays=[0, 2])  # Mon, Wed
    assert is_due(routine, TODAY)  # Wednesday
    assert not is_due(routine, TODAY + dt.timedelta(days=1))  # Thursday
    assert is_due(routine, TODAY + dt.timedelta(days=5))  # Monday


def test_every_n_days_counts_from_the_start_date(clinic):
    routine = make_routine(clinic, frequency=Routine.Frequency.EVERY_N_DAYS, every_n_days=3, starts_on=TODAY)
    due = [n for n in range(10) if is_due(routine, TODAY + dt.timedelta(days=n))]
    assert due == [0, 3, 6, 9]


def test_the_dispatcher_skips_days_the_schedule_skips(clinic, queued):
    routine = make_routine(clinic, frequency=Routine.Frequency.WEEKDAYS, weekdays=[3])  # Thursdays
    dispatch_due(NOON)
    assert rows(routine) == []
    dispatch_due(NOON + dt.timedelta(days=1))
    assert [d.local_date for d in rows(routine)] == [TODAY + dt.timedelta(days=1)]


def test_routine_ends_after_its_end_date(clinic):
    routine = make_routine(clinic, ends_on=TODAY)
    assert is_due(routine, TODAY)
    assert not_due_reason(routine, TODAY + dt.timedelta(days=1)) == "the routine's end date had passed"


def test_paused_routine_sends_again_the_day_after_the_pause(clinic):
    routine = make_routine(clinic, paused_until=TODAY + dt.timedelta(days=6))
    assert not_due_reason(routine, TODAY) == "the client paused the emails"
    assert not is_due(routine, TODAY + dt.timedelta(days=6))
    assert is_due(routine, TODAY + dt.timedelta(days=7))


def test_a_routine_marked_paused_runs_again_once_its_pause_is_over(clinic):
    routine = make_routine(clinic, status=Routine.Status.PAUSED, paused_until=TODAY)
    assert not is_due(routine, TODAY)
    assert is_due(routine, TODAY + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": Routine.Status.STOPPED}, "the routine is not active"),
        ({"status": Routine.Status.DRAFT}, "the routine is not active"),
        ({"status": Routine.Status.ENDED}, "the routine is not active"),
        ({"client__consent_email": False}, "the client withdrew consent to emails"),
        ({"client__email": ""}, "the client has no email address"),
        ({"client__archived_at": NOON}, "the client is archived"),
    ],
)
def test_no_email_when_the_routine_or_client_says_so(clinic, queued, change, reason):
    routine = make_routine(clinic, **change)
    assert not_due_reason(routine, TODAY) == reason
    dispatch_due(NOON)
    assert rows(routine) == []


def test_routine_runs_until_the_clients_next_session(clinic, practitioner, queued):
    client = ClientFactory(clinic=clinic)
    first = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, started_at=dt.datetime(2025, 6, 10, 10, tzinfo=UTC)
    )
    routine = RoutineFactory(clinic=clinic, client=client, session=first, starts_on=dt.date(2025, 6, 11))
    assert is_due(routine, TODAY)
    TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, started_at=dt.datetime(2025, 6, 17, 10, tzinfo=UTC)
    )
    assert not_due_reason(routine, TODAY) == "the client's next session has been recorded"
    dispatch_due(NOON)
    assert rows(routine) == []


def test_client_local_now_is_in_the_clients_timezone(clinic):
    client = ClientFactory(clinic=clinic, timezone="America/New_York")
    local = local_now(client, NOON)
    assert (local.date(), local.hour, local.utcoffset()) == (TODAY, 7, dt.timedelta(hours=-4))


# --- Daylight saving ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected_utc"),
    [
        # London, clocks forward at 01:00 GMT: 01:30 does not exist, it goes at 02:00 BST.
        ("Europe/London", dt.date(2025, 3, 30), dt.time(1, 30), dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)),
        ("Europe/London", dt.date(2025, 3, 30), dt.time(8, 0), dt.datetime(2025, 3, 30, 7, 0, tzinfo=UTC)),
        # London, clocks back at 02:00 BST: 01:30 happens twice, the email goes at the first.
        ("Europe/London", dt.date(2025, 10, 26), dt.time(1, 30), dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
        ("Europe/London", dt.date(2025, 10, 26), dt.time(8, 0), dt.datetime(2025, 10, 26, 8, 0, tzinfo=UTC)),
        # New York, forward at 02:00 EST: 02:30 goes at 03:00 EDT.
        ("America/New_York", dt.date(2025, 3, 9), dt.time(2, 30), dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC)),
        # New York, back at 02:00 EDT: 01:30 EDT, not again at 01:30 EST.
        ("America/New_York", dt.date(2025, 11, 2), dt.time(1, 30), dt.datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
    ],
)
def test_daylight_saving_day_sends_once_at_the_local_time(clinic, queued, tz, day, at, expected_utc):
    routine = make_routine(clinic, tz=tz, at=at, starts_on=day - dt.timedelta(days=3))
    assert local_to_utc(day, at, ZoneInfo(tz)) == expected_utc
    created_at_tick = []
    tick = expected_utc - dt.timedelta(hours=2)
    # Every minute from two hours before to three hours after, through the whole changed hour.
    that_day = Delivery.objects.filter(routine=routine, local_date=day)
    while tick <= expected_utc + dt.timedelta(hours=3):
        before = that_day.count()
        dispatch_pass(tick, queue=False)
        if that_day.count() > before:
            created_at_tick.append(tick)
        tick += dt.timedelta(minutes=1)
    assert created_at_tick == [expected_utc]
    assert that_day.count() == 1


# --- Scheduler down, past days ------------------------------------------------------------------


def test_beat_down_six_hours_sends_todays_email_and_never_yesterdays(clinic, queued):
    routine = make_routine(clinic, at=dt.time(8, 0))
    # Beat stopped at 05:00 BST and came back at 11:00 BST: no pass ran at 08:00.
    ids = dispatch_due(dt.datetime(2025, 6, 18, 10, 0, tzinfo=UTC))
    assert [(d.local_date, d.pk in ids) for d in rows(routine)] == [(TODAY, True)]


def test_a_past_days_unsent_email_is_marked_not_sent_and_never_queued(clinic, queued):
    routine = make_routine(clinic)
    yesterday = Delivery.objects.create(
        clinic=clinic,
        client=routine.client,
        routine=routine,
        kind=Delivery.Kind.ROUTINE,
        local_date=TODAY - dt.timedelta(days=1),
    )
    ids = dispatch_due(NOON)
    yesterday.refresh_from_db()
    assert (yesterday.status, yesterday.last_error) == (Delivery.Status.SKIPPED, PAST_DAY)
    assert yesterday.pk not in ids
    assert [d.local_date for d in rows(routine)] == [TODAY - dt.timedelta(days=1), TODAY]


def test_a_row_queued_before_midnight_is_not_sent_after_it(clinic, backend, monkeypatch):
    routine = make_routine(clinic)
    delivery = Delivery.objects.create(
        clinic=clinic, client=routine.client, routine=routine, kind=Delivery.Kind.ROUTINE, local_date=TODAY
    )
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2025, 6, 18, 23, 5, tzinfo=UTC))  # 00:05 BST
    assert send_deliveries([delivery.pk])["skipped"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Delivery.Status.SKIPPED, PAST_DAY)
    assert backend.sent == []


# --- Sending ---------------------------------------------------------------------------------------


def pending_routine_emails(clinic, count: int) -> list[Delivery]:
    # Today in real time, so the mailer's "the day had passed" check lets them through.
    today = timezone.now().astimezone(LONDON).date()
    deliveries = []
    for _ in range(count):
        routine = make_routine(clinic, at=dt.time(0, 0), starts_on=today - dt.timedelta(days=1))
        deliveries.append(
            Delivery.objects.create(
                clinic=clinic, client=routine.client, routine=routine, kind=Delivery.Kind.ROUTINE, local_date=today
            )
        )
    return deliveries


def test_a_batch_is_sent_over_one_connection_with_stable_message_ids(clinic, backend):
    deliveries = pending_routine_emails(clinic, 5)
    counts = send_deliveries([d.pk for d in deliveries])
    assert counts["sent"] == 5
    assert backend.opens == 1
    assert [m.extra_headers["Message-ID"] for m in backend.sent] == [d.message_id for d in deliveries]
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.SENT
        assert delivery.sent_at is not None
        assert delivery.attempts == 1
        assert list(delivery.attempt_log.values_list("outcome", flat=True)) == [DeliveryAttempt.Outcome.SENT]


def test_sending_costs_a_fixed_number_of_queries_per_email(clinic, backend):
    def queries_for(count: int) -> int:
        ids = [d.pk for d in pending_routine_emails(clinic, count)]
        with CaptureQueriesContext(connection) as ctx:
            assert send_deliveries(ids)["sent"] == count
        return len(ctx.captured_queries)

    three, six, nine = queries_for(3), queries_for(6), queries_for(9)
    assert six - three == nine - six <= 3 * 5


@pytest.mark.postgres
def test_on_postgresql_an_email_costs_one_statement_its_sent_record_and_a_window_one_claim(clinic, backend):
    def statements_for(count: int) -> list[str]:
        ids = [d.pk for d in pending_routine_emails(clinic, count)]
        with CaptureQueriesContext(connection) as ctx:
            assert send_deliveries(ids)["sent"] == count
        return [q["sql"] for q in ctx.captured_queries]

    three, six = statements_for(3), statements_for(6)
    assert len(six) - len(three) == 3
    # The row becomes sent and its attempt is logged in one statement: never one without the other.
    recorded = [sql for sql in six if "INSERT" in sql and "routines_deliveryattempt" in sql]
    assert len(recorded) == 6 and all(sql.startswith("WITH sent AS (UPDATE") for sql in recorded)
    claims = [sql for sql in six if "RETURNING id" in sql and "SET status = 'sending'" in sql]
    assert len(claims) == 1


def test_rows_are_claimed_a_window_at_a_time(clinic, backend, monkeypatch):
    monkeypatch.setattr(mailer, "CLAIM_WINDOW", 2)
    deliveries = pending_routine_emails(clinic, 5)
    with CaptureQueriesContext(connection) as ctx:
        assert send_deliveries([d.pk for d in deliveries])["sent"] == 5
    claims = [q["sql"] for q in ctx.captured_queries if "SET" in q["sql"] and "'sending'" in q["sql"]]
    assert len(claims) == 3 if connection.vendor == "postgresql" else 5
    assert [m.extra_headers["Message-ID"] for m in backend.sent] == [d.message_id for d in deliveries]


def test_a_window_older_than_half_the_stuck_time_is_claimed_afresh_and_each_email_goes_once(clinic, backend, settings):
    """A slow mail server: the rest of a window is released and claimed again before the
    sweeper could count it stuck; nothing is sent twice and no attempt is counted twice."""
    settings.DELIVERY_STUCK_AFTER_SECONDS = 0
    deliveries = pending_routine_emails(clinic, 4)
    assert send_deliveries([d.pk for d in deliveries])["sent"] == 4
    assert len(backend.sent) == 4
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)


def test_sending_the_same_ids_twice_sends_each_email_once(clinic, backend):
    deliveries = pending_routine_emails(clinic, 3)
    ids = [d.pk for d in deliveries]
    send_deliveries(ids)
    assert send_deliveries(ids + ids) == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "not_claimed": 6}
    assert len(backend.sent) == 3


def test_a_dropped_connection_is_reopened_for_the_rest_of_the_batch(clinic, backend):
    deliveries = pending_routine_emails(clinic, 3)
    backend.script = [None, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), None]
    counts = send_deliveries([d.pk for d in deliveries])
    assert (counts["sent"], counts["retry"]) == (2, 1)
    assert backend.opens == 2


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(451, b"4.3.0 Try again later"),
        smtplib.SMTPRecipientsRefused({"x@example.org": (450, b"4.2.1 Mailbox busy")}),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionResetError("Connection reset by peer"),
        TimeoutError("timed out"),
    ],
)
def test_a_temporary_failure_waits_with_backoff_and_is_recorded(clinic, backend, queued, error):
    (delivery,) = pending_routine_emails(clinic, 1)
    backend.script = [error]
    before = timezone.now()
    assert send_deliveries([delivery.pk])["retry"] == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    # First retry: the base delay (60 s) with jitter between half and one and a half of it.
    assert before + dt.timedelta(seconds=29) <= delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=91)
    assert delivery.last_error
    (attempt,) = delivery.attempt_log.all()
    assert attempt.outcome == DeliveryAttempt.Outcome.TRANSIENT
    # Not queued again until its time has come.
    assert delivery.pk not in dispatch_due()
    assert delivery.pk in dispatch_due(delivery.next_attempt_at)


def test_backoff_grows_and_is_capped(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS = 60
    settings.DELIVERY_RETRY_CAP_SECONDS = 600
    assert dt.timedelta(seconds=30) <= mailer.retry_delay(1) <= dt.timedelta(seconds=90)
    assert dt.timedelta(seconds=120) <= mailer.retry_delay(3) <= dt.timedelta(seconds=360)
    assert mailer.retry_delay(20) <= dt.timedelta(seconds=900)


def test_temporary_failures_end_failed_after_the_last_attempt(clinic, backend, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    (delivery,) = pending_routine_emails(clinic, 1)
    for _ in range(3):
        backend.script = [smtplib.SMTPResponseException(421, b"4.7.0 Too busy")]
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=None)
        send_deliveries([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "Gave up after 3 attempts: 421 4.7.0 Too busy"
    assert delivery.attempt_log.count() == 3


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (smtplib.SMTPResponseException(554, b"5.7.1 Message rejected"), "554 5.7.1 Message rejected"),
        (
            smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"5.1.1 No such user")}),
            "550 5.1.1 No such user",
        ),
    ],
)
def test_a_permanent_failure_is_failed_with_its_reason_and_never_resent(clinic, backend, queued, error, reason):
    (delivery,) = pending_routine_emails(clinic, 1)
    backend.script = [error]
    assert send_deliveries([delivery.pk])["failed"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Delivery.Status.FAILED, reason)
    (attempt,) = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.smtp_code) == (DeliveryAttempt.Outcome.PERMANENT, int(reason[:3]))
    later = timezone.now() + dt.timedelta(hours=3)
    assert delivery.pk not in dispatch_due(later)
    assert send_deliveries([delivery.pk])["not_claimed"] == 1
    assert backend.sent == []
    # The same day's row still exists, so no second email is created for the routine that day
    # either. (Three hours on may be the next London day, which rightly gets its own email.)
    assert Delivery.objects.filter(routine=delivery.routine, local_date=delivery.local_date).count() == 1


def test_a_row_stuck_in_sending_is_swept_back_to_pending(clinic, queued):
    deliveries = pending_routine_emails(clinic, 2)
    now = timezone.now()
    Delivery.objects.filter(pk=deliveries[0].pk).update(
        status=Delivery.Status.SENDING, claimed_at=now - dt.timedelta(minutes=10), attempts=1
    )
    Delivery.objects.filter(pk=deliveries[1].pk).update(
        status=Delivery.Status.SENDING, claimed_at=now - dt.timedelta(seconds=30), attempts=1
    )
    ids = dispatch_due(now)
    assert deliveries[0].pk in ids
    assert deliveries[1].pk not in ids  # still in the hands of a live worker
    assert Delivery.objects.get(pk=deliveries[1].pk).status == Delivery.Status.SENDING


# --- Each pending row queued once: its lease --------------------------------------------


def test_a_queued_row_is_not_queued_again_before_its_lease_ends_and_is_after(clinic, settings, queued):
    """docs/domain.md, Nothing lost: a lost task's rows come back after the lease, not
    on every minute's pass meanwhile."""
    settings.DELIVERY_LEASE_SECONDS = 300
    routines = [make_routine(clinic) for _ in range(3)]
    first = dispatch_due(NOON)
    assert len(first) == 3
    assert dispatch_due(NOON + dt.timedelta(minutes=1)) == []
    assert dispatch_due(NOON + dt.timedelta(minutes=4, seconds=59)) == []
    assert dispatch_due(NOON + dt.timedelta(minutes=5)) == first  # the lease is over: queued again
    assert {d.routine_id for d in Delivery.objects.filter(pk__in=first)} == {r.pk for r in routines}


def test_rows_the_broker_refused_are_queued_again_on_the_next_pass(
    clinic, monkeypatch, django_capture_on_commit_callbacks
):
    """The broker is down: the chunk never reached it, so its rows lose their lease at once."""
    make_routine(clinic)

    def broker_down(ids):
        raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setattr(send_deliveries_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = dispatch_due(NOON)  # robust on_commit: the error is logged, not raised
    assert Delivery.objects.get(pk=first).leased_until is None
    assert dispatch_due(NOON + dt.timedelta(minutes=1)) == [first]


def test_a_temporary_failure_ends_the_lease_so_the_retry_is_queued_at_its_time(clinic, backend, queued):
    (delivery,) = pending_routine_emails(clinic, 1)
    now = timezone.now()
    assert dispatch_due(now) == [delivery.pk]
    backend.script = [smtplib.SMTPResponseException(451, b"4.3.0 Try again later")]
    assert send_deliveries([delivery.pk])["retry"] == 1
    delivery.refresh_from_db()
    assert delivery.leased_until is None
    assert delivery.pk in dispatch_due(delivery.next_attempt_at)


def test_a_routine_stopped_after_dispatch_is_not_sent(clinic, backend):
    (delivery,) = pending_routine_emails(clinic, 1)
    Routine.objects.filter(pk=delivery.routine_id).update(status=Routine.Status.STOPPED)
    assert send_deliveries([delivery.pk])["skipped"] == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (Delivery.Status.SKIPPED, "Not sent: the routine is not active")
    assert backend.sent == []


def test_the_send_task_calls_the_mailer(clinic, backend):
    deliveries = pending_routine_emails(clinic, 2)
    assert send_deliveries_task.run([d.pk for d in deliveries])["sent"] == 2
    assert send_deliveries_task.acks_late is True


def test_beat_runs_the_dispatcher_every_minute(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "routines.tasks.dispatch_due_routines"]
    assert [e["schedule"] for e in entries] == [60.0]
    assert "heartbeat" in settings.CELERY_BEAT_SCHEDULE


# --- Appointment emails ---------------------------------------------------------------------


def test_booking_creates_a_confirmation_and_queues_it_after_commit(
    clinic, practitioner, queued, django_capture_on_commit_callbacks
):
    client = ClientFactory(clinic=clinic, consent_email=False)  # a service message: no routine consent needed
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=1),
        )
    confirmation = Delivery.objects.get(appointment=appointment)
    assert (confirmation.kind, confirmation.status) == (Delivery.Kind.CONFIRMATION, Delivery.Status.PENDING)
    assert queued == [[confirmation.pk]]
    # Leased when it was queued: the minute's pass does not queue it a second time.
    assert confirmation.leased_until is not None
    assert confirmation.pk not in dispatch_due()


def test_no_confirmation_for_a_client_without_an_email_address(clinic, practitioner, queued):
    client = ClientFactory(clinic=clinic, email="")
    starts_at = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    appointment_book(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
    )
    assert not Delivery.objects.exists()


def test_a_course_sends_one_confirmation_for_its_first_visit(clinic, practitioner, queued):
    client = ClientFactory(clinic=clinic)
    course = course_book(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        first_date=timezone.localdate() + dt.timedelta(days=2),
        start_time=dt.time(10, 0),
        sessions=4,
        interval_days=7,
        duration_minutes=60,
    )
    (confirmation,) = Delivery.objects.all()
    assert confirmation.appointment == course.appointments.earliest("starts_at")


def test_reminder_is_created_once_for_an_appointment_within_24_hours(clinic, queued):
    now = timezone.now()
    soon = AppointmentFactory(clinic=clinic, starts_at=now + dt.timedelta(hours=20))
    later = AppointmentFactory(clinic=clinic, starts_at=now + dt.timedelta(hours=30))
    cancelled = AppointmentFactory(clinic=clinic, starts_at=now + dt.timedelta(hours=21), status="cancelled")
    booked_today = AppointmentFactory(clinic=clinic, starts_at=now + dt.timedelta(hours=22))
    for appointment in (soon, later, cancelled):
        type(appointment).objects.filter(pk=appointment.pk).update(created_at=now - dt.timedelta(days=7))
    dispatch_due(now)
    dispatch_due(now + dt.timedelta(minutes=1))
    reminders = Delivery.objects.filter(kind=Delivery.Kind.REMINDER)
    assert list(reminders.values_list("appointment", flat=True)) == [soon.pk]
    assert booked_today.pk not in reminders.values_list("appointment", flat=True)  # its confirmation did the job
    # Ten hours on, the later one is within the day: it gets its reminder too, once.
    dispatch_due(now + dt.timedelta(hours=10))
    dispatch_due(now + dt.timedelta(hours=10, minutes=1))
    assert sorted(reminders.values_list("appointment", flat=True)) == sorted([soon.pk, later.pk])


def test_a_reminder_for_a_cancelled_appointment_is_not_sent(clinic, practitioner, backend, queued):
    appointment = AppointmentFactory(
        clinic=clinic, practitioner=practitioner, starts_at=timezone.now() + dt.timedelta(hours=5)
    )
    reminder = Delivery.objects.create(
        clinic=clinic,
        client=appointment.client,
        appointment=appointment,
        kind=Delivery.Kind.REMINDER,
        local_date=timezone.localdate(),
    )
    appointment_cancel(appointment=appointment)
    assert send_deliveries([reminder.pk])["skipped"] == 1
    reminder.refresh_from_db()
    assert reminder.last_error == "Not sent: the appointment is cancelled"
    assert backend.sent == []


# --- The command, and the real email builder ---------------------------------------------------------


def test_send_due_routines_command_dispatches_and_sends(clinic, queued):
    pending_routine_emails(clinic, 0)
    today = timezone.now().astimezone(LONDON).date()
    for _ in range(2):
        make_routine(clinic, at=dt.time(0, 0), starts_on=today - dt.timedelta(days=1))
    out = _call("send_due_routines")
    assert "Created 2 routine email(s)" in out
    assert "Sent 2," in out
    assert len(mail.outbox) == 2
    assert queued == []
    out = _call("send_due_routines")
    assert "Created 0 routine email(s)" in out
    assert "Sent 0," in out
    assert len(mail.outbox) == 2


def test_send_due_routines_command_can_queue_for_the_workers(clinic, queued, django_capture_on_commit_callbacks):
    today = timezone.now().astimezone(LONDON).date()
    make_routine(clinic, at=dt.time(0, 0), starts_on=today - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        out = _call("send_due_routines", "--queue")
    assert "Queued 1 email(s)" in out
    assert len(queued) == 1
    assert mail.outbox == []


def _call(*args) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_real_builders_message_carries_the_deliverys_message_id(clinic, monkeypatch):
    monkeypatch.undo()  # the real routines.emails builder
    appointment = AppointmentFactory(clinic=clinic, starts_at=timezone.now() + dt.timedelta(days=2))
    confirmation = appointment_services.confirmation_create(appointment=appointment)
    assert send_deliveries([confirmation.pk])["sent"] == 1
    (message,) = mail.outbox
    assert message.message()["Message-ID"] == confirmation.message_id
    assert appointment.client.email in message.to[0]
