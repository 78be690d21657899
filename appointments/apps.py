from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        from outbox import kinds

        from .email_kinds import CONFIRMATION, REMINDER

        kinds.register(CONFIRMATION, REMINDER)
