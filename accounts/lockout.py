"""Login lockout (django-axes, configured in settings): what a locked-out visitor sees,
and which logins are never locked. The owner's list of locked accounts is
accounts.selectors.locked_accounts, the unlock accounts.services.account_unlock.

Failed logins are counted per username and per client address in axes' AccessAttempt
table; either count reaching AXES_FAILURE_LIMIT within AXES_COOLOFF_TIME locks. The
message is the same for an existing account, a made-up username and a busy address, so
it tells an attacker nothing about which usernames exist.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from .forms import LoginForm
from .models import User

LOCKED_MESSAGE = (
    "Too many failed log-ins. Logging in is paused for {minutes} minutes for this username or from this "
    "network. Wait and try again, use “Forgot your password?”, or ask your clinic's owner to unlock it."
)


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, with the one message for every kind of lockout (HTTP 429)."""
    username = (credentials or {}).get("username") or ""
    form = LoginForm(request, initial={"username": username})
    context = {"form": form, "locked_message": LOCKED_MESSAGE.format(minutes=cooloff_minutes()), "next": ""}
    return render(request, "registration/login.html", context, status=429)


def is_demo_login(request, credentials) -> bool:
    """Demo accounts are never locked while DEBUG is on (their password is public then)."""
    if not settings.DEBUG:
        return False
    username = (credentials or {}).get("username") or ""
    return User.objects.filter(username=username, is_demo=True).exists()
