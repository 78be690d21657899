"""Writes of the audit trail that django-auditlog's signals cannot make on their own:
views of a client's clinical pages, and changes made with queryset.update() or
bulk_create(), which send no model signals."""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled
from auditlog.diff import model_instance_diff
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.encoding import smart_str

from .models import AuditEntry, stamp
from .tracked import is_tracked


def audit_view(request: HttpRequest, client: Model, what: str) -> AuditEntry:
    """One access row: who looked at `client`'s record, which page (`what`), when.
    Call it from every GET of a page or download that shows a client's clinical record."""
    user = getattr(request, "user", None)
    who = {"actor": user, "actor_label": str(user)} if user is not None and user.is_authenticated else {}
    return AuditEntry.objects.log_create(client, force_log=True, action=AuditEntry.Action.ACCESS, what=what, **who)


def _entry(instance: Model, *, action: int, changes: dict) -> AuditEntry:
    pk = instance.pk
    return AuditEntry(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=smart_str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=smart_str(instance),
        action=action,
        changes=changes,
        cid=get_cid(),
        **stamp(instance),
    )


def _diff(old: Model | None, new: Model | None, fields: Iterable[str] | None = None) -> dict:
    return model_instance_diff(
        old, new, fields_to_check=fields, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES
    )


def _write(entries: list[AuditEntry]) -> None:
    if entries and not auditlog_disabled.get():
        AuditEntry.objects.bulk_create(entries)


def logged_bulk_create(model: type[Model], objs: list[Model]) -> list[Model]:
    """model.objects.bulk_create(objs), with one audit row per created row (in one INSERT)."""
    created = model.objects.bulk_create(objs)
    if is_tracked(model):
        _write([_entry(obj, action=AuditEntry.Action.CREATE, changes=_diff(None, obj)) for obj in created])
    return created


@transaction.atomic
def logged_update(queryset: QuerySet, /, **values) -> int:
    """queryset.update(**values), keeping its conditions (a conditional UPDATE still lets only
    one of two racing clicks through), with one audit row per row it changed, before and after.
    The rows are read under a lock first, so the "before" is what the UPDATE replaced."""
    model = queryset.model
    if not is_tracked(model):
        return queryset.update(**values)
    before = {row.pk: row for row in queryset.select_for_update()}
    if not before:
        return 0
    count = queryset.filter(pk__in=list(before)).update(**values)
    after = model._base_manager.filter(pk__in=list(before)).in_bulk()
    entries = []
    for pk, old in before.items():
        new = after.get(pk)
        changes = _diff(old, new, values) if new is not None else None
        if changes:
            entries.append(_entry(new, action=AuditEntry.Action.UPDATE, changes=changes))
    _write(entries)
    return count
