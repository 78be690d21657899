"""Persona fixtures and the service markers.

Personas: `owner` and `practitioner` of one clinic, `other_practitioner` of another
clinic (who must never see the first clinic's data) and `anon`, a visitor who is
not logged in. `*_client` fixtures are Django test clients logged in as each.

Tests marked `postgres` or `redis` need that server, and tests marked `browser` need
Chromium at /usr/bin/chromium, Playwright and axe-core in node_modules (`make setup`).
Without them they skip with a reason; with REQUIRE_SERVICES=1 (as in CI) they fail instead.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient

from tests.browser.launch import missing_for_browser
from tests.factories import ClinicFactory, OwnerFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = os.environ.get("REDIS_URL") or settings.REDIS_URL
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") and not redis_available():
        _missing("needs Redis: set REDIS_URL=redis://...")
    if item.get_closest_marker("browser") and (reason := missing_for_browser()):
        _missing(reason)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 is slow on purpose; every persona hashes a password, which made the suite crawl.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # Rate-limit counts (accounts.ratelimit) live in the cache, which outlives a test run
    # (files under var/, or Redis): every test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Calm Feet Reflexology", slug="calm-feet")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Elsewhere Reflexology", slug="elsewhere")


@pytest.fixture
def owner(clinic):
    return OwnerFactory(username="olivia", first_name="Olivia", last_name="Owner", clinic=clinic)


@pytest.fixture
def practitioner(clinic):
    return UserFactory(username="priya", first_name="Priya", last_name="Practitioner", clinic=clinic)


@pytest.fixture
def other_practitioner(other_clinic):
    """Works at another clinic: should have no access to anything of `clinic`."""
    return UserFactory(username="oscar", first_name="Oscar", last_name="Outsider", clinic=other_clinic)


def _logged_in(user) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def owner_client(owner):
    return _logged_in(owner)


@pytest.fixture
def practitioner_client(practitioner):
    return _logged_in(practitioner)


@pytest.fixture
def other_client(other_practitioner):
    return _logged_in(other_practitioner)


@pytest.fixture
def anon():
    return HttpClient()


@pytest.fixture
def outbox_sends_at_once():
    """Celery's eager mode: a send task queued when a transaction commits runs right away,
    in the process that queued it (a live server's thread too), through the real mailer."""
    from reflexclinic.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def outbox_sends(outbox_sends_at_once, django_capture_on_commit_callbacks):
    """Run the outbox as the app does, in this process: `with outbox_sends(): ...` around
    the request that makes emails, and what it queued is sent when it commits."""

    def committed():
        return django_capture_on_commit_callbacks(execute=True)

    return committed
