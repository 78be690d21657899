"""The signed link that confirms an online booking: `/book/v/<clinic segment>/<token>/`.

The token carries the hold's id only, signed with the booking's own salt
(accounts/links.py), and lives as long as the hold it confirms (HOLD_MINUTES): an
older link is expired even if the hold row says otherwise. The row says whether the link
has been used; following it again shows what became of the booking, never a second one.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from accounts.links import LinkExpired, LinkInvalid, LinkKind
from accounts.services import site_url

from .models import HOLD_MINUTES, BookingHold

VERIFY_LINK = LinkKind(salt="booking.verify", max_age=dt.timedelta(minutes=HOLD_MINUTES))

__all__ = ["VERIFY_LINK", "LinkExpired", "LinkInvalid", "read_verify_token", "verify_url"]


def verify_url(hold: BookingHold) -> str:
    token = VERIFY_LINK.token({"h": hold.pk})
    segment = VERIFY_LINK.clinic_segment(hold.clinic_id)
    return site_url() + reverse("booking_public:verify", kwargs={"clinic": segment, "token": token})


def read_verify_token(token: str, *, max_age=...) -> int:
    """The hold id of a genuine, unexpired link; LinkExpired or LinkInvalid otherwise."""
    hold_id = VERIFY_LINK.read(token, max_age=max_age).get("h")
    # A genuine signature over a shape we never issue is still not a link we honour.
    if not isinstance(hold_id, int) or isinstance(hold_id, bool) or hold_id <= 0:
        raise LinkInvalid("Unexpected payload")
    return hold_id
