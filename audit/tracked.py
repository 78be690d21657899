"""The models whose every change goes into the audit trail: one line each, here and only here.

Each line names the model and where its clinic and client are read from an instance
(attribute paths, dots for a hop through a foreign key), so every audit row carries its
clinic and client and the owner's pages filter on indexed columns, never on JSON.
Adding a model is one more `Tracked(...)` line below; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model


@dataclass(frozen=True)
class Tracked:
    model: str  # "app_label.ModelName"
    clinic: str  # path to the clinic id, e.g. "clinic_id" or "session.clinic_id"
    client: str  # path to the client id, e.g. "client_id" or "id" for the client itself


TRACKED: tuple[Tracked, ...] = (
    Tracked("clients.Client", clinic="clinic_id", client="id"),
    Tracked("clients.ClientHealthFlag", clinic="client.clinic_id", client="client_id"),
    Tracked("clients.ConsentRecord", clinic="client.clinic_id", client="client_id"),
    Tracked("permission.PermissionRequest", clinic="clinic_id", client="client_id"),
    Tracked("appointments.Appointment", clinic="clinic_id", client="client_id"),
    Tracked("appointments.Course", clinic="clinic_id", client="client_id"),
    Tracked("treatment_sessions.TreatmentSession", clinic="clinic_id", client="client_id"),
    Tracked("treatment_sessions.PressureNote", clinic="session.clinic_id", client="session.client_id"),
    Tracked("routines.Routine", clinic="clinic_id", client="client_id"),
    Tracked("routines.RoutineStep", clinic="routine.clinic_id", client="routine.client_id"),
    Tracked("intake.IntakeSubmission", clinic="clinic_id", client="client_id"),
)

# updated_at changes on every save and says nothing, so no row records it (and a save that
# changes nothing else writes no row). Nor do a session's copies of its place in the
# client's history, which the reports keep (sessions.rollups): derived, never typed.
QUIET_FIELDS = [
    "updated_at",
    "history_number",
    "history_scored",
    "history_first_score",
    "history_latest_score",
    "history_relief",
]

_SCOPES: dict[type[Model], Tracked] = {}


def register_all() -> None:
    from auditlog.registry import auditlog

    for tracked in TRACKED:
        model = apps.get_model(tracked.model)
        _SCOPES[model] = tracked
        auditlog.register(model, exclude_fields=list(QUIET_FIELDS))


def is_tracked(model: type[Model]) -> bool:
    return model in _SCOPES


def _follow(instance: Model, path: str):
    value = instance
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def scope_of(instance: Model) -> dict[str, int | None]:
    """The clinic and client ids an audit row about `instance` carries."""
    tracked = _SCOPES.get(type(instance))
    if tracked is None:
        return {}
    return {"clinic_id": _follow(instance, tracked.clinic), "client_id": _follow(instance, tracked.client)}
