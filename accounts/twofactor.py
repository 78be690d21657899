"""Two-factor sign-in (issue 11): an authenticator app (TOTP) and single-use recovery codes.

Built on django-otp, which fits a plain-Django app with its own login views: its TOTP
device (otp_totp) checks the six-digit codes of any authenticator app, with a drift
window and no code accepted twice; its static device (otp_static) holds the recovery
codes and deletes each one as it is used. django-allauth's MFA module would also bring
passkeys, but only on top of allauth's own account views, replacing ours.

The rule: whoever has an authenticator app set up answers a code after their password;
whoever has none, in a clinic whose owner requires two-factor sign-in, sets one up before
anything else. Demo accounts (public passwords, DEBUG only) are exempt from the clinic's
requirement, in DEBUG only: with DEBUG off they cannot log in at all (accounts.backends).

The step is decided once, when the password is accepted (`user_logged_in`, so every way
in, the admin's login too, gets it), and kept in the session: until it is answered,
TwoFactorMiddleware sends every page to it. Sessions that never had a step cost no query.
"""

from __future__ import annotations

import base64

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

# The session key holding the step still owed: VERIFY (enter a code) or ENROL (set up an app).
SESSION_KEY = "two_factor_step"
VERIFY = "verify"
ENROL = "enrol"
RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "Authenticator app"


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def clinic_requires_two_factor(user: User) -> bool:
    if user.is_demo and settings.DEBUG:
        return False
    return bool(user.clinic_id) and user.clinic.require_two_factor


def step_owed(user: User) -> str | None:
    """What this user must do after their password, if anything."""
    if has_two_factor(user):
        return VERIFY
    if clinic_requires_two_factor(user):
        return ENROL
    return None


@receiver(user_logged_in, dispatch_uid="accounts.twofactor.owe_step")
def _owe_step_after_password(sender, request, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    step = step_owed(user)
    if step:
        request.session[SESSION_KEY] = step
    else:
        request.session.pop(SESSION_KEY, None)


def step_done(request) -> None:
    request.session.pop(SESSION_KEY, None)
    # A new session id once fully signed in, as after the password.
    request.session.cycle_key()


def totp_device_start(*, user: User) -> TOTPDevice:
    """The user's authenticator app being set up: an unconfirmed device with a fresh secret,
    replacing any earlier unconfirmed one (a reloaded page shows a new QR code)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the app with a code it shows; returns the new recovery codes to show once,
    or None when the code is wrong. Earlier apps and recovery codes are replaced."""
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_create(user=device.user)


@transaction.atomic
def recovery_codes_create(*, user: User) -> list[str]:
    """A new set of single-use recovery codes; the old set stops working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def code_check(*, request, user: User, token: str) -> bool:
    """A code from the app or a recovery code (used up once accepted). A wrong one is a failed
    login (`user_login_failed`), so the login lockout counts wrong second factors too."""
    device = match_token(user, token.replace(" ", "").strip())
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
        return False
    return True


def locked_out(request, user: User) -> bool:
    """The login lockout (django-axes) holds this username or address: the second step is
    refused like the password would be, so a stolen password buys no more code guesses."""
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@transaction.atomic
def two_factor_remove(*, user: User) -> None:
    """Back to the password alone (only where the clinic does not require a second factor)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG drawn here: no script, no outside image, allowed
    by the strict CSP; dark modules on a light background so every camera reads it."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, light="#fff", title="QR code for your authenticator app"
    )


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
