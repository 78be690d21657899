from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Home routines"

    def ready(self) -> None:
        from outbox import kinds

        from . import signals  # noqa: F401  (connects the receivers)
        from .email_kinds import ROUTINE

        kinds.register(ROUTINE)
