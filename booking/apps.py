from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self) -> None:
        from appointments import free_time
        from appointments.emails import register_context_extra
        from outbox import kinds

        from .calendar import calendar_free_slots
        from .change_links import email_links
        from .email_kinds import KINDS

        kinds.register(*KINDS)
        # The client's links to move or cancel, in the appointment emails (booking/change_links.py).
        register_context_extra(email_links)
        # The staff's day calendar shows free slots; appointments cannot import booking (no cycle).
        free_time.register(calendar_free_slots)
