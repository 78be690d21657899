from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Home routines"

    def ready(self) -> None:
        from outbox import kinds

        from . import client_page, signals  # noqa: F401  (signals connects the receivers)
        from .email_kinds import ROUTINE

        client_page.register()
        kinds.register(ROUTINE)
