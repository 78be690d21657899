"""Persistent database connections (issue 13): kept between requests, never used dead.

A web process keeps its PostgreSQL connection for DATABASE_CONN_MAX_AGE seconds (60 by
default) and checks it before a request reuses it; Celery's workers close theirs around
every task. Both must survive the database cutting their connections (a restart, a
failover, an idle timeout in a proxy): the next request or task connects again.

Run: REQUIRE_SERVICES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rc_conn \\
     REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python -m pytest tests/test_connections.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest
import redis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from outbox.dispatch import dispatch_due
from outbox.models import Delivery
from tests.delivery_data import due_routines
from tests.production import BASE_DIR
from tests.smtp_sink import smtp_sink_fixture  # noqa: F401
from tests.worker_process import WorkerProcess, database_url


def database_settings(**env: str) -> dict:
    """The default database's settings as a process with this environment would read them."""
    code = "import json; from reflexclinic import settings as s; d = s.DATABASES['default']; " + (
        "print(json.dumps({k: d.get(k, 0) for k in ('ENGINE', 'CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}))"
    )
    clean = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "SECRET_KEY": "x" * 50, **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_postgres_connections_are_kept_for_a_minute_and_checked_before_each_request():
    kept = database_settings(DATABASE_URL="postgres://u@db.example:5432/rc")
    assert (kept["CONN_MAX_AGE"], kept["CONN_HEALTH_CHECKS"]) == (60, True)
    assert (
        database_settings(DATABASE_URL="postgres://u@db.example:5432/rc", DATABASE_CONN_MAX_AGE="0")["CONN_MAX_AGE"]
        == 0
    )
    # make run's SQLite file: one connection per request, as Django does by default.
    assert database_settings()["CONN_MAX_AGE"] == 0


def cut_other_connections() -> int:
    """What a database restart does to every other client: their connections are gone."""
    with psycopg.connect(database_url(connection.settings_dict)) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_the_database_cut_is_replaced_before_the_next_request_uses_it():
    """Through Django's own WSGI handler (the test client would skip the request signals
    that check the connection): the health page's database check still passes."""
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    handler = WSGIHandler()

    def health() -> dict:
        environ = RequestFactory().get("/health/").environ
        body = b"".join(handler(environ, lambda status, headers: None))
        return json.loads(body)["checks"]["database"]

    assert health() == {"ok": True}
    assert connection.connection is not None, "the connection is kept after the request"
    kept = connection.connection.info.backend_pid
    assert cut_other_connections() >= 1
    assert health() == {"ok": True}
    assert connection.connection.info.backend_pid != kept


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield settings.CELERY_BROKER_URL
    client.flushdb()


def sent_within(routine_ids: list[int], timeout: float) -> int:
    """Dispatch as beat would until every routine's email is sent; how many were."""
    deadline = time.monotonic() + timeout
    sent = 0
    while time.monotonic() < deadline:
        dispatch_due()
        sent = Delivery.objects.filter(routine_id__in=routine_ids, status=Delivery.Status.SENT).count()
        if sent == len(routine_ids):
            break
        time.sleep(0.3)
    return sent


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_database_connections_were_cut_sends_the_next_routine_emails(
    broker, smtp_sink, clinic, practitioner
):
    worker = WorkerProcess(
        database_url=database_url(connection.settings_dict), redis_url=broker, email_url=smtp_sink.url
    ).start()
    try:
        first = due_routines(clinic=clinic, created_by=practitioner, count=3, prefix="before")
        assert sent_within(first, timeout=30) == 3
        cut_other_connections()
        connection.close()  # ours went too
        later = due_routines(clinic=clinic, created_by=practitioner, count=3, prefix="after")
        assert sent_within(later, timeout=30) == 3, worker.log_tail()
    finally:
        worker.stop(timeout=5)
    assert smtp_sink.wait_for(6, timeout=5)
    recipients = Counter(m.rcpt_tos[0].split("@")[0].rstrip("0123456789") for m in smtp_sink.snapshot())
    assert recipients == {"before": 3, "after": 3}
