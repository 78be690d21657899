"""The client page's medical-permission card (clients/panels.py): the GP replies are read once
here and kept on the client, so every warning on the page reads them without another query."""

from __future__ import annotations

from clients import panels
from clients.models import Client

from .selectors import with_requests


def permission_panel(client: Client) -> dict:
    requests = with_requests(client)
    return {
        "permission": {
            "open": next((r for r in requests if r.is_open), None),
            "latest_reply": next((r for r in requests if r.is_answered), None),
            "uncleared": client.uncleared_medical,
            "count": len(requests),
        }
    }


def register() -> None:
    panels.register_panel("permission", permission_panel)
