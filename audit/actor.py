"""Who is acting, for every audit row: the signed-in staff member of the current request,
the client answering from an email link, or the system (Celery tasks, management commands).

The middleware makes the request known for its duration; the client's link pages say so
with `acting_as(CLIENT_VIA_LINK)`. Context variables, so threads and async requests never
see each other's actor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

CLIENT_VIA_LINK = "the client via an email link"
# What the client said through an intake link, accepted into the record by a practitioner.
GIVEN_BY_CLIENT = "given by the client"
SYSTEM = "system"
NOT_SIGNED_IN = "someone not signed in"

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_label: ContextVar[tuple[str, object] | None] = ContextVar("audit_label", default=None)


@contextmanager
def acting_as(label: str, user=None) -> Iterator[None]:
    """Audit rows written inside say who in `label`; `user`, when given, is the staff member
    who made it happen (a practitioner accepting what the client gave)."""
    token = _label.set((label, user))
    try:
        yield
    finally:
        _label.reset(token)


def current_actor():
    """(the staff member or None, the label an audit row keeps whatever becomes of the account)."""
    acting = _label.get()
    if acting:
        label, user = acting
        return user, label
    request = _request.get()
    if request is None:
        return None, SYSTEM
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user, str(user)
    return None, NOT_SIGNED_IN


class AuditActorMiddleware:
    """Makes the request's user the actor of the audit rows it writes. After
    AuthenticationMiddleware; the user is read when a row is written, so a login
    within the request counts."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
