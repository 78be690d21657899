import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reflexclinic.settings")

app = Celery("reflexclinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One structured log line per task (signal handlers), in the worker as in the web processes.
import reflexclinic.logs  # noqa: E402, F401

# Folders of the filesystem broker (the default without REDIS_URL) and beat's schedule file.
FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_folders(sender, source, **kwargs) -> None:
    """Create the folders Celery writes to, once it reads its configuration (the first time
    anything sends or runs a task), rather than as a side effect of importing the settings.
    kombu's filesystem transport expects its folders to exist."""
    if source.broker_url == "filesystem://":
        options = source.broker_transport_options or {}
        for key in FILESYSTEM_BROKER_FOLDERS:
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)
    if source.beat_schedule_filename:
        Path(source.beat_schedule_filename).parent.mkdir(parents=True, exist_ok=True)
