"""Sign-in rules applied to every request (issue 11): the second factor still owed, the
idle timeout on shared tablets, and no copy of a page kept by the browser or a proxy."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from . import twofactor

# The session key of the last request's time (epoch seconds), and how stale it may get
# before it is written again: one session write a minute at most, not one per request.
LAST_SEEN_KEY = "last_seen"
LAST_SEEN_GRANULARITY_SECONDS = 60
IDLE_MESSAGE = "You were signed out after {minutes} minutes without activity. Log in again to carry on."


def _to_login_page(name: str, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


class TwoFactorMiddleware:
    """Until the second factor owed after the password is given (accounts.twofactor), the
    session reaches only the pages that give it, and the log-out."""

    STEP_PAGES = {twofactor.VERIFY: "two_factor_verify", twofactor.ENROL: "two_factor_enrol"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = request.session.get(twofactor.SESSION_KEY) if request.user.is_authenticated else None
        if step in self.STEP_PAGES:
            allowed = {reverse(self.STEP_PAGES[step]), reverse("logout")}
            if request.path not in allowed:
                return _to_login_page(self.STEP_PAGES[step], request)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Signs out a session left unused longer than its clinic's idle timeout (a setting the
    owner chooses, 30 minutes by default), so a tablet left on the desk does not stay open
    on a client's notes. The login page then says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.clinic_id:
            now = timezone.now().timestamp()
            last_seen = request.session.get(LAST_SEEN_KEY)
            minutes = user.clinic.idle_timeout_minutes
            if last_seen is not None and now - last_seen > minutes * 60:
                logout(request)
                messages.info(request, IDLE_MESSAGE.format(minutes=minutes))
                return _to_login_page("login", request)
            if last_seen is None or now - last_seen >= LAST_SEEN_GRANULARITY_SECONDS:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="accounts.middleware.start_idle_clock")
def _start_idle_clock(sender, request, user, **kwargs) -> None:
    """The idle clock starts at sign-in, so the pages of the next minute write no session."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_KEY] = timezone.now().timestamp()


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every page the app renders: nearly all show client data,
    and a shared tablet's back button or disk cache must not show them to the next person.
    Static files (WhiteNoise, earlier in the chain) keep their long caching; a view that
    set its own Cache-Control keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
