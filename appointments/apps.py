from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        from outbox import kinds

        from .email_kinds import KINDS

        kinds.register(*KINDS)
