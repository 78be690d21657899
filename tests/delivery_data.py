"""Many due routines at once, for the fault tests and the benchmark.

Built with bulk_create (20,000 routines in seconds) and shaped like the real thing:
each routine has two self-reflexology steps with pictures (a foot zone, and a hand
zone worked right then left) and a lifestyle tip, so every email is rendered and
sent as a client would get it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Clinic, User
from clients.models import Client, HealthFlag
from outbox.models import Delivery
from routines.models import LibraryStep, Routine, RoutineStep, SideOrder, StepKind
from sessions.models import ReflexZone


def _zone(clinic: Clinic, **filters) -> ReflexZone | None:
    return ReflexZone.objects.filter(clinic=clinic, **filters).order_by("pk").first()


def due_routines(
    *,
    clinic: Clinic,
    created_by: User,
    count: int,
    tz: str = "Europe/London",
    routine_time: dt.time = dt.time(0, 0),
    starts_on: dt.date | None = None,
    prefix: str = "client",
    batch_size: int = 2000,
    shapes: int = 1,
) -> list[int]:
    """Create `count` clients with email consent, each with one active daily routine.

    With the default `routine_time` of midnight every routine is due at once, whatever
    the time of day the test or the benchmark runs. `shapes`: how many different routines
    among them (other zones, pressures and minutes), as a clinic's routines built from
    each client's session differ; 1, every client the same steps.
    """
    now = timezone.now()
    starts_on = starts_on or (now.date() - dt.timedelta(days=7))
    clients = Client.objects.bulk_create(
        [
            Client(
                clinic=clinic,
                first_name=f"Client{n}",
                last_name=prefix.capitalize(),
                email=f"{prefix}{n}@example.org",
                timezone=tz,
                routine_time=routine_time,
                consent_treatment=True,
                consent_treatment_at=now,
                consent_email=True,
                consent_email_at=now,
            )
            for n in range(count)
        ],
        batch_size=batch_size,
    )
    routines = Routine.objects.bulk_create(
        [
            Routine(
                clinic=clinic,
                client=client,
                created_by=created_by,
                status=Routine.Status.ACTIVE,
                frequency=Routine.Frequency.DAILY,
                starts_on=starts_on,
                assigned_at=now - dt.timedelta(days=7),
            )
            for client in clients
        ],
        batch_size=batch_size,
    )
    foot = _zone(clinic, reflex_map="foot_sole", body_area="spine") or _zone(clinic)
    hand = _zone(clinic, reflex_map="hand_palm", body_area="shoulder") or foot
    feet = list(ReflexZone.objects.filter(clinic=clinic, reflex_map="foot_sole").order_by("pk")) or [foot]
    hands = list(ReflexZone.objects.filter(clinic=clinic, reflex_map="hand_palm").order_by("pk")) or [hand]
    steps = []
    for n, routine in enumerate(routines):
        v = n % shapes
        if v == 0:
            foot_zone, hand_zone, pressure, minutes = foot, hand, 3, 3
            foot_title = "Spine reflex along the inner edge of the foot"
            hand_title = "Shoulder reflex below the little finger"
        else:  # the n-th of the other shapes: every zone pair, then pressures, then minutes
            foot_zone, hand_zone = feet[v % len(feet)], hands[(v // len(feet)) % len(hands)]
            v //= len(feet) * len(hands)
            pressure, minutes = 1 + v % 5, 1 + (v // 5) % 4
            foot_title, hand_title = f"{foot_zone.name} reflex", f"{hand_zone.name} reflex"
        steps += [
            RoutineStep(
                routine=routine,
                position=0,
                kind=StepKind.REFLEX,
                zone=foot_zone,
                side_order=SideOrder.RIGHT_THEN_LEFT,
                pressure=pressure,
                minutes=minutes,
                title=foot_title,
                instruction="Walk your thumb slowly from heel to big toe.",
            ),
            RoutineStep(
                routine=routine,
                position=1,
                kind=StepKind.REFLEX,
                zone=hand_zone,
                side_order=SideOrder.RIGHT_THEN_LEFT,
                pressure=4,
                minutes=2,
                title=hand_title,
                instruction="Circle gently on the spot below your little finger.",
            ),
            RoutineStep(
                routine=routine,
                position=2,
                kind=StepKind.LIFESTYLE,
                minutes=1,
                title="Support your lower back when seated",
                instruction="Put a small pillow or a rolled towel behind your lower back.",
            ),
        ]
    RoutineStep.objects.bulk_create(steps, batch_size=batch_size)
    return [routine.pk for routine in routines]


def heavy_routine_delivery(clinic: Clinic, practitioner: User, steps: int) -> Delivery:
    """A pending routine email on the heavy side of real ones (tests/test_email_size.py and
    the benchmark's size table): the clinic's library steps with the longest instructions,
    every step on a zone of its own (one picture each), two tips, the physician's advice."""
    from tests.factories import (
        ClientFactory,
        ClientHealthFlagFactory,
        DeliveryFactory,
        RoutineFactory,
        RoutineStepFactory,
    )

    client = ClientFactory(clinic=clinic, first_name="Margaretha", last_name="Vandenberghe-Lindqvist")
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SERIOUS_BACK_INJURY)
    routine = RoutineFactory(
        clinic=clinic,
        client=client,
        created_by=practitioner,
        intro="Lovely to see you today. Keep it gentle this week and tell me how the mornings feel.",
    )
    library = sorted(
        LibraryStep.objects.filter(clinic=clinic, kind=StepKind.REFLEX).prefetch_related("zones"),
        key=lambda s: -len(s.instruction),
    )
    used: set[int] = set()
    position = 0
    for entry in library:
        zone = next((z for z in entry.zones.all() if z.pk not in used), None)
        if zone is None:
            continue
        used.add(zone.pk)
        position += 1
        RoutineStepFactory(
            routine=routine,
            position=position,
            zone=zone,
            side_order="right_then_left",
            pressure=3,
            minutes=3,
            title=entry.title,
            instruction=entry.instruction,
        )
        if position == steps:
            break
    assert position == steps, "the library has too few zones for this routine"
    tips = LibraryStep.objects.filter(clinic=clinic, kind=StepKind.LIFESTYLE).order_by("sort_order")[:2]
    for n, tip in enumerate(tips, start=position + 1):
        RoutineStepFactory(routine=routine, position=n, kind="lifestyle", title=tip.title, instruction=tip.instruction)
    return DeliveryFactory(routine=routine, status=Delivery.Status.PENDING)
