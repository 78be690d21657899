from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self) -> None:
        from outbox import kinds

        from . import client_page
        from .email_kinds import KINDS

        client_page.register()
        kinds.register(*KINDS)
