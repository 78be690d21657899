from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class ClinicBackend(ModelBackend):
    """The usual backend, but demo accounts (public passwords) only work with DEBUG on."""

    def user_can_authenticate(self, user) -> bool:
        if getattr(user, "is_demo", False) and not settings.DEBUG:
            return False
        return super().user_can_authenticate(user)
