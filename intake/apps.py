from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake from the client"

    def ready(self) -> None:
        from outbox import kinds

        from . import client_page
        from .email_kinds import CONSENT_COPY, INTAKE_LINK_EMAIL

        client_page.register()
        kinds.register(INTAKE_LINK_EMAIL, CONSENT_COPY)
