from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Home routines and emails"

    def ready(self) -> None:
        from . import client_page, signals  # noqa: F401  (signals connects the receivers)

        client_page.register()
