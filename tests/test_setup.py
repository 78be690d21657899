"""The project's wiring: app labels, settings read from the environment, the Celery app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from reflexclinic.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST", ""), "port": str(db.get("PORT", "")),
    "email_backend": settings.EMAIL_BACKEND, "email_host": getattr(settings, "EMAIL_HOST", ""),
    "email_port": getattr(settings, "EMAIL_PORT", None), "email_tls": getattr(settings, "EMAIL_USE_TLS", False),
    "email_file_path": str(getattr(settings, "EMAIL_FILE_PATH", "")),
    "broker": app.conf.broker_url, "debug": settings.DEBUG, "time_zone": settings.TIME_ZONE,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def settings_with(tmp_path, **env) -> dict:
    """Load the settings in a fresh interpreter, as `manage.py` would, with only `env` set."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "reflexclinic.settings", "VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sessions_app_has_its_own_label_so_it_does_not_clash_with_django_sessions():
    assert apps.get_app_config("treatment_sessions").name == "sessions"
    assert apps.get_app_config("sessions").name == "django.contrib.sessions"
    assert apps.get_model("treatment_sessions", "TreatmentSession").__name__ == "TreatmentSession"


def test_defaults_need_no_server_sqlite_file_mail_folder_and_filesystem_broker(tmp_path):
    s = settings_with(tmp_path)
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(tmp_path / "reflexclinic.sqlite3")
    # One .eml file per email (issue 10, item 18; was Django's one-file-per-connection backend).
    assert s["email_backend"] == "reflexclinic.email_files.EmlFileBackend"
    assert s["email_file_path"] == str(tmp_path / "mail")
    assert s["broker"] == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()


def test_loading_the_settings_and_the_apps_creates_no_var_folder(tmp_path):
    """The settings name var/ and its folders; the Makefile, Celery's setup and the file
    email backend create them when they are used."""
    missing = tmp_path / "not-there"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "reflexclinic.settings", "VAR_DIR": str(missing)})
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_FILE_PATH)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(missing / "mail")
    assert not missing.exists()


def test_settings_read_database_url_email_url_and_redis_url(tmp_path):
    s = settings_with(
        tmp_path,
        DATABASE_URL="postgres://clinic:secret@db.example.com:5433/reflexclinic",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.example.com:587",
        REDIS_URL="redis://cache.example.com:6379/2",
        TIME_ZONE="Europe/Dublin",
        ALLOWED_HOSTS="clinic.example.com,www.clinic.example.com",
    )
    assert s["engine"] == "django.db.backends.postgresql"
    assert (s["name"], s["host"], s["port"]) == ("reflexclinic", "db.example.com", "5433")
    assert s["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (s["email_host"], s["email_port"], s["email_tls"]) == ("smtp.example.com", 587, True)
    # The Celery app takes its broker from the Django settings.
    assert s["broker"] == "redis://cache.example.com:6379/2"
    assert s["time_zone"] == "Europe/Dublin"
    assert s["allowed_hosts"] == ["clinic.example.com", "www.clinic.example.com"]


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "0", "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "reflexclinic.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_celery_app_uses_django_settings_and_schedules_the_heartbeat():
    from django.conf import settings

    from reflexclinic.celery import app

    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.beat_schedule["heartbeat"]["task"] == "accounts.tasks.heartbeat"
    app.loader.import_default_modules()
    assert "accounts.tasks.heartbeat" in app.tasks


@pytest.mark.redis
def test_worker_runs_the_heartbeat_published_through_redis():
    """A real round trip: publish to the Redis broker at REDIS_URL, an embedded worker
    consumes it and runs the task."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_success

    from accounts.tasks import heartbeat
    from reflexclinic.celery import app

    assert app.conf.broker_url.startswith("redis://"), "the settings read REDIS_URL into the Celery app"
    # A queue of its own, so leftovers from other runs (or a dev worker) never interfere.
    queue = f"test-heartbeat-{uuid.uuid4().hex}"
    done = threading.Event()
    results = []

    def on_success(sender=None, result=None, **kwargs):
        if sender is not None and sender.name == heartbeat.name:
            results.append(result)
            done.set()

    task_success.connect(on_success, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            heartbeat.apply_async(queue=queue)
            assert done.wait(timeout=20), "the worker did not run the heartbeat within 20 s"
    finally:
        task_success.disconnect(on_success)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
    assert results and results[0][:4].isdigit()


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_connections_run_with_jit_off_so_reports_do_not_spend_seconds_compiling():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
