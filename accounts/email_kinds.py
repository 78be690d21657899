"""Staff emails as outbox kinds (outbox/kinds.py), registered in AccountsConfig.ready():
the invitation to choose a first password and the password reset. Both carry a link
to choose a password, made when the email is built (at sending), so it is valid from
the moment it leaves, works once, and expires like any reset link."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from outbox.kinds import EmailKind, EmailParts
from outbox.models import Delivery

from .services import site_url


def _set_password_parts(delivery: Delivery) -> EmailParts:
    user = delivery.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # Links come from SITE_URL, never from a request's Host header, which a visitor controls.
    context = {
        "user": user,
        "clinic": delivery.clinic,
        "link": site_url() + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}),
        "login_link": site_url() + reverse("login"),
    }
    return EmailParts(context)


def _skip(delivery: Delivery, now: dt.datetime, batch: None) -> str | None:
    if not delivery.user.is_active:
        return "Not sent: the account is inactive"
    return None


_SET_PASSWORD_EMAIL = {"build": _set_password_parts, "skip": _skip, "select_related": ("user",), "html": False}
STAFF_INVITATION = EmailKind(
    slug=Delivery.Kind.STAFF_INVITATION, template_dir="accounts/email/staff_invitation", **_SET_PASSWORD_EMAIL
)
PASSWORD_RESET = EmailKind(
    slug=Delivery.Kind.PASSWORD_RESET, template_dir="accounts/email/password_reset", **_SET_PASSWORD_EMAIL
)
