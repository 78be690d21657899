from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinics of `manage.py seed_demo`. Top of the app graph: it may import every app."""

    name = "demo"
    verbose_name = "Demo data"
