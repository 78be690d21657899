"""The production command lines, all of them at once, with DEBUG off.

Against a fresh PostgreSQL database (pytest-django's test database) and Redis, this test
runs what README's "Running in production" tells a self-hoster to run: bin/build (static
files under hashed names), bin/migrate, `manage.py createowner`, then bin/web (gunicorn
with two processes), bin/worker and bin/beat, each as the subprocess it would be under a
process supervisor or in the compose file. Then, through a client that talks to gunicorn
as a TLS-terminating proxy would, it signs in with a second factor, loads the main pages, fetches a static file
by its hashed name, and waits for one routine email at a loopback SMTP server.

Beat's minute is shortened to two seconds (DISPATCH_INTERVAL_SECONDS) so the routine
email and /health/'s beat check come within seconds. Everything stays on loopback; every
wait is bounded; every process is stopped (finally SIGKILLed) at the end.

Run: REQUIRE_SERVICES=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/rc_smoke \\
     REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python -m pytest tests/test_production_smoke.py
"""

from __future__ import annotations

import json
import re
import sys
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import User
from clients.models import Client
from tests.delivery_data import due_routines
from tests.production import BASE_DIR, ProxiedBrowser, production_env, run
from tests.smtp_sink import free_port, smtp_sink_fixture  # noqa: F401
from tests.totp import totp_code
from tests.worker_process import ProcessGroup, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

OWNER_PASSWORD = "a-firm-thumb-walk-along-the-spine"
CLINIC = "Harbour Lights Reflexology"


def sign_in(browser: ProxiedBrowser, username: str, password: str, *, app: TOTPDevice) -> None:
    """Sign in as staff do: the password, then the code their authenticator app shows."""
    response = browser.post_form(reverse("login"), {"username": username, "password": password})
    assert (response.status, response.headers["Location"]) == (302, reverse("home")), response.text[:500]
    # Nothing opens before the second factor.
    held = browser.get(reverse("home"))
    assert held.status == 302 and held.headers["Location"].startswith(reverse("two_factor_verify")), held.status
    answered = browser.post_form(reverse("two_factor_verify"), {"code": totp_code(app)})
    assert (answered.status, answered.headers["Location"]) == (302, reverse("home")), answered.text[:500]


def json_log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def broker():
    """The REDIS_URL database, empty before and after: no task from another test gets in."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield settings.REDIS_URL
    client.flushdb()


@pytest.fixture
def services(request):
    started: list[ProcessGroup] = []

    def start(name: str, env: dict[str, str], ready) -> ProcessGroup:
        process = ProcessGroup([str(BASE_DIR / "bin" / name)], env=env, name=f"production-{name}")
        started.append(process)
        return process.start(ready=lambda: ready(process), timeout=60)

    yield start
    for process in reversed(started):
        process.stop(timeout=10)
    if request.session.testsfailed:
        for process in started:
            print(f"--- {process.name} log {process.log_path} ---\n{process.log_tail()}")


def test_production_command_lines_serve_pages_static_files_and_routine_emails(tmp_path, broker, smtp_sink, services):
    port = free_port()
    env = production_env(
        tmp_path,
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=broker,
        EMAIL_URL=smtp_sink.url,
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        BEHIND_PROXY="true",
        SITE_URL=f"https://127.0.0.1:{port}",
        DISPATCH_INTERVAL_SECONDS="2",
    )

    # Installing: static files, schema (already there: the test database), the first owner.
    for command in (["bin/build"], ["bin/migrate"]):
        result = run(command, env)
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()
    created = run(
        [sys.executable, "manage.py", "createowner", "--clinic", CLINIC, "--username", "marina"]
        + ["--email", "marina@example.org", "--first-name", "Marina", "--last-name", "Quayle"],
        {**env, "DEBUG": "false", "OWNER_PASSWORD": OWNER_PASSWORD},
    )
    assert created.returncode == 0, created.stderr
    owner = User.objects.get(username="marina")
    # The owner has set up an authenticator app (signing in needs its code, issue 11).
    app = twofactor.totp_device_start(user=owner)
    app.confirmed = True
    app.save()
    [routine_id] = due_routines(clinic=owner.clinic, created_by=owner, count=1, prefix="harbour")
    client = Client.objects.get(routines__pk=routine_id)

    # Running: one web server with two processes, one worker, one beat.
    web = services("web", env, ready=lambda p: "Listening at" in p.log_text())
    worker = services("worker", env, ready=lambda p: " ready." in p.log_text())
    services("beat", env, ready=lambda p: "beat: Starting" in p.log_text())
    browser = ProxiedBrowser(port)
    deadline = time.monotonic() + 60
    while (health := browser.get("/health/", proxied=False)).status != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert health.status == 200, health.text
    assert web.log_text().count("Booting worker with pid") == 2

    # Plain HTTP is sent to HTTPS; HTTPS answers carry HSTS.
    plain = browser.get(reverse("login"), proxied=False)
    assert (plain.status, plain.headers["Location"]) == (301, f"https://127.0.0.1:{port}/login/")
    login_page = browser.get(reverse("login"))
    assert login_page.status == 200
    assert login_page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    # Signed in, the main pages.
    sign_in(browser, "marina", OWNER_PASSWORD, app=app)
    pages = [
        reverse("appointments:day"),
        reverse("appointments:week"),
        reverse("clients:list"),
        reverse("clients:detail", args=[client.pk]),
        reverse("routines:library"),
        reverse("sessions:zone_list"),
        reverse("reports:dashboard"),
        reverse("staff_list"),
    ]
    for path in pages:
        page = browser.get(path)
        assert page.status == 200, (path, page.status, page.text[:300])
        assert f"{CLINIC} · Marina Quayle" in page.text, path
    assert client.first_name in browser.get(reverse("clients:list")).text
    # A client's page is never kept by the browser or a proxy (shared tablets, issue 11).
    assert "no-store" in browser.get(reverse("clients:detail", args=[client.pk])).headers["Cache-Control"]

    # With DEBUG off, a missing page is the friendly one, not Django's technical page.
    missing = browser.get("/no-such-page/")
    assert missing.status == 404
    assert "URLconf" not in missing.text

    # Static files under hashed names, from the app, cached for good.
    css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', login_page.text)
    assert css, "the stylesheet is linked by its hashed name"
    stylesheet = browser.get(css.group(1))
    assert stylesheet.status == 200
    assert stylesheet.text == (BASE_DIR / "static" / "css" / "app.css").read_text()
    assert "immutable" in stylesheet.headers["Cache-Control"]

    # Beat's tick, the worker, SMTP: the routine email arrives, once.
    assert smtp_sink.wait_for(1, timeout=60), "no routine email within 60 s"
    [message] = smtp_sink.snapshot()
    assert message.rcpt_tos == (client.email,)

    # One JSON line per request (with the user) and per task, in the processes' own logs.
    requests = [line for line in json_log_lines(web.log_text()) if line["logger"] == "reflexclinic.requests"]
    assert {"method": "GET", "path": reverse("clients:list"), "status": 200, "user_id": owner.pk} in [
        {k: line[k] for k in ("method", "path", "status", "user_id")} for line in requests
    ]
    tasks = [line for line in json_log_lines(worker.log_text()) if line["logger"] == "reflexclinic.tasks"]
    assert {"task": "outbox.tasks.send_deliveries_task", "state": "SUCCESS"} in [
        {k: line[k] for k in ("task", "state")} for line in tasks
    ]
