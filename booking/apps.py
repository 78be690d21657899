from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self) -> None:
        from appointments.emails import register_context_extra
        from outbox import kinds

        from .change_links import email_links
        from .email_kinds import KINDS

        kinds.register(*KINDS)
        # The client's links to move or cancel, in the appointment emails (booking/change_links.py).
        register_context_extra(email_links)
