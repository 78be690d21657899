from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self) -> None:
        from outbox import kinds

        from .email_kinds import KINDS

        kinds.register(*KINDS)
