"""`/health/`: is every part of the installation working? JSON, 200 when all is well, 503 if not.

For a load balancer, a container orchestrator or an uptime monitor. Four checks, each
a real round trip:
- database: a query;
- broker: a connection to the Celery broker (Redis in production);
- worker: a ping over the broker that at least one Celery worker answers;
- beat: beat's last dispatch tick (`dispatch_due_routines`, every minute) reached a
  worker recently. The task records when it ran in the cache (Redis in production),
  so this proves beat is scheduling and a worker is running what it schedules; a
  missing tick means routine emails are not going out.

The page is public (no login, no clinic data) and says only which part failed: the
reason, which may name hosts, goes to the log instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reflexclinic.celery import app

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "reflexclinic:beat:last-dispatch-tick"


def beat_tick_record() -> None:
    """Called by the dispatch task each time beat's tick runs on a worker."""
    cache.set(BEAT_TICK_KEY, timezone.now().isoformat(), timeout=None)


class Unhealthy(Exception):
    """A check's answer for the page: says what is wrong in words safe to show anyone."""


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def check_broker() -> dict:
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=settings.HEALTH_TIMEOUT)
    return {}


def check_worker() -> dict:
    # limit=1: the first answer is enough, instead of waiting out the timeout for more.
    if not app.control.ping(timeout=settings.HEALTH_TIMEOUT, limit=1):
        raise Unhealthy(f"no Celery worker answered a ping within {settings.HEALTH_TIMEOUT:g} s")
    return {}


def check_beat() -> dict:
    raw = cache.get(BEAT_TICK_KEY)
    if raw is None:
        raise Unhealthy("no dispatch tick from beat has reached a worker yet")
    age = (timezone.now() - dt.datetime.fromisoformat(raw)).total_seconds()
    details = {"last_tick": raw, "age_seconds": round(age)}
    if age > settings.HEALTH_BEAT_MAX_AGE_SECONDS:
        raise Unhealthy(f"beat's last dispatch tick is {round(age)} s old", details)
    return details


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "broker": check_broker,
    "worker": check_worker,
    "beat": check_beat,
}


def _run(name: str, check: Callable[[], dict]) -> dict:
    try:
        return {"ok": True, **check()}
    except Unhealthy as problem:
        details = problem.args[1] if len(problem.args) > 1 else {}
        return {"ok": False, "error": problem.args[0], **details}
    except Exception:
        logger.exception("health check %s failed", name)
        return {"ok": False, "error": f"{name} unreachable (see the log)"}


@never_cache
@require_GET
def health(request):
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503)
