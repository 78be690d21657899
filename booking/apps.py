from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        from appointments.emails import register_context_extra

        from .change_links import email_links

        # The client's links to move or cancel, in the appointment emails (booking/change_links.py).
        register_context_extra(email_links)
