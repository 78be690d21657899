from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class ClinicBackend(ModelBackend):
    """The usual backend, but demo accounts (public passwords) only work with DEBUG on."""

    def user_can_authenticate(self, user) -> bool:
        if getattr(user, "is_demo", False) and not settings.DEBUG:
            return False
        return super().user_can_authenticate(user)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS, for every login from a
    request (the login form, the admin). Code that authenticates without one (the test
    client's login(), a shell) is no visitor guessing passwords: it passes through unchecked
    instead of raising, and the backends after this one decide."""

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
