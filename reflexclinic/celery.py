import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflexclinic.settings")

app = Celery("reflexclinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One structured log line per task (signal handlers), in the worker as in the web processes.
import reflexclinic.logs  # noqa: E402, F401
