from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Clinics and staff"

    def ready(self) -> None:
        from outbox import kinds

        # Their user_logged_in receivers: the second factor owed, the idle clock started.
        from . import middleware, twofactor  # noqa: F401
        from .email_kinds import PASSWORD_RESET, STAFF_INVITATION

        kinds.register(STAFF_INVITATION, PASSWORD_RESET)
