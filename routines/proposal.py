"""A home routine proposed from a signed session (docs/domain.md, rules 1, 2, 3, 5, 7, 8, 10).

Each zone the practitioner worked becomes a self-care step for the same body area, with
the practitioner's pressure in words (docs/domain.md, rule 8) and a few minutes (docs/domain.md, rule 7). A client who
uses hands at home gets the hand zone of the same body area instead of a foot zone
(docs/domain.md, rule 1); hand steps go right hand first (docs/domain.md, rule 2); a shoulder on the hands is worked on
the palm and on the back of the hand (docs/domain.md, rule 3). The feel-good fingertip/toe step (docs/domain.md, rule 5)
and one lifestyle tip (docs/domain.md, rule 10) close the routine. The result is a DRAFT the
practitioner edits and assigns.

A few minutes a day (docs/domain.md, rule 7): the self-reflexology totals at most the clinic's
`routine_minutes` (10 by default). What the session shows matters most goes in first: the
zones found tender or worked longest, in the order they were worked, then the rest,
longest first; the feel-good step when there is a minute left. Lifestyle tips are habits
for the day, not minutes of the routine, as the email's "It takes about N minutes" says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.localtime import local_to_utc, local_today, local_zone
from audit.services import logged_bulk_create
from clients.models import Client
from sessions.models import HAND_MAPS, TENDER_RESPONSES, PressureLevel, ReflexZone, Side, TreatmentSession
from sessions.reflex_maps import map_spec

from .library import FEET, HANDS, MAP_GROUPS, map_group
from .models import LibraryStep, Routine, RoutineStep, SideOrder, StepKind

# A step at home is short: a few minutes a day is the point (docs/domain.md, rule 7).
MAX_STEP_MINUTES = 3
# One tip at a time: one new habit is one a client keeps up.
TIPS = 1

# Why a flag that rules out the feet sends the routine to the hands is in that flag's spec.
HANDS_BECAUSE_PREFERRED = (
    "You told us you prefer working on your hands, so this routine uses the reflexes on your hands: "
    "they match the same parts of the body as the ones on your feet."
)

# Which tips suit which worked areas; the rest of the tips fill up in library order.
TIPS_BY_AREA: dict[str, str] = {
    "lower_back": "tip-seated-support",
    "sacrum": "tip-seated-support",
    "sciatic": "tip-seated-support",
    "hip": "tip-seated-support",
    "neck": "tip-pillow-alignment",
    "shoulder": "tip-pillow-alignment",
    "upper_back": "tip-pillow-alignment",
    "spine": "tip-posture",
    "mid_back": "tip-posture",
}
DEFAULT_TIPS = ("tip-daily-walk", "tip-posture", "tip-abdominals")
# A library step's zones on the main map of its group (the palm, the sole) come first.
MAIN_MAPS = tuple(MAP_GROUPS[group][0] for group in (HANDS, FEET))


class RoutineNotProposable(Exception):
    """The session cannot have a routine yet (it is not signed)."""


def hands_reason(client: Client) -> str:
    """Why this client's routine uses hands (docs/domain.md, rule 1), in words for the email; empty if it does not."""
    if not client.uses_hands_at_home:
        return ""
    feet_flag = client.feet_ruled_out_by
    return feet_flag.hands_reason if feet_flag else HANDS_BECAUSE_PREFERRED


def first_routine_day(client: Client, now: dt.datetime | None = None) -> dt.date:
    """Today in the client's timezone if today's email time is still ahead, else tomorrow."""
    now = now or timezone.now()
    today = local_today(client, now)
    if now < local_to_utc(today, client.routine_time, local_zone(client)):
        return today
    return today + dt.timedelta(days=1)


def side_order_for(zone: ReflexZone, sides_worked: set[str]) -> str:
    if len(zone.side_values) == 1:
        return zone.side_values[0]
    # docs/domain.md, rule 2: on the hands, always right first, then left.
    if zone.reflex_map in HAND_MAPS or sides_worked >= {Side.LEFT, Side.RIGHT} or not sides_worked:
        return SideOrder.RIGHT_THEN_LEFT
    return next(iter(sides_worked))


@dataclass
class _Planned:
    zone: ReflexZone
    pressure: int
    minutes: int | None = None
    sides: set[str] = field(default_factory=set)
    replaces: ReflexZone | None = None
    worked: int = 0  # minutes the practitioner spent on it in the session, both sides
    tender: bool = False  # found tender (or gritty) on either side


class _Library:
    """The clinic's active library and zones, loaded once (three queries)."""

    def __init__(self, clinic_id: int):
        self.steps = list(
            LibraryStep.objects.filter(clinic_id=clinic_id, is_active=True)
            .prefetch_related("zones")
            .order_by("kind", "sort_order", "pk")
        )
        self.by_code = {s.code: s for s in self.steps}
        self.by_zone: dict[int, LibraryStep] = {}
        for step in self.steps:
            if step.kind == StepKind.REFLEX:
                for z in step.zones.all():
                    self.by_zone.setdefault(z.pk, step)
        self.zones = list(
            ReflexZone.objects.filter(clinic_id=clinic_id, is_active=True).order_by("reflex_map", "sort_order", "pk")
        )

    def zones_of(self, body_area: str, group: str) -> list[ReflexZone]:
        maps = MAP_GROUPS[group]
        found = [z for z in self.zones if z.body_area == body_area and z.reflex_map in maps]
        return sorted(found, key=lambda z: (maps.index(z.reflex_map), z.sort_order, z.pk))

    def reflex_step(self, body_area: str, group: str) -> LibraryStep | None:
        maps = MAP_GROUPS[group]
        for step in self.steps:
            if (
                step.kind == StepKind.REFLEX
                and step.body_area == body_area
                and any(z.reflex_map in maps for z in step.zones.all())
            ):
                return step
        return None

    def source_for(self, zone: ReflexZone) -> LibraryStep | None:
        """The library step a worked zone becomes at home: the one showing it, else its body area's."""
        return self.by_zone.get(zone.pk) or self.reflex_step(zone.body_area, map_group(zone.reflex_map))

    def tips(self, areas: list[str], count: int) -> list[LibraryStep]:
        wanted = [TIPS_BY_AREA[a] for a in areas if a in TIPS_BY_AREA] + list(DEFAULT_TIPS)
        chosen: list[LibraryStep] = []
        for code in dict.fromkeys(wanted):
            if code in self.by_code and len(chosen) < count:
                chosen.append(self.by_code[code])
        for step in self.steps:
            if len(chosen) >= count:
                break
            if step.kind == StepKind.LIFESTYLE and step not in chosen:
                chosen.append(step)
        return chosen


def zones_to_work(zones: list[ReflexZone], *, prefer_map: str | None = None) -> list[ReflexZone]:
    """The zones of one body area a step should show: one zone, except a shoulder on the
    hands, which is worked on the palm and on the back of the hand (docs/domain.md, rule 3)."""
    if not zones:
        return []
    hand = [z for z in zones if z.reflex_map in HAND_MAPS]
    if hand and hand[0].body_area == "shoulder":
        by_map = {}
        for z in hand:
            by_map.setdefault(z.reflex_map, z)
        return [by_map[m] for m in HAND_MAPS if m in by_map]
    for z in zones:
        if z.reflex_map == prefer_map:
            return [z]
    return [zones[0]]


def _plan(notes, *, lib: _Library, use_hands: bool, left_out: list[str]) -> dict[int, _Planned]:
    planned: dict[int, _Planned] = {}
    for note in notes:
        zone = note.zone
        replaces = None
        if use_hands and map_group(zone.reflex_map) == FEET:
            # The foot map's closest hand map, as its spec says (the top of the foot: the back of the hand).
            prefer = map_spec(zone.reflex_map).hand_equivalent
            targets = zones_to_work(lib.zones_of(zone.body_area, HANDS), prefer_map=prefer)
            replaces = zone
            if not targets:
                left_out.append(zone.name)
                continue
        elif zone.reflex_map in HAND_MAPS and zone.body_area == "shoulder":
            targets = zones_to_work(lib.zones_of(zone.body_area, HANDS)) or [zone]
        else:
            targets = [zone]
        for target in targets:
            p = planned.get(target.pk)
            if p is None:
                p = planned[target.pk] = _Planned(zone=target, pressure=note.pressure, replaces=replaces)
            # At home, the lighter of the pressures used on a zone is the safe one to copy.
            p.pressure = min(p.pressure, note.pressure)
            p.minutes = max(p.minutes or 0, note.minutes)
            p.sides.add(note.side)
            p.worked += note.minutes
            p.tender = p.tender or note.response in TENDER_RESPONSES
    return planned


def _by_importance(planned: list[_Planned], lib: _Library) -> list[_Planned]:
    """What the session shows matters most first: the steps whose zones were found tender or
    worked longest, in the order they were worked, then the rest, longest first (session
    order on ties). Zones of one library step make one step at home, so they weigh together
    and stay in session order (the first is the one the step shows)."""
    steps: dict[object, list[_Planned]] = {}
    for p in planned:
        source = lib.source_for(p.zone)
        steps.setdefault(source.pk if source else ("zone", p.zone.pk), []).append(p)
    worked = {key: sum(p.worked for p in ps) for key, ps in steps.items()}
    longest = max(worked.values(), default=0)
    first = [key for key, ps in steps.items() if worked[key] == longest or any(p.tender for p in ps)]
    rest = sorted((key for key in steps if key not in first), key=lambda key: -worked[key])
    return [p for key in first + rest for p in steps[key]]


def _within(steps: list[RoutineStep], minutes: int) -> tuple[list[RoutineStep], list[RoutineStep]]:
    """The steps that fit in `minutes`, in order (the last one shortened to fit), and the rest."""
    kept: list[RoutineStep] = []
    for index, step in enumerate(steps):
        left = minutes - total_minutes(kept)
        if left < 1:
            return kept, steps[index:]
        step.minutes = min(step.minutes, left)
        kept.append(step)
    return kept, []


def total_minutes(steps) -> int:
    """How long a routine takes each day: its self-reflexology steps (tips are habits for the
    day). The editor shows it, the email says it."""
    return sum(s.minutes for s in steps if s.kind == StepKind.REFLEX)


def _step_from_plan(p: _Planned, lib: _Library) -> RoutineStep:
    source = lib.source_for(p.zone)
    minutes = min(p.minutes or (source.minutes if source else 2), MAX_STEP_MINUTES)
    return RoutineStep(
        kind=StepKind.REFLEX,
        library_step=source,
        zone=p.zone,
        side_order=side_order_for(p.zone, p.sides),
        pressure=p.pressure,
        minutes=max(minutes, 1),
        title=source.title if source else p.zone.name,
        instruction=source.instruction if source else (p.zone.description or f"Press the {p.zone.name} reflex."),
        replaces_zone=p.replaces,
    )


def steps_from_library(
    library_step: LibraryStep, *, client: Client, zones: list[ReflexZone] | None = None, pressure: int | None = None
) -> list[RoutineStep]:
    """Unsaved routine steps for one library entry: a tip, or a reflex step on the zones
    this client works (hands when they use hands at home, both shoulder spots on the hands)."""
    if library_step.kind == StepKind.LIFESTYLE:
        return [
            RoutineStep(
                kind=StepKind.LIFESTYLE,
                library_step=library_step,
                minutes=library_step.minutes,
                title=library_step.title,
                instruction=library_step.instruction,
            )
        ]
    zones = list(library_step.zones.all()) if zones is None else zones
    if client.uses_hands_at_home and any(z.reflex_map in HAND_MAPS for z in zones):
        zones = [z for z in zones if z.reflex_map in HAND_MAPS]
    elif not client.uses_hands_at_home and any(map_group(z.reflex_map) == FEET for z in zones):
        zones = [z for z in zones if map_group(z.reflex_map) == FEET]
    zones.sort(
        key=lambda z: (
            z.body_area != library_step.body_area,
            z.reflex_map not in MAIN_MAPS,
            z.sort_order,
            z.pk,
        )
    )
    picked = zones_to_work(zones) or [None]
    return [
        RoutineStep(
            kind=StepKind.REFLEX,
            library_step=library_step,
            zone=zone,
            side_order=side_order_for(zone, set()) if zone else SideOrder.RIGHT_THEN_LEFT,
            pressure=pressure or PressureLevel.MEDIUM,
            minutes=min(library_step.minutes, MAX_STEP_MINUTES),
            title=library_step.title,
            instruction=library_step.instruction,
        )
        for zone in picked
    ]


def _merge_same_library_step(steps: list[RoutineStep]) -> list[RoutineStep]:
    """Zones of one library step (the spine on the sole and on the top of the foot) make one
    step at home, not the same instruction twice: the lighter pressure, the longer time."""
    merged: dict[int, RoutineStep] = {}
    out: list[RoutineStep] = []
    for step in steps:
        first = merged.get(step.library_step_id) if step.library_step_id else None
        if first is None:
            if step.library_step_id:
                merged[step.library_step_id] = step
            out.append(step)
            continue
        first.pressure = min(first.pressure, step.pressure)
        first.minutes = max(first.minutes, step.minutes)
        if first.side_order != step.side_order:
            first.side_order = SideOrder.RIGHT_THEN_LEFT
    return out


@transaction.atomic
def routine_propose(*, session: TreatmentSession, by, now: dt.datetime | None = None) -> Routine:
    """A DRAFT routine built from the signed `session`'s pressure notes.

    Zones with no hand equivalent for a hands client are left out; their names are on
    `routine.left_out` (not stored) so the page can say so, and the titles of the steps
    that did not fit in the clinic's minutes are on `routine.left_out_for_time`.
    """
    if not session.is_signed:
        raise RoutineNotProposable("Sign the session first: a routine is built from the signed record.")
    client = session.client
    lib = _Library(session.clinic_id)
    use_hands = client.uses_hands_at_home
    group = HANDS if use_hands else FEET
    notes = list(session.pressure_notes.select_related("zone").order_by("position", "pk"))
    left_out: list[str] = []
    planned = _by_importance(list(_plan(notes, lib=lib, use_hands=use_hands, left_out=left_out).values()), lib)
    budget = session.clinic.routine_minutes

    steps, too_long = _within(_merge_same_library_step([_step_from_plan(p, lib) for p in planned]), budget)
    areas = [p.zone.body_area for p in planned]
    extra: list[RoutineStep] = []
    if not notes:
        # Maintenance for a client with no pain (docs/domain.md, rule 7): the spine, gently, every day.
        spine = lib.reflex_step("spine", group)
        if spine:
            extra += steps_from_library(spine, client=client, zones=lib.zones_of("spine", group))
    if "brain" not in areas and (brain := lib.reflex_step("brain", group)):
        extra += steps_from_library(
            brain, client=client, zones=lib.zones_of("brain", group), pressure=PressureLevel.LIGHT
        )
    # The maintenance and feel-good steps only where they fit whole.
    for step in extra:
        if total_minutes(steps) + step.minutes <= budget:
            steps.append(step)
    for tip in lib.tips(areas, TIPS):
        steps += steps_from_library(tip, client=client)

    routine = Routine.objects.create(
        clinic_id=session.clinic_id,
        client=client,
        session=session,
        created_by=by,
        status=Routine.Status.DRAFT,
        frequency=Routine.Frequency.DAILY,
        starts_on=first_routine_day(client, now),
        hands_reason=hands_reason(client),
    )
    for position, step in enumerate(steps, start=1):
        step.routine = routine
        step.position = position
    logged_bulk_create(RoutineStep, steps)
    routine.left_out = left_out
    routine.left_out_for_time = [s.title for s in too_long]
    return routine
