"""A clinic in use, for the page checks: one of everything a main page shows.

Built with the factories and the real services (a signed session with pressure notes,
a routine proposed from it and assigned, an email sent, a check-in, a draft session,
a booked appointment ahead), so each main page has something to draw rather than its
empty state. tests/browser/pages.py finds its pages from whatever is in the clinic.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from outbox.models import Delivery
from routines.checkins import checkin_record
from routines.models import CheckIn
from routines.proposal import routine_propose
from routines.services import routine_assign
from sessions.models import ReflexZone
from sessions.services import treatment_session_sign
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    DeliveryFactory,
    IntakeLinkFactory,
    IntakeSubmissionFactory,
    PressureNoteFactory,
    TreatmentSessionFactory,
)


def clinic_in_use(*, clinic, practitioner) -> dict:
    now = timezone.now()
    client = ClientFactory(
        clinic=clinic, practitioner=practitioner, first_name="Fiona", last_name="Fairweather", phone="07700 900123"
    )
    ClientHealthFlagFactory(client=client, flag="feet_injured")
    zones = {z.code: z for z in ReflexZone.objects.filter(clinic=clinic)}
    foot_zones = [z for z in zones.values() if z.reflex_map.startswith("foot")][:3]

    # Two past visits, signed, the second with less pain.
    for weeks_ago, (before, after) in ((2, (7, 5)), (1, (5, 3))):
        started = now - dt.timedelta(weeks=weeks_ago)
        visit = AppointmentFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            starts_at=started,
            status="attended",
        )
        session = TreatmentSessionFactory(
            clinic=clinic,
            client=client,
            practitioner=practitioner,
            appointment=visit,
            started_at=started,
            pain_before=before,
            pain_after=after,
        )
        for position, zone in enumerate(foot_zones):
            PressureNoteFactory(
                session=session,
                zone=zone,
                side="right",
                pressure=3 + position % 2,
                response="tender",
                position=position,
            )
        treatment_session_sign(session=session, by=practitioner)

    routine = routine_assign(routine=routine_propose(session=session, by=practitioner), by=practitioner)
    delivery = DeliveryFactory(routine=routine, status=Delivery.Status.SENT, sent_at=now)
    checkin_record(delivery=delivery, kind=CheckIn.Kind.DONE)
    checkin_record(delivery=delivery, kind=CheckIn.Kind.PAIN, pain=2)
    draft_routine = routine_propose(session=session, by=practitioner)

    # Today: one visit recorded as a draft, one still to record (it has begun: no session is
    # recorded before its start, issue 10 item 7); next week: one booked.
    today_start = now.replace(minute=0, second=0, microsecond=0)
    draft_visit = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=today_start, status="attended"
    )
    draft = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, appointment=draft_visit, started_at=today_start
    )
    other = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Gareth", last_name="Green")
    to_record = AppointmentFactory(
        clinic=clinic, client=other, practitioner=practitioner, starts_at=today_start - dt.timedelta(hours=1)
    )
    ahead = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=today_start + dt.timedelta(days=7)
    )
    # An intake link the client has yet to open, and answers another sent, waiting for review.
    IntakeLinkFactory(client=client, sent_by=practitioner)
    IntakeSubmissionFactory(link__client=client)
    return {
        "client": client,
        "session": session,
        "routine": routine,
        "draft_routine": draft_routine,
        "delivery": delivery,
        "draft": draft,
        "to_record": to_record,
        "ahead": ahead,
    }


def signed_session(clinic, practitioner, *, notes, **client_fields):
    """A client's signed session with pressure notes [(zone code, side, pressure, response)]."""
    client = ClientFactory(clinic=clinic, practitioner=practitioner, **client_fields)
    ClientHealthFlagFactory(client=client, flag="feet_injured")
    started = timezone.now() - dt.timedelta(hours=2)
    visit = AppointmentFactory(
        clinic=clinic, client=client, practitioner=practitioner, starts_at=started, status="attended"
    )
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, appointment=visit, started_at=started
    )
    for position, (code, side, pressure, response) in enumerate(notes):
        zone = ReflexZone.objects.get(clinic=clinic, code=code)
        PressureNoteFactory(
            session=session, zone=zone, side=side, pressure=pressure, response=response, position=position
        )
    treatment_session_sign(session=session, by=practitioner)
    return session


FOOT_NOTES = [("sole-lower-back", "right", 4, "tender"), ("sole-spine", "left", 3, "sensitive")]
