"""What intake adds to the client page (registered in clients/panels.py by IntakeConfig.ready()):
the answers waiting for review and the last link sent."""

from __future__ import annotations

from clients import panels
from clients.models import Client

from .models import IntakeLink, IntakeSubmission


def panel(client: Client) -> dict:
    return {
        "intake_pending": list(
            IntakeSubmission.objects.filter(client=client, status=IntakeSubmission.Status.PENDING).order_by(
                "submitted_at", "id"
            )
        ),
        "intake_last_link": IntakeLink.objects.filter(client=client).order_by("-created_at", "-id").first(),
    }


def register() -> None:
    panels.register_panel("intake", panel)
