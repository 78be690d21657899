from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self) -> None:
        from outbox import kinds

        from .email_kinds import KINDS

        kinds.register(*KINDS)
        # The staff's day calendar shows free slots; appointments cannot import booking (no cycle).
        from appointments import free_time

        from .calendar import calendar_free_slots

        free_time.register(calendar_free_slots)
