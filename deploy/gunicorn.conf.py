"""gunicorn's settings for bin/web, from the environment.

BIND (default 127.0.0.1:8000; the container image sets 0.0.0.0:8000) and
WEB_CONCURRENCY processes (default 2). The access log is off: the app writes one
structured line per request itself (reflexclinic/logs.py), with the user and without
the query string; gunicorn's own messages are JSON lines too.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Reports on a large clinic take most of a second; 30 s only ends a process that is stuck.
timeout = 30
graceful_timeout = 20
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "reflexclinic.logs.JsonFormatter"}},
    "handlers": {
        "error_console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    # gunicorn merges this over its defaults key by key: every handler named is defined here.
    "root": {"handlers": ["error_console"], "level": "INFO"},
    "loggers": {"gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False}},
}
# Heartbeat files in memory: a container's disk-backed /tmp can stall them.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# gunicorn's control socket lives in the user's home by default: two servers on one machine
# would share it, and a container's user may have no home. Nothing here uses it.
control_socket_disable = True
