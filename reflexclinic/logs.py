"""Structured logs: one JSON line per request and one per Celery task.

A log collector (journald, Docker, a hosted service) can then filter and count by field
without parsing free text. The lines carry what an operator needs to see a slow or
failing page or task, never clinical data: method, path without its query string (a
search box puts a client's name there), status, duration and the user's id; for a task
its name, id, state and duration, never its arguments.

`JsonFormatter` formats every record of the process as JSON when LOG_FORMAT=json (the
default with DEBUG off, see settings); with DEBUG on the same fields read as key=value.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from celery.signals import task_postrun, task_prerun

request_logger = logging.getLogger("reflexclinic.requests")
task_logger = logging.getLogger("reflexclinic.tasks")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def record_fields(record: logging.LogRecord) -> dict:
    """The `extra=` fields of plain types. Objects are left out: Django's own request log
    passes the request, whose text would carry the query string."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_ATTRIBUTES and isinstance(value, str | int | float | bool | None)
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_fields(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class KeyValueFormatter(logging.Formatter):
    """The same fields for a person reading `make run`'s terminal."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(f"{key}={value}" for key, value in record_fields(record).items())
        return f"{text} {fields}" if fields else text


def loggable_path(request) -> str:
    """The path with captured strings (signed check-in and password-reset tokens, which
    work as passwords) replaced by their names; numeric ids stay, they say which page."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if isinstance(value, str) and value and not value.isdigit():
                path = path.replace(value, f"<{name}>")
    return path


class RequestLogMiddleware:
    """First in MIDDLEWARE, so the duration and status are what the client got."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_logger.info(
            "request",
            extra={
                "method": request.method,
                "path": loggable_path(request),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


# Task start times by task id, for the duration; a worker thread or process runs one task
# at a time per id, and postrun always follows prerun in the same process.
_task_started: dict[str, float] = {}


@task_prerun.connect(dispatch_uid="reflexclinic.logs.task_started")
def _task_started_at(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect(dispatch_uid="reflexclinic.logs.task_finished")
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    task_logger.info(
        "task",
        extra={
            "task": task.name if task is not None else None,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        },
    )
