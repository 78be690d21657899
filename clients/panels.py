"""What the apps above clients add to the client pages.

Appointments, sessions and routines all import clients, so clients imports none of them
(tests/test_architecture.py checks the app graph). Yet the client list shows each
client's next appointment and last session, and the client page shows the timeline, the
pain chart, the zone heat map and the home routine. Each of those apps registers its part
here from its AppConfig.ready() (its `client_page.py`), and the client views ask this
module.

- A list column: a name and a function returning a query expression (a subquery, so the
  list stays a fixed number of queries whatever the page size), annotated on the list.
- An archive effect: what archiving a client does in another app (future appointments
  cancelled or kept, the routine stopped). `lookup(client)` says what it would touch, for
  the confirmation page; `apply(client, by, cancel_future)` does it, in the archiving
  transaction (clients/archiving.py).
- A panel: a function (client) -> template context for clients/client_detail.html. Besides
  its own keys a panel may supply `pain_sessions` (the latest signed sessions, oldest
  first), `pain_sessions_earlier` (how many came before them) and `home_pain` ((client-local
  day, pain) from the routine emails): the client view draws the pain chart
  (clients/charts.py) from them. Each panel shows a bounded part of the client's history
  (the latest lines; the rest on pages of their own), so the page does not grow with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from clients.models import Client

ListColumn = Callable[[], Any]
Panel = Callable[[Client], dict]

# Keyed by name, so registering again (an app's ready() run twice) replaces, never repeats.
_list_columns: dict[str, ListColumn] = {}
_panels: dict[str, Panel] = {}
_archive_effects: dict[str, tuple[Callable[[Client], Any], Callable[..., None]]] = {}


def register_list_column(name: str, expression: ListColumn) -> None:
    _list_columns[name] = expression


def register_panel(name: str, panel: Panel) -> None:
    _panels[name] = panel


def register_archive_effect(name: str, *, lookup: Callable[[Client], Any], apply: Callable[..., None]) -> None:
    _archive_effects[name] = (lookup, apply)


def archive_effects() -> dict[str, tuple[Callable[[Client], Any], Callable[..., None]]]:
    return dict(_archive_effects)


def with_list_columns(clients: QuerySet[Client]) -> QuerySet[Client]:
    return clients.annotate(**{name: expression() for name, expression in _list_columns.items()})


def panels_context(client: Client) -> dict:
    """Every registered panel's context for the client page, in the order the apps are installed."""
    context: dict = {}
    for panel in _panels.values():
        context.update(panel(client))
    return context
