from django.apps import AppConfig


class TreatmentSessionsConfig(AppConfig):
    # django.contrib.sessions owns the label "sessions".
    name = "sessions"
    label = "treatment_sessions"
    verbose_name = "Treatment sessions"

    def ready(self) -> None:
        from . import client_page, signals  # noqa: F401  (signals connects the receivers)

        client_page.register()
