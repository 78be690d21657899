"""The audit trail: django-auditlog's log entry, with the clinic and client on each row.

django-auditlog (not django-pghistory) because it works the same on SQLite (`make run`)
and PostgreSQL (CI, production): it records through Django's model signals, so every
save and delete through the ORM is caught on both. Its blind spot, queryset.update() and
bulk_create(), which send no signals, is covered by audit.services.logged_update and
logged_bulk_create, which the services use wherever they write a tracked model that way.
pghistory's triggers would also catch raw SQL, but need PostgreSQL.

Changes are rows with action create/update/delete and `changes` = {field: [before, after]};
views of a client's clinical pages are rows with action "access" and `what` saying which page.
"""

from __future__ import annotations

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models

from accounts.models import Clinic


class AuditEntryManager(LogEntryManager):
    """Every row django-auditlog writes gets its clinic, client and actor here."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        for key, value in stamp(instance).items():
            kwargs.setdefault(key, value)
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        for key, value in stamp(instance).items():
            kwargs.setdefault(key, value)
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


def stamp(instance) -> dict:
    """The clinic, client and actor of an audit row about `instance`."""
    from .actor import current_actor
    from .tracked import scope_of

    actor, label = current_actor()
    return {**scope_of(instance), "actor": actor, "actor_label": label}


class AuditEntry(AbstractLogEntry):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, related_name="+")
    # No database constraint: the row keeps the client's id even if the record is ever removed.
    client = models.ForeignKey(
        "clients.Client", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    # Who, in words, as they were called at the time: a staff member's name,
    # "the client via an email link" or "system".
    actor_label = models.CharField(max_length=200, blank=True)
    # For a view: which page or download ("client page", "session page", ...).
    what = models.CharField(max_length=200, blank=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["clinic", "-timestamp"], name="audit_clinic_time_idx"),
            models.Index(fields=["clinic", "client", "-timestamp"], name="audit_clinic_client_time_idx"),
            models.Index(fields=["clinic", "actor", "-timestamp"], name="audit_clinic_actor_time_idx"),
        ]

    @property
    def is_view(self) -> bool:
        return self.action == self.Action.ACCESS
