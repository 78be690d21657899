"""Archiving a client, and what it does to their future appointments and their routine.

Apart from clients/services.py because it acts on the apps above clients: each registers
what archiving does to its own records (clients/panels.py, `register_archive_effect`), so
clients imports none of them. The appointments app cancels or keeps future visits (its
cancel service tells the client); the routines app stops the running routine.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from clients import panels
from clients.models import Client
from clients.services import client_archive

ARCHIVE_REASON = "The client was archived."


def archive_effects(client: Client) -> dict:
    """What archiving the client now would touch, by effect name: asked about and said before it happens."""
    return {name: lookup(client) for name, (lookup, _apply) in panels.archive_effects().items()}


@transaction.atomic
def client_archive_with_effects(*, client: Client, by: User, cancel_future: bool) -> dict:
    """Archive the client, stop their routine, and cancel their future appointments (the cancel
    service tells the client) or keep them, as the practitioner chose. All or nothing."""
    effects = archive_effects(client)
    client_archive(client=client, by=by)
    for _lookup, apply in panels.archive_effects().values():
        apply(client=client, by=by, cancel_future=cancel_future, reason=ARCHIVE_REASON)
    return effects
