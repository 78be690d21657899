"""Running in production: deploy checks, structured logs, /health/, createowner, backups, deploy files.

The whole stack started by its production command lines is tests/test_production_smoke.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import subprocess
import sys
import time

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from accounts.models import Clinic, User
from accounts.tasks import heartbeat
from clients.models import Client
from reflexclinic.health import BEAT_TICK_KEY
from reflexclinic.logs import JsonFormatter
from routines.tasks import dispatch_due_routines
from sessions.models import ReflexZone
from tests.factories import ClientFactory
from tests.production import BASE_DIR, production_env, run
from tests.smtp_sink import free_port
from tests.worker_process import WorkerProcess, database_url

STRONG_PASSWORD = "pressure-points-at-dawn"


# --- check --deploy -------------------------------------------------------------------


def test_check_deploy_with_the_production_settings_prints_no_warning(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path, DEBUG="false"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


# --- structured logs --------------------------------------------------------------------


def json_lines(caplog, logger: str) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records if record.name == logger]


def test_a_page_view_writes_one_json_line_with_method_path_status_duration_and_user(owner_client, owner, caplog):
    caplog.set_level(logging.INFO, logger="reflexclinic.requests")
    response = owner_client.get(reverse("clients:list"), {"q": "Zebedee Quillfeather"})
    assert response.status_code == 200
    [line] = json_lines(caplog, "reflexclinic.requests")
    assert {k: line[k] for k in ("method", "path", "status", "user_id")} == {
        "method": "GET",
        "path": "/clients/",
        "status": 200,
        "user_id": owner.pk,
    }
    assert line["duration_ms"] >= 0
    # The search (a client's name) stays out of the log.
    assert "Zebedee" not in json.dumps(line)


def test_a_visitor_signed_out_is_logged_without_a_user_id(anon, caplog, db):
    caplog.set_level(logging.INFO, logger="reflexclinic.requests")
    anon.get(reverse("clients:list"))
    [line] = json_lines(caplog, "reflexclinic.requests")
    assert (line["status"], line["user_id"]) == (302, None)


def test_signed_links_are_logged_without_their_token(anon, caplog, db):
    caplog.set_level(logging.INFO, logger="reflexclinic.requests")
    anon.get(reverse("checkin:page", args=["a-signed-token-that-works-like-a-password"]))
    [line] = json_lines(caplog, "reflexclinic.requests")
    assert line["path"] == "/r/<token>/"
    assert "a-signed-token" not in json.dumps(line)


def test_a_celery_task_writes_one_json_line_with_name_id_state_and_duration(caplog):
    caplog.set_level(logging.INFO, logger="reflexclinic.tasks")
    result = heartbeat.apply()
    [line] = json_lines(caplog, "reflexclinic.tasks")
    assert {k: line[k] for k in ("task", "task_id", "state")} == {
        "task": "accounts.tasks.heartbeat",
        "task_id": result.id,
        "state": "SUCCESS",
    }
    assert line["duration_ms"] >= 0


# --- /health/ ---------------------------------------------------------------------------


def health_of(http: HttpClient) -> tuple[int, dict]:
    response = http.get(reverse("health"))
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


HEALTH_IN_A_PROCESS = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/health/")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def health_in_a_process(tmp_path, **env) -> tuple[int, dict]:
    """/health/ of an installation configured by `env`, in a fresh process: one whose
    database or broker really is out of reach."""
    environment = production_env(tmp_path, DEBUG="true", ALLOWED_HOSTS="testserver", HEALTH_TIMEOUT="0.5", **env)
    result = run([sys.executable, "-c", HEALTH_IN_A_PROCESS], environment, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["status"], answer["body"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_health_is_200_when_database_broker_worker_and_beat_tick_all_work(anon):
    cache.delete(BEAT_TICK_KEY)
    worker = WorkerProcess(
        database_url=database_url(connection.settings_dict),
        redis_url=settings.REDIS_URL,
        email_url="smtp://127.0.0.1:1",
        concurrency=1,
        name="health",
    )
    worker.start()
    try:
        # Beat's tick, as beat sends it; the worker runs it and records the time.
        dispatch_due_routines.delay()
        deadline = time.monotonic() + 30
        status, body = health_of(anon)
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            status, body = health_of(anon)
    finally:
        worker.stop()
    assert status == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "worker": True,
        "beat": True,
    }
    assert body["checks"]["beat"]["age_seconds"] < 60


def test_health_is_503_and_names_the_database_when_it_is_unreachable(tmp_path):
    status, body = health_in_a_process(tmp_path, DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/gone")
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {"ok": False, "error": "database unreachable (see the log)"}


def test_health_is_503_and_names_the_broker_when_it_is_unreachable(tmp_path):
    status, body = health_in_a_process(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert status == 503
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": False, "error": "broker unreachable (see the log)"}


@pytest.mark.redis
def test_health_is_503_when_no_worker_answers(anon, db, settings):
    settings.HEALTH_TIMEOUT = 0.5
    status, body = health_of(anon)
    assert status == 503
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "error": "no Celery worker answered a ping within 0.5 s"}


def test_health_is_503_when_beat_has_not_ticked_yet(anon, db, settings):
    settings.HEALTH_TIMEOUT = 0.5
    cache.delete(BEAT_TICK_KEY)
    status, body = health_of(anon)
    assert status == 503
    assert body["checks"]["beat"] == {"ok": False, "error": "no dispatch tick from beat has reached a worker yet"}


def test_health_is_503_when_beats_last_tick_is_too_old(anon, db, settings):
    settings.HEALTH_TIMEOUT = 0.5
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 300
    cache.set(BEAT_TICK_KEY, (timezone.now() - dt.timedelta(minutes=10)).isoformat(), timeout=None)
    try:
        status, body = health_of(anon)
    finally:
        cache.delete(BEAT_TICK_KEY)
    assert status == 503
    beat = body["checks"]["beat"]
    assert beat["ok"] is False
    assert 600 <= beat["age_seconds"] < 660
    assert beat["error"] == f"beat's last dispatch tick is {beat['age_seconds']} s old"


def test_health_is_public_and_never_cached(anon, db):
    response = anon.get(reverse("health"))
    assert response.status_code in (200, 503)  # not a redirect to the login page
    assert "no-cache" in response["Cache-Control"]


# --- createowner ------------------------------------------------------------------------


def createowner(**options) -> str:
    out = io.StringIO()
    defaults = {"clinic": "Calm Feet Reflexology", "username": "helen", "email": "helen@example.org"}
    call_command("createowner", stdout=out, **{**defaults, **options})
    return out.getvalue()


def test_createowner_makes_a_clinic_with_its_catalogue_and_an_owner_who_can_sign_in(db, monkeypatch, anon):
    monkeypatch.setenv("OWNER_PASSWORD", STRONG_PASSWORD)
    out = createowner(first_name="Helen", last_name="Ashworth", timezone="Europe/Dublin")
    assert "Created the clinic Calm Feet Reflexology and its owner helen." in out
    owner = User.objects.get(username="helen")
    assert (owner.is_owner, owner.clinic.slug, owner.clinic.timezone) == (
        True,
        "calm-feet-reflexology",
        "Europe/Dublin",
    )
    assert ReflexZone.objects.filter(clinic=owner.clinic).exists()
    response = anon.post(reverse("login"), {"username": "helen", "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert anon.get(response.url, follow=True).status_code == 200


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        ({}, "1234", "This password is too short"),
        ({"username": "he len"}, STRONG_PASSWORD, "Enter a valid username"),
        ({"email": "not-an-address"}, STRONG_PASSWORD, "Enter a valid email address"),
        ({"timezone": "Mars/Olympus"}, STRONG_PASSWORD, "Unknown time zone 'Mars/Olympus'"),
        ({"clinic": "!!!"}, STRONG_PASSWORD, "Give the clinic a name with letters or digits"),
    ],
)
def test_createowner_refuses_bad_input_and_creates_nothing(db, monkeypatch, options, password, message):
    monkeypatch.setenv("OWNER_PASSWORD", password)
    with pytest.raises(CommandError, match=re.escape(message)):
        createowner(**options)
    assert not Clinic.objects.exists()
    assert not User.objects.exists()


def test_createowner_refuses_a_clinic_that_exists_already(db, monkeypatch, clinic):
    monkeypatch.setenv("OWNER_PASSWORD", STRONG_PASSWORD)
    with pytest.raises(CommandError, match="A clinic with the slug 'calm-feet' exists already"):
        createowner(slug="calm-feet")
    assert not User.objects.filter(username="helen").exists()


def test_createowner_without_a_terminal_asks_for_owner_password(db, monkeypatch):
    monkeypatch.delenv("OWNER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="Set OWNER_PASSWORD"):
        createowner()


# --- backups ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_restored_into_another_database_has_the_clients(tmp_path, clinic):
    ClientFactory(clinic=clinic, first_name="Rosalind", last_name="Restored")
    source = connection.settings_dict
    target = {**source, "NAME": f"{source['NAME']}_restore"}
    dump = tmp_path / "clinic.dump"

    def drop_target():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}"')

    drop_target()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target["NAME"]}"')
    try:
        backup = run(["bin/backup", str(dump)], production_env(tmp_path, DATABASE_URL=database_url(source)))
        assert backup.returncode == 0, backup.stderr
        restore = run(["bin/restore", str(dump)], production_env(tmp_path, DATABASE_URL=database_url(target)))
        assert restore.returncode == 0, restore.stderr
        with psycopg.connect(database_url(target)) as restored:
            names = restored.execute(f"SELECT first_name, last_name FROM {Client._meta.db_table}").fetchall()
    finally:
        drop_target()
    assert names == [("Rosalind", "Restored")]


def test_backup_and_restore_say_how_to_use_them_without_a_file(tmp_path):
    for script in ("bin/backup", "bin/restore"):
        result = run([script], production_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1/x"))
        assert (result.returncode, result.stderr.strip()) == (2, f"usage: {script} FILE")


# --- deploy files -----------------------------------------------------------------------

COMMAND_LINES = ("bin/web", "bin/worker", "bin/beat", "bin/migrate")


def test_the_container_image_and_compose_file_run_the_bin_command_lines():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    compose = (BASE_DIR / "compose.yaml").read_text()
    assert 'CMD ["bin/web"]' in dockerfile
    assert "RUN bin/build" in dockerfile
    commands = re.findall(r"^\s+command: (.+)$", compose, flags=re.MULTILINE)
    assert sorted(commands) == sorted(COMMAND_LINES)
    # No second copy of a command line anywhere else in them.
    for text in (dockerfile, compose):
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"celery|gunicorn|manage\.py", code)


def test_the_command_lines_are_executable_shell_scripts_that_pass_sh_n():
    for name in (*COMMAND_LINES, "bin/build", "bin/backup", "bin/restore"):
        path = BASE_DIR / name
        assert path.stat().st_mode & 0o111, f"{name} is not executable"
        assert subprocess.run(["sh", "-n", str(path)], capture_output=True).returncode == 0, name
