"""When a routine email is due: the schedule rules, in one place.

A routine email belongs to a client-local day. It is due on that day when the
routine's frequency picks the day and every rule of `_rules` holds. The rules are
database conditions, so the dispatcher filters thousands of routines in one query
and `is_due` asks the same question about one routine (and can say which rule
stopped it, for the practitioner's delivery log).

The hour of the day is not a rule here: the dispatcher compares the client's local
wall-clock time with `client.routine_time`, which is what makes daylight-saving
days right (the policy for a skipped or repeated hour is accounts/localtime.py's).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Coalesce

from sessions.models import TreatmentSession

from .models import Routine


def matches_frequency(
    *, frequency: str, weekdays: list[int] | None, every_n_days: int, starts_on: dt.date, local_date: dt.date
) -> bool:
    """Whether the routine's frequency picks `local_date` (dates are checked by the rules)."""
    if frequency == Routine.Frequency.WEEKDAYS:
        return local_date.weekday() in (weekdays or [])
    if frequency == Routine.Frequency.EVERY_N_DAYS:
        return (local_date - starts_on).days % max(every_n_days, 1) == 0
    return True


def _newer_session() -> Exists:
    # "Until the client's next session" (docs/domain.md, rule 12): any session that started after the
    # one that set the routine (or after its assignment when it came from no session).
    since = Coalesce(OuterRef("session__started_at"), OuterRef("assigned_at"), OuterRef("created_at"))
    return Exists(TreatmentSession.objects.filter(client_id=OuterRef("client_id"), started_at__gt=since))


def _rules(local_date: dt.date) -> list[tuple[str, Q]]:
    """(why not, condition that must hold) for an email on `local_date`."""
    return [
        (
            "the routine is not active",
            # A client's pause sets paused_until; a PAUSED routine whose week is over runs again.
            Q(status=Routine.Status.ACTIVE) | Q(status=Routine.Status.PAUSED, paused_until__lt=local_date),
        ),
        ("the routine had not started yet", Q(starts_on__lte=local_date)),
        ("the routine's end date had passed", Q(ends_on__isnull=True) | Q(ends_on__gte=local_date)),
        ("the client paused the emails", Q(paused_until__isnull=True) | Q(paused_until__lt=local_date)),
        ("the client withdrew consent to emails", Q(client__consent_email=True)),
        ("the client has no email address", ~Q(client__email="")),
        ("the client is archived", Q(client__archived_at__isnull=True)),
        ("the client's next session has been recorded", ~Q(_newer_session())),
    ]


def due_condition(local_date: dt.date) -> Q:
    """Every rule but the frequency, as one filter on Routine."""
    condition = Q()
    for _why, rule in _rules(local_date):
        condition &= rule
    return condition


def not_due_reason(routine: Routine, local_date: dt.date) -> str | None:
    """Why no email goes out for `routine` on `local_date`, or None when it is due."""
    if not matches_frequency(
        frequency=routine.frequency,
        weekdays=routine.weekdays,
        every_n_days=routine.every_n_days,
        starts_on=routine.starts_on,
        local_date=local_date,
    ):
        return "the routine's schedule skips this day"
    rules = _rules(local_date)
    checks = {f"rule_{n}": ExpressionWrapper(rule, output_field=BooleanField()) for n, (_why, rule) in enumerate(rules)}
    row = Routine.objects.filter(pk=routine.pk).annotate(**checks).values(*checks).first()
    if row is None:
        return "the routine no longer exists"
    for n, (why, _rule) in enumerate(rules):
        if not row[f"rule_{n}"]:
            return why
    return None


def is_due(routine: Routine, local_date: dt.date) -> bool:
    return not_due_reason(routine, local_date) is None


def due_routine_ids(pairs: Iterable[tuple[Routine, dt.date]]) -> set[int]:
    """`is_due` for many (routine, local day) pairs: one query per distinct day."""
    by_day: dict[dt.date, list[Routine]] = defaultdict(list)
    for routine, local_date in pairs:
        by_day[local_date].append(routine)
    due: set[int] = set()
    for local_date, routines in by_day.items():
        scheduled = {
            r.pk
            for r in routines
            if matches_frequency(
                frequency=r.frequency,
                weekdays=r.weekdays,
                every_n_days=r.every_n_days,
                starts_on=r.starts_on,
                local_date=local_date,
            )
        }
        due |= set(Routine.objects.filter(due_condition(local_date), pk__in=scheduled).values_list("pk", flat=True))
    return due
