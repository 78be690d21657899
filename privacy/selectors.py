"""Reads: a client's complete record (subject access), retention, and the clinic's exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Clinic
from accounts.tenancy import for_clinic
from appointments.models import Appointment
from clients.models import Client
from reports.scope import clinic_today
from sessions.models import TreatmentSession

from .models import ADULT_AGE, ClinicExport, RetentionPolicy
from .tables import DataTable, is_secret, json_text, tables_of


def retention_policy(clinic: Clinic) -> RetentionPolicy:
    """The clinic's settings, or the defaults (unsaved) when it has set none."""
    return RetentionPolicy.objects.filter(clinic=clinic).first() or RetentionPolicy(clinic=clinic)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Retention:
    client: Client
    # The last treatment (session); a client never treated counts from their last
    # appointment, or else from when the record was made.
    last_treatment: dt.date
    treated_as_minor: bool
    kept_until: dt.date
    today: dt.date

    @property
    def is_past(self) -> bool:
        return self.kept_until < self.today

    @property
    def reason(self) -> str:
        return "treated as a minor" if self.treated_as_minor else "years after the last treatment"


def _retention(client: Client, policy: RetentionPolicy, today: dt.date, tz: ZoneInfo) -> Retention:
    def day(value: dt.datetime | None) -> dt.date | None:
        return value.astimezone(tz).date() if value else None

    first = day(client.first_session) or day(client.first_appointment) or day(client.created_at)
    last = day(client.last_session) or day(client.last_appointment) or day(client.created_at)
    kept_until = add_years(last, policy.years_after_last_treatment)
    age_at_first = client.age_on(first)
    minor = age_at_first is not None and age_at_first < ADULT_AGE
    if minor:
        kept_until = max(kept_until, add_years(client.date_of_birth, policy.minor_until_age))
    return Retention(client, last, minor, kept_until, today)


def _edge(model, column: str, aggregate) -> Subquery:
    # One subquery per figure through the client index: joining sessions and appointments
    # together would multiply a client's rows (sessions x appointments).
    per_client = model.objects.filter(client=OuterRef("pk")).order_by().values("client")
    return Subquery(per_client.annotate(edge=aggregate(column)).values("edge")[:1])


def _with_history(qs: QuerySet[Client]) -> QuerySet[Client]:
    return qs.annotate(
        first_session=_edge(TreatmentSession, "started_at", Min),
        last_session=_edge(TreatmentSession, "started_at", Max),
        first_appointment=_edge(Appointment, "starts_at", Min),
        last_appointment=_edge(Appointment, "starts_at", Max),
    )


def client_retention(client: Client, *, today: dt.date | None = None) -> Retention:
    clinic = client.clinic
    annotated = _with_history(Client.objects.filter(pk=client.pk)).get()
    return _retention(annotated, retention_policy(clinic), today or clinic_today(clinic), ZoneInfo(clinic.timezone))


def clients_past_retention(clinic: Clinic, *, today: dt.date | None = None) -> list[Retention]:
    """The clinic's clients, not yet anonymised, whose retention period has ended; longest past first."""
    policy, today, tz = retention_policy(clinic), today or clinic_today(clinic), ZoneInfo(clinic.timezone)
    candidates = _with_history(for_clinic(Client, clinic).filter(anonymisation__isnull=True))
    rows = [_retention(c, policy, today, tz) for c in candidates]
    return sorted((r for r in rows if r.is_past), key=lambda r: (r.kept_until, r.client.pk))


def anonymised_count(clinic: Clinic) -> int:
    return for_clinic(Client, clinic).filter(anonymisation__isnull=False).count()


# --- Subject access ---------------------------------------------------------------------


def client_tables() -> tuple[DataTable, ...]:
    """The client's own row first, then every table holding data about them."""
    return tables_of(Client)


def subject_access_data(client: Client) -> dict:
    """The client's complete record, as JSON-ready data: every table reached from Client,
    each row with every stored column (secrets excepted), keyed by the table's label."""
    own, *others = client_tables()
    return {
        "format": "ReflexClinic subject access export, version 1",
        "generated_at": timezone.now(),
        "clinic": client.clinic.name,
        "client": next(own.values(client)),
        "tables": {t.label: {"title": t.title, "rows": list(t.values(client))} for t in others},
    }


@dataclass(frozen=True)
class PrintedTable:
    label: str
    title: str
    headings: list[str]
    rows: list[list[str]]


def _cell(obj, field) -> str:
    if field.is_relation:
        related = getattr(obj, field.name)
        return "" if related is None else str(related)
    value = getattr(obj, field.attname)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json_text(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%-d %b %Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%-d %b %Y")
    return str(value)


def _printed_fields(table: DataTable) -> list:
    # The clinic and the client are the page's heading; every other column is printed.
    return [
        f
        for f in table.model._meta.concrete_fields
        if not is_secret(f) and not (f.is_relation and f.related_model in (Clinic, Client)) and not f.primary_key
    ]


def subject_access_page(client: Client) -> tuple[list[tuple[str, str]], list[PrintedTable]]:
    """The same record for the printable page: the client's details as (label, text), then
    each table's rows in words (choices by label, related rows by name)."""
    own, *others = client_tables()
    details = [(str(f.verbose_name).capitalize(), _cell(client, f)) for f in _printed_fields(own)]
    printed = []
    for table in others:
        fields = _printed_fields(table)
        related = [f.name for f in fields if f.is_relation]
        objs = table.rows(client).select_related(*related)
        printed.append(
            PrintedTable(
                label=table.label,
                title=table.title,
                headings=[str(f.verbose_name).capitalize() for f in fields],
                rows=[[_cell(obj, f) for f in fields] for obj in objs],
            )
        )
    return details, printed


# --- Clinic exports ---------------------------------------------------------------------


def clinic_exports(clinic: Clinic) -> QuerySet[ClinicExport]:
    return for_clinic(ClinicExport, clinic).select_related("requested_by")
