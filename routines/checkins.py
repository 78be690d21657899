"""Writes for what a client answers from a routine email's links.

Kept apart from routines/services.py (the practitioner's writes) because these run for
an anonymous visitor holding a signed link, and must be safe to run twice: one CheckIn
per delivery and purpose (unique in the database), and the pause or stop applied only
by the click that created it.

A pain score can be corrected on the email's own client-local day: the client who
tapped the wrong number chooses another on the page, the latest answer counts, and the
earlier one stays as history (kind PAIN_REPLACED, so reports that read kind "pain" see
the latest answer only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.localtime import local_today
from clients.models import ConsentKind, ConsentSource
from clients.services import consent_record
from outbox.models import Delivery
from routines.models import CheckIn, Routine

PAUSE_DAYS = 7
STOP_REASON = "The client stopped the emails from a link in a routine email."


# The routine states that still take answers from its emails' links.
ANSWERABLE = (Routine.Status.ACTIVE, Routine.Status.PAUSED)


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn | None  # None: the routine had stopped or ended, nothing was recorded
    created: bool
    routine: Routine
    corrected: bool = False


def pause_ends(delivery: Delivery) -> dt.date:
    """The last client-local day without an email if the client pauses now."""
    return local_today(delivery.client) + dt.timedelta(days=PAUSE_DAYS)


def resumes_on(routine: Routine) -> dt.date | None:
    return routine.paused_until + dt.timedelta(days=1) if routine.paused_until else None


def pain_correctable(delivery: Delivery, now: dt.datetime | None = None) -> bool:
    """A pain answer can be changed while it is still the email's day where the client is."""
    return local_today(delivery.client, now) == delivery.local_date


def _answer(delivery: Delivery, kind: str, pain: int | None) -> dict:
    return {
        "clinic_id": delivery.clinic_id,
        "client_id": delivery.client_id,
        "pain": pain if kind == CheckIn.Kind.PAIN else None,
        "local_date": delivery.local_date,
    }


def _withdraw_routine_emails(delivery: Delivery, one_click: bool) -> None:
    """Stop means stop: the client's consent to routine emails goes, with when and from where,
    not just this routine, so no later routine starts until the client says otherwise."""
    if delivery.client.consent_email:
        consent_record(
            client=delivery.client,
            kind=ConsentKind.ROUTINE_EMAILS,
            given=False,
            source=ConsentSource.ONE_CLICK if one_click else ConsentSource.EMAIL_LINK,
        )


@transaction.atomic
def checkin_record(
    *, delivery: Delivery, kind: str, pain: int | None = None, correction: bool = False, one_click: bool = False
) -> CheckInResult:
    """Record the client's answer once. A second click finds the first row and changes nothing,
    except a `correction`: a different pain score chosen on the page the same day replaces
    the current one, which stays as history. A stop also withdraws the client's consent to
    routine emails (`one_click`: from the mail program's List-Unsubscribe), even when this
    routine had already ended."""
    # Lock the routine so a pause and a stop clicked at the same moment apply in order (and
    # two corrections of the same pain answer one after the other).
    routine = Routine.objects.select_for_update().get(pk=delivery.routine_id)
    if kind == CheckIn.Kind.STOP:
        _withdraw_routine_emails(delivery, one_click)
    if routine.status not in ANSWERABLE:
        # A stopped or ended routine takes no further answers (a pause clicked after a
        # one-click stop must not read as "paused"); a repeat of an answer given before
        # still finds it. docs/domain.md, rule 12.
        existing = CheckIn.objects.filter(delivery=delivery, kind=kind).first()
        return CheckInResult(check_in=existing, created=False, routine=routine)
    check_in, created = CheckIn.objects.get_or_create(
        delivery=delivery, kind=kind, defaults=_answer(delivery, kind, pain)
    )
    if (
        not created
        and correction
        and kind == CheckIn.Kind.PAIN
        and check_in.pain != pain
        and pain_correctable(delivery)
    ):
        CheckIn.objects.filter(pk=check_in.pk).update(kind=CheckIn.Kind.PAIN_REPLACED)
        latest = CheckIn.objects.create(delivery=delivery, kind=kind, **_answer(delivery, kind, pain))
        return CheckInResult(check_in=latest, created=True, routine=routine, corrected=True)
    if created and kind == CheckIn.Kind.PAUSE and routine.status == Routine.Status.ACTIVE:
        # The dispatcher sends nothing up to and including paused_until. The status
        # stays active, so the routine resumes by itself without anyone remembering it.
        routine.paused_until = pause_ends(delivery)
        routine.save(update_fields=["paused_until", "updated_at"])
    elif created and kind == CheckIn.Kind.STOP:
        routine.status = Routine.Status.STOPPED
        routine.stopped_at = timezone.now()
        routine.stop_reason = STOP_REASON
        routine.save(update_fields=["status", "stopped_at", "stop_reason", "updated_at"])
    return CheckInResult(check_in=check_in, created=created, routine=routine)
