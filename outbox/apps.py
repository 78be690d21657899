from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """Every email the clinic owes, whoever owes it: the row, its attempts, the mailer.

    The outbox knows no domain app. Each app that sends email registers its kinds
    (outbox/kinds.py) in its own AppConfig.ready().
    """

    name = "outbox"
    verbose_name = "Outbox: every email"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
