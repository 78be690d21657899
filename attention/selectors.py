"""What needs attention: one source per kind of loose end, each a query scoped to the
clinic (the owner's list) or to one practitioner (their own list).

A source is one entry in SOURCES: a title, what an empty source says, its rows as a
queryset, and how one row reads. The page lists every source; the navigation's count
adds them up in one query (a UNION ALL of the sources' ids, counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.localtime import local_today
from accounts.tenancy import for_clinic
from appointments.models import Appointment
from audit.actor import CLIENT_VIA_LINK
from audit.models import AuditEntry
from booking.models import BookingHold
from clients.health_flags import FLAG_SPECS
from clients.models import Client, ClientHealthFlag, ConsentKind, ConsentRecord, ConsentSource
from intake.models import IntakeSubmission
from outbox.models import Delivery
from permission.models import PermissionRequest, PermissionStatus
from sessions.models import TreatmentSession

# docs/domain.md, rule 16: a letter to a GP unanswered this long is worth a phone call.
PERMISSION_CHASE_DAYS = 14
# Failed emails and opt-outs stay on the list this long; then they are history (the
# delivery log and the routine keep them). Drafts and open appointments stay until done.
RECENT_DAYS = 30
# docs/domain.md, rule 14: a client whose consent to treatment is due again is listed while they
# have a visit this close, so the renewal link can be sent (and signed) before the session.
CONSENT_AHEAD_DAYS = 14


@dataclass(frozen=True)
class Scope:
    """The owner's whole clinic (practitioner None) or one practitioner's own work."""

    clinic: object
    practitioner: object | None = None

    def own(self, qs: QuerySet, path: str, *, clinic_path: str = "") -> QuerySet:
        """Rows of the scope: the clinic's (through `clinic_path` for a model without its own
        clinic), and only the practitioner's own along `path` when the scope is theirs."""
        qs = qs.filter(**{f"{clinic_path}clinic": self.clinic}) if clinic_path else for_clinic(qs, self.clinic)
        return qs if self.practitioner is None else qs.filter(**{path: self.practitioner})


@dataclass(frozen=True)
class Item:
    text: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Source:
    slug: str
    title: str
    empty: str
    rows: Callable[[Scope, dt.datetime], QuerySet]
    item: Callable[[object], Item]


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%a %-d %b %Y, %H:%M")


def unsigned_sessions(scope: Scope, now: dt.datetime) -> QuerySet:
    qs = TreatmentSession.objects.filter(signed_at__isnull=True)
    return scope.own(qs, "practitioner").select_related("client").order_by("started_at", "id")


def failed_emails(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, Nothing lost: a failed email is marked failed with its reason, which the practitioner can see.
    since = (now - dt.timedelta(days=RECENT_DAYS)).date()
    qs = Delivery.objects.filter(status=Delivery.Status.FAILED, local_date__gte=since)
    return scope.own(qs, "client__practitioner").select_related("client").order_by("-local_date", "-id")


def opted_out(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, rule 12: the client withdrew their consent to routine emails from an email
    # (the stop link or their mail program's unsubscribe), and has not given it again since.
    qs = ConsentRecord.objects.filter(
        kind=ConsentKind.ROUTINE_EMAILS,
        given=False,
        source__in=[ConsentSource.EMAIL_LINK, ConsentSource.ONE_CLICK],
        at__gte=now - dt.timedelta(days=RECENT_DAYS),
        client__consent_email=False,
    )
    return scope.own(qs, "client__practitioner", clinic_path="client__").select_related("client").order_by("-at", "-id")


def awaiting_clearance(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, rule 9: a flag whose spec asks for a physician's clearance, none recorded yet.
    asking = [flag for flag, spec in FLAG_SPECS.items() if spec.asks_clearance]
    flagged = ClientHealthFlag.objects.filter(client=OuterRef("pk"), flag__in=asking)
    qs = Client.objects.filter(Exists(flagged), archived_at__isnull=True, physician_clearance="")
    return scope.own(qs, "practitioner").prefetch_related("health_flags").order_by("last_name", "first_name", "id")


def consent_due_before_visit(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, rule 14: no session is recorded or signed until the client consents again.
    upcoming = Appointment.objects.filter(
        client=OuterRef("pk"),
        status=Appointment.Status.BOOKED,
        ends_at__gt=now,
        starts_at__lt=now + dt.timedelta(days=CONSENT_AHEAD_DAYS),
    ).order_by("starts_at")
    qs = (
        Client.objects.consent_due_again()
        .annotate(next_visit=Subquery(upcoming.values("starts_at")[:1]))
        .filter(next_visit__isnull=False, archived_at__isnull=True)
    )
    return scope.own(qs, "practitioner").order_by("next_visit", "id")


def intake_to_review(scope: Scope, now: dt.datetime) -> QuerySet:
    # What a client sent through an intake link waits for the practitioner's review before it is in the record.
    qs = IntakeSubmission.objects.filter(status=IntakeSubmission.Status.PENDING)
    return scope.own(qs, "client__practitioner").select_related("client").order_by("submitted_at", "id")


def unanswered_permission(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, rule 16: a GP letter with no reply recorded after two weeks.
    qs = PermissionRequest.objects.filter(
        status=PermissionStatus.REQUESTED,
        requested_at__lt=now - dt.timedelta(days=PERMISSION_CHASE_DAYS),
        client__archived_at__isnull=True,
    )
    return scope.own(qs, "client__practitioner").select_related("client").order_by("requested_at", "id")


def expired_permission(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, rule 16: the client's newest GP reply was a permission that has ended, and
    # nobody has asked again yet: sessions are on hold again.
    newer = PermissionRequest.objects.filter(client=OuterRef("client"), received_on__isnull=False).filter(
        received_on__gt=OuterRef("received_on")
    )
    asking = PermissionRequest.objects.filter(client=OuterRef("client"), status=PermissionStatus.REQUESTED)
    qs = PermissionRequest.objects.filter(
        ~Exists(newer),
        ~Exists(asking),
        status=PermissionStatus.PERMITTED,
        expires_on__lt=local_today(scope.clinic, now),
        client__archived_at__isnull=True,
    )
    return scope.own(qs, "client__practitioner").select_related("client").order_by("expires_on", "id")


def booking_requests(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, "Online booking": where the clinic accepts requests, a verified request holds
    # its slot until someone accepts or declines it.
    qs = BookingHold.objects.filter(status=BookingHold.Status.REQUESTED)
    return scope.own(qs, "practitioner").select_related("treatment_type").order_by("starts_at", "id")


def past_still_booked(scope: Scope, now: dt.datetime) -> QuerySet:
    qs = Appointment.objects.filter(status=Appointment.Status.BOOKED, ends_at__lt=now)
    return scope.own(qs, "practitioner").select_related("client").order_by("starts_at", "id")


def changed_by_client(scope: Scope, now: dt.datetime) -> QuerySet:
    # docs/domain.md, "Changes from the email": what clients moved or cancelled from their
    # emails lately, read from the audit trail, which records those changes as the client's
    # (booking/changes.py). Until the (new or cancelled) time has passed: then it is history.
    by_client = AuditEntry.objects.filter(
        content_type__app_label="appointments",
        content_type__model="appointment",
        object_id=OuterRef("pk"),
        actor_label=CLIENT_VIA_LINK,
        action=AuditEntry.Action.UPDATE,
        timestamp__gte=now - dt.timedelta(days=RECENT_DAYS),
    ).order_by("-timestamp")
    qs = Appointment.objects.annotate(changed_by_client_at=Subquery(by_client.values("timestamp")[:1])).filter(
        changed_by_client_at__isnull=False, starts_at__gt=now
    )
    return scope.own(qs, "practitioner").select_related("client").order_by("-changed_by_client_at", "-id")


def _client_change(a: Appointment) -> Item:
    what = "Cancelled" if a.status == Appointment.Status.CANCELLED else "Moved"
    when = f"was {_when(a.starts_at)}" if what == "Cancelled" else f"now {_when(a.starts_at)}"
    return Item(
        a.client.full_name,
        reverse("appointments:detail", args=[a.pk]),
        f"{what} by the client from their email on {_when(a.changed_by_client_at)}: {when}",
    )


SOURCES: list[Source] = [
    Source(
        "unsigned",
        "Sessions waiting to be signed",
        "Every session is signed.",
        unsigned_sessions,
        lambda s: Item(
            s.client.full_name, reverse("sessions:detail", args=[s.pk]), f"Draft from {_when(s.started_at)}"
        ),
    ),
    Source(
        "failed-emails",
        "Emails that could not be sent",
        f"No email failed in the last {RECENT_DAYS} days.",
        failed_emails,
        lambda d: Item(
            d.client.full_name if d.client else d.to_email,
            reverse("clients:detail", args=[d.client_id]) if d.client_id else "",
            f"{d.get_kind_display()} for {d.local_date:%-d %b %Y}: {d.last_error or 'no reason recorded'}",
        ),
    ),
    Source(
        "opted-out",
        "Clients who stopped their emails",
        f"No client stopped their emails in the last {RECENT_DAYS} days.",
        opted_out,
        lambda r: Item(
            r.client.full_name,
            reverse("clients:detail", args=[r.client_id]),
            f"Stopped on {_when(r.at)}, from {r.get_source_display()}",
        ),
    ),
    Source(
        "awaiting-clearance",
        "Flags awaiting clearance from a physician",
        "Every flag that asks for a clearance has one recorded.",
        awaiting_clearance,
        lambda c: Item(
            c.full_name,
            reverse("clients:detail", args=[c.pk]),
            ", ".join(spec.label for spec in c.flag_specs if spec.asks_clearance) + ": no clearance recorded",
        ),
    ),
    Source(
        "consent-due",
        "Consent due again before a visit",
        f"No client with a visit in the next {CONSENT_AHEAD_DAYS} days has consent due again.",
        consent_due_before_visit,
        lambda c: Item(
            c.full_name,
            reverse("clients:detail", args=[c.pk]) + "#consent-due",
            f"Next visit {_when(c.next_visit)}: health flags or treatment plan changed on "
            f"{_when(c.health_changed_at)}, after they consented",
        ),
    ),
    Source(
        "intake-review",
        "Intake answers waiting for review",
        "Every intake a client sent is reviewed.",
        intake_to_review,
        lambda i: Item(i.client.full_name, reverse("intake:review", args=[i.pk]), f"Sent on {_when(i.submitted_at)}"),
    ),
    Source(
        "permission-unanswered",
        f"GP letters unanswered after {PERMISSION_CHASE_DAYS} days",
        f"Every GP letter older than {PERMISSION_CHASE_DAYS} days has its reply recorded.",
        unanswered_permission,
        lambda r: Item(
            r.client.full_name,
            reverse("permission:detail", args=[r.pk]),
            f"Letter asked on {_when(r.requested_at)}: no reply recorded",
        ),
    ),
    Source(
        "permission-expired",
        "Medical permissions that have expired",
        "No medical permission has expired without a new request.",
        expired_permission,
        lambda r: Item(
            r.client.full_name,
            reverse("permission:client", args=[r.client_id]),
            f"The GP's permission ended on {r.expires_on:%-d %b %Y}: sessions are on hold until it is renewed",
        ),
    ),
    Source(
        "booking-requests",
        "Online booking requests to accept or decline",
        "No online booking request is waiting.",
        booking_requests,
        lambda h: Item(
            h.full_name,
            reverse("booking:overview"),
            f"{h.treatment_type.name} on {_when(h.starts_at)}: requested online",
        ),
    ),
    Source(
        "past-booked",
        "Past appointments still marked booked",
        "Every past appointment is marked attended, no-show or cancelled.",
        past_still_booked,
        lambda a: Item(
            a.client.full_name, reverse("appointments:detail", args=[a.pk]), f"Booked for {_when(a.starts_at)}"
        ),
    ),
    Source(
        "client-changes",
        "Appointments clients moved or cancelled",
        f"No client moved or cancelled an appointment from their email in the last {RECENT_DAYS} days.",
        changed_by_client,
        _client_change,
    ),
]


@dataclass(frozen=True)
class Section:
    source: Source
    items: list[Item]


def attention_list(scope: Scope, *, now: dt.datetime | None = None, limit: int = 50) -> list[Section]:
    """Every source with its rows (at most `limit` each), one query per source."""
    now = now or timezone.now()
    return [Section(source, [source.item(row) for row in source.rows(scope, now)[:limit]]) for source in SOURCES]


def attention_count(scope: Scope, *, now: dt.datetime | None = None) -> int:
    """How many rows all sources hold, in one query."""
    now = now or timezone.now()
    first, *rest = (source.rows(scope, now).order_by().values_list("pk") for source in SOURCES)
    return first.union(*rest, all=True).count()
