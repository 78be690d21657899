"""What home routines add to the client page (registered in clients/panels.py by
RoutinesConfig.ready()): the current routine, its email log, adherence, and the pain
the client reported at home (drawn on the client's pain chart)."""

from __future__ import annotations

from clients import panels
from clients.models import Client

from . import selectors
from .models import Routine
from .services import RUNNING, routine_stop

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# At-home pain scores on the client page's chart (about the weeks of its latest sessions);
# the progress report draws them all.
HOME_PAIN_ON_PAGE = 60


def panel(client: Client) -> dict:
    routine = selectors.current_routine(client)
    return {
        "routine": routine,
        "routine_steps": list(routine.steps.all()) if routine else [],
        "routine_weekdays": [WEEKDAY_NAMES[d] for d in routine.weekdays] if routine else [],
        "deliveries": selectors.delivery_log(client),
        "adherence": selectors.adherence(client),
        "home_pain": selectors.home_pain(client, latest=HOME_PAIN_ON_PAGE),
    }


def running_routine(client: Client) -> Routine | None:
    """What archiving would stop: the client's routine still running."""
    return Routine.objects.filter(client=client, status__in=RUNNING).order_by("-assigned_at").first()


def archive(*, client: Client, by, cancel_future: bool, reason: str) -> None:
    """Archiving stops every running routine of the client."""
    for routine in Routine.objects.filter(client=client, status__in=RUNNING):
        routine_stop(routine=routine, by=by, reason=reason)


def register() -> None:
    panels.register_panel("routines", panel)
    panels.register_archive_effect("running_routine", lookup=running_routine, apply=archive)
