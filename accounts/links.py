"""Signed, expiring, purpose-bound links for the pages a client opens without an account.

Clients never log in (docs/domain.md, People): a link in an email is their permission.
Every kind of link (a routine check-in, an intake, a booking's verification...) has a
`LinkKind`: its own salt, so a token made for one purpose is never read as another, and
its own lifetime. A token carries ids only, never a name or an address, so a forwarded
email or a proxy log gives nothing away.

A link also names its clinic, in a path segment of its own before the token
(`/<prefix>/<clinic segment>/<token>/`), signed apart from the token: when an email
program breaks the token, or the link has expired, the page can still say which clinic
sent it and how to reach them. The segment is signed so that the page only ever names a
clinic one of our own emails named; a changed segment names none.

Every kind's page for a link that does not work is `link_problem` (its template extends
templates/links/problem.html with the kind's own words), and the clinic of an expired link
is `expired_links_clinic`: a genuine signature, only old, still names its row and so its
clinic; anything else has only the segment. `read_or_problem` puts the two together for a
page that opens a link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Clinic

# What a link's problem page can say; only a broken link is the client's request gone wrong (400).
BROKEN = "broken"
EXPIRED = "expired"


class LinkInvalid(Exception):
    """The link was changed, cut short, or was never one of ours."""


class LinkExpired(LinkInvalid):
    """The link was genuine but is older than its kind's lifetime."""


def _clinic_mac(salt: str, clinic_id: int) -> str:
    # 64 bits of an HMAC: enough that nobody guesses one, short enough for many links an email.
    return salted_hmac(salt, str(clinic_id)).hexdigest()[:16]


def clinic_segment(clinic_id: int, *, salt: str) -> str:
    return f"{clinic_id}-{_clinic_mac(salt, clinic_id)}"


def clinic_from_segment(segment: str, *, salt: str) -> int | None:
    """The clinic id a link's clinic segment names, or None if it was changed."""
    clinic_id, _, mac = (segment or "").partition("-")
    if not clinic_id.isascii() or not clinic_id.isdigit() or len(clinic_id) > 12:
        return None
    return int(clinic_id) if constant_time_compare(mac, _clinic_mac(salt, int(clinic_id))) else None


@dataclass(frozen=True)
class LinkKind:
    """One purpose of link: `salt` keeps its tokens apart from every other signed value."""

    salt: str
    max_age: dt.timedelta

    @property
    def clinic_salt(self) -> str:
        return f"{self.salt}.clinic"

    def signer(self) -> signing.TimestampSigner:
        return signing.TimestampSigner(salt=self.salt)

    def token(self, payload: dict[str, Any]) -> str:
        return self.signer().sign_object(payload, compress=True)

    def read(self, token: str, *, max_age: dt.timedelta | None | object = ...) -> dict[str, Any]:
        """The payload of a genuine, unexpired token (a dict), else LinkExpired or LinkInvalid.
        `max_age=None` reads an expired token too (to name its clinic on the expired page)."""
        age = self.max_age if max_age is ... else max_age
        try:
            data = signing.loads(token, salt=self.salt, max_age=age)
        # SignatureExpired is a BadSignature: it has to be caught first.
        except signing.SignatureExpired as error:
            raise LinkExpired(str(error)) from error
        except (signing.BadSignature, ValueError, UnicodeError) as error:
            raise LinkInvalid(str(error)) from error
        if not isinstance(data, dict):
            raise LinkInvalid("Unexpected payload")
        return data

    def clinic_segment(self, clinic_id: int) -> str:
        return clinic_segment(clinic_id, salt=self.clinic_salt)

    def clinic_from_segment(self, segment: str) -> int | None:
        return clinic_from_segment(segment, salt=self.clinic_salt)


def link_problem(request: HttpRequest, template: str, problem: str, clinic_id: int | None, **extra) -> HttpResponse:
    """The page of a link that does not work (BROKEN, EXPIRED, or a kind's own problem such as
    "used"), naming the clinic that sent it and how to reach them when we know which."""
    clinic = Clinic.objects.filter(pk=clinic_id).first() if clinic_id is not None else None
    context = {"problem": problem, "clinic": clinic, "clinic_name": clinic.name if clinic else "", **extra}
    return render(request, template, context, status=400 if problem == BROKEN else 410)


def expired_links_clinic(
    kind: LinkKind, token: str, segment: str, *, read: Callable[..., Any], rows: Callable[[Any], QuerySet]
) -> int | None:
    """The clinic of an expired link: its row's (the signature is good, only old), else its segment's.

    `read(token, max_age=None)` is the kind's reader without the age limit, and `rows(payload)`
    the rows (one, or none since) the payload names, each with a `clinic_id`."""
    try:
        payload = read(token, max_age=None)
    except LinkInvalid:  # (a signed shape we never issue: expiry is checked before the shape)
        return kind.clinic_from_segment(segment)
    found = rows(payload).values_list("clinic_id", flat=True).first()
    return found if found is not None else kind.clinic_from_segment(segment)


def read_or_problem(
    request: HttpRequest,
    template: str,
    kind: LinkKind,
    token: str,
    segment: str,
    *,
    read: Callable[..., Any],
    rows: Callable[[Any], QuerySet],
) -> tuple[Any, HttpResponse | None]:
    """(the payload, None) of a genuine, unexpired link; else (None, its problem page), naming
    the clinic of an expired link by its row (`read` and `rows` as in expired_links_clinic)."""
    try:
        return read(token), None
    except LinkExpired:
        clinic_id = expired_links_clinic(kind, token, segment, read=read, rows=rows)
        return None, link_problem(request, template, EXPIRED, clinic_id)
    except LinkInvalid:
        return None, link_problem(request, template, BROKEN, kind.clinic_from_segment(segment))
