"""The signed link of an intake (or a consent renewal): `/i/<clinic segment>/<token>/`.

The token carries the link row's id and its purpose, signed with the intake's own salt
(accounts/links.py), so a renewal link cannot be read as an intake link or a check-in
link as either. The row says whether the link has been used: a submitted link shows a
friendly page, never the form again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from accounts.links import LinkInvalid, LinkKind
from accounts.services import site_url

from .models import IntakeLink

INTAKE_LINK = LinkKind(salt="intake.link", max_age=dt.timedelta(days=14))


@dataclass(frozen=True)
class IntakePayload:
    link_id: int
    purpose: str


def intake_url(link: IntakeLink) -> str:
    token = INTAKE_LINK.token({"l": link.pk, "p": link.purpose})
    segment = INTAKE_LINK.clinic_segment(link.clinic_id)
    return site_url() + reverse("intake_public:page", kwargs={"clinic": segment, "token": token})


def read_intake_token(token: str, *, max_age=...) -> IntakePayload:
    """The payload of a genuine link; LinkExpired or LinkInvalid otherwise."""
    data = INTAKE_LINK.read(token, max_age=max_age)
    link_id, purpose = data.get("l"), data.get("p")
    # A genuine signature over a shape we never issue is still not a link we honour.
    if not isinstance(link_id, int) or isinstance(link_id, bool) or purpose not in IntakeLink.Purpose.values:
        raise LinkInvalid("Unexpected payload")
    return IntakePayload(link_id=link_id, purpose=purpose)
