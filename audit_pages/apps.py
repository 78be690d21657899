from django.apps import AppConfig


class AuditPagesConfig(AppConfig):
    """The owner's pages over the audit trail. Apart from the `audit` app because they read
    clients and reuse the reports' CSV writer, while every app below them writes audit rows:
    in one app that would be an import cycle."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit_pages"
    verbose_name = "Audit trail pages"
