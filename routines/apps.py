from django.apps import AppConfig


class RoutinesConfig(AppConfig):
    name = "routines"
    verbose_name = "Home routines and emails"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
