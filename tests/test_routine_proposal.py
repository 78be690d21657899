"""The routine library and the routine proposed from a signed session (docs/domain.md, rules 1-10)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from clients.health_flags import FLAG_SPECS, flag_spec
from clients.models import HealthFlag
from routines.library import LIFESTYLE_TIPS, PRESSURE_PHRASES, STANDARD_LIBRARY, install_standard_library
from routines.models import LibraryStep, Routine, SideOrder, StepKind
from routines.proposal import HANDS_BECAUSE_PREFERRED, RoutineNotProposable, routine_propose
from sessions.models import FOOT_MAPS, HAND_MAPS, ReflexZone
from tests.factories import (
    ClientFactory,
    ClientHealthFlagFactory,
    ClinicFactory,
    PressureNoteFactory,
    TreatmentSessionFactory,
)

UTC = dt.UTC
HANDS_BECAUSE_FEET = flag_spec(HealthFlag.FEET_INJURED).hands_reason
FORBIDDEN = re.compile(
    r"\b(cure|cures|cured|curing|heal|heals|healing|treat|treats|treating|treatment|disease)\b", re.I
)


def zone(clinic, code: str) -> ReflexZone:
    return ReflexZone.objects.get(clinic=clinic, code=code)


def signed_session(clinic, practitioner, client=None, notes=()):
    """A signed session with pressure notes given as (zone code, side, pressure, minutes[, response])."""
    client = client or ClientFactory(clinic=clinic)
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    for i, (code, side, pressure, minutes, *response) in enumerate(notes):
        PressureNoteFactory(
            session=session,
            zone=zone(clinic, code),
            side=side,
            pressure=pressure,
            minutes=minutes,
            response=response[0] if response else "none",
            position=i,
        )
    return session


def reflex_steps(routine: Routine):
    return [s for s in routine.steps.select_related("zone", "replaces_zone") if s.kind == StepKind.REFLEX]


def tips(routine: Routine):
    return [s for s in routine.steps.all() if s.kind == StepKind.LIFESTYLE]


# --- The library ------------------------------------------------------------------


def test_every_clinic_gets_the_standard_library_with_pictures_for_each_reflex_step(clinic):
    steps = LibraryStep.objects.filter(clinic=clinic).prefetch_related("zones")
    assert {s.code for s in steps} == {s.code for s in STANDARD_LIBRARY}
    for step in steps:
        if step.kind == StepKind.REFLEX:
            zones = list(step.zones.all())
            assert zones, f"{step.code} has no zone to draw"
            assert all(z.body_area == step.body_area or step.code == "ear-back" for z in zones)


def test_installing_the_library_twice_adds_nothing_and_keeps_the_owners_edits(clinic):
    step = LibraryStep.objects.get(clinic=clinic, code="hands-spine")
    step.title = "Our own spine step"
    step.save()
    assert install_standard_library(clinic) == 0
    step.refresh_from_db()
    assert step.title == "Our own spine step"


def test_a_clinic_that_lost_a_library_step_gets_only_that_one_back(clinic):
    LibraryStep.objects.filter(clinic=clinic, code="tip-stairs").delete()
    assert install_standard_library(clinic) == 1
    assert LibraryStep.objects.filter(clinic=clinic, code="tip-stairs").exists()


@pytest.mark.parametrize(
    ("area", "maps"),
    [
        (area, maps)
        for area in ("spine", "lower_back", "upper_back", "mid_back", "shoulder", "neck", "sciatic", "hip", "brain")
        for maps in (HAND_MAPS, FOOT_MAPS)
    ]
    + [("sacrum", FOOT_MAPS), ("solar_plexus", FOOT_MAPS), ("diaphragm", HAND_MAPS)],
)
def test_the_library_has_a_step_for_each_back_area_on_hands_and_feet(clinic, area, maps):
    assert LibraryStep.objects.filter(
        clinic=clinic, kind=StepKind.REFLEX, body_area=area, zones__reflex_map__in=maps
    ).exists()


def test_rule_5_the_library_has_a_feel_good_step_for_the_tips_of_fingers_and_toes(clinic):
    for code, where in (("hands-brain", "hand_palm"), ("feet-brain", "foot_sole")):
        step = LibraryStep.objects.get(clinic=clinic, code=code)
        assert "Feel-good" in step.title
        assert step.zones.filter(body_area="brain", reflex_map=where).exists()


def test_rule_6_the_library_offers_the_ear_for_the_back(clinic):
    step = LibraryStep.objects.get(clinic=clinic, code="ear-back")
    assert set(step.zones.values_list("reflex_map", flat=True)) == {"ear"}
    assert step.zones.filter(body_area="lower_back").exists()


@pytest.mark.parametrize(
    "words",
    [
        r"lower back.*(cushion|pillow).*towel|towel.*lower back",
        r"pillow.*head.*spine|head.*spine.*pillow",
        r"firm mattress.*ten years",
        r"walk.*every day",
        r"stairs",
        r"tummy muscles|abdominal",
        r"posture",
    ],
)
def test_rule_10_the_library_has_each_lifestyle_tip(clinic, words):
    texts = [f"{s.title} {s.instruction}" for s in LibraryStep.objects.filter(clinic=clinic, kind=StepKind.LIFESTYLE)]
    assert any(re.search(words, t, re.I | re.S) for t in texts), words


def test_no_client_text_promises_a_cure(clinic):
    texts = [f"{s.title} {s.instruction}" for s in STANDARD_LIBRARY]
    texts += list(PRESSURE_PHRASES.values()) + [HANDS_BECAUSE_FEET, HANDS_BECAUSE_PREFERRED]
    # What a flag makes a routine email say to the client (docs/domain.md, rules 1 and 9).
    texts += [text for spec in FLAG_SPECS.values() for text in (spec.email_advice, spec.hands_reason)]
    for text in texts:
        assert not FORBIDDEN.search(text), text


def test_a_new_clinic_gets_its_own_library_that_another_clinics_edits_never_touch(clinic):
    LibraryStep.objects.filter(clinic=clinic, code="tip-posture").update(title="Changed here only")
    fresh = ClinicFactory(slug="fresh")
    assert LibraryStep.objects.get(clinic=fresh, code="tip-posture").title == "Mind your posture"
    assert len(LIFESTYLE_TIPS) == LibraryStep.objects.filter(clinic=fresh, kind=StepKind.LIFESTYLE).count()


# --- The proposal -----------------------------------------------------------------


def test_a_draft_session_cannot_have_a_routine_yet(clinic, practitioner):
    session = TreatmentSessionFactory(clinic=clinic, practitioner=practitioner)
    with pytest.raises(RoutineNotProposable):
        routine_propose(session=session, by=practitioner)


def test_rule_8_each_worked_zone_becomes_a_step_with_the_practitioners_pressure_in_words(clinic, practitioner):
    session = signed_session(
        clinic, practitioner, notes=[("sole-spine", "right", 4, 2), ("sole-lower-back", "right", 2, 2)]
    )
    routine = routine_propose(session=session, by=practitioner)
    first, second = reflex_steps(routine)[:2]
    assert (first.zone.code, first.pressure) == ("sole-spine", 4)
    assert first.pressure_in_words == "Press firmly, about as hard as pressing a ripe avocado to see if it is ready."
    assert first.library_step.code == "feet-spine"
    assert (second.zone.code, second.pressure) == ("sole-lower-back", 2)
    assert "ripe peach" in second.pressure_in_words
    assert routine.status == Routine.Status.DRAFT and routine.session == session


def test_rule_8_every_pressure_level_has_its_own_plain_words():
    assert sorted(PRESSURE_PHRASES) == [1, 2, 3, 4, 5]
    assert len(set(PRESSURE_PHRASES.values())) == 5
    assert all(p.startswith("Press") for p in PRESSURE_PHRASES.values())


def test_a_zone_worked_on_both_sides_becomes_one_step_right_then_left(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-spine", "left", 3, 2), ("sole-spine", "right", 4, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    spine = [s for s in steps if s.zone.code == "sole-spine"]
    assert len(spine) == 1
    assert spine[0].side_order == SideOrder.RIGHT_THEN_LEFT
    # The lighter of the two pressures is the one to copy at home.
    assert spine[0].pressure == 3


def test_two_zones_of_one_library_step_make_one_step_not_the_same_instruction_twice(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-spine", "right", 4, 2), ("top-spine", "left", 2, 3)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    spine = [s for s in steps if s.library_step and s.library_step.code == "feet-spine"]
    assert len(spine) == 1
    assert (spine[0].zone.code, spine[0].pressure, spine[0].minutes) == ("sole-spine", 2, 3)
    assert spine[0].side_order == SideOrder.RIGHT_THEN_LEFT
    assert len({s.title for s in steps}) == len(steps)


def test_for_a_client_who_uses_feet_foot_steps_stay_on_the_side_the_practitioner_worked(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-sciatic", "left", 3, 2), ("top-hip", "right", 3, 2)])
    routine = routine_propose(session=session, by=practitioner)
    by_code = {s.zone.code: s for s in reflex_steps(routine)}
    assert by_code["sole-sciatic"].side_order == SideOrder.LEFT
    assert by_code["top-hip"].side_order == SideOrder.RIGHT
    assert by_code["sole-sciatic"].replaces_zone is None
    assert routine.hands_reason == ""


def test_rule_1_feet_injured_client_gets_the_hand_zone_of_the_same_body_area_and_is_told_why(clinic, practitioner):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.FEET_INJURED)
    session = signed_session(
        clinic, practitioner, client, notes=[("sole-lower-back", "right", 3, 2), ("top-upper-back", "left", 2, 2)]
    )
    routine = routine_propose(session=session, by=practitioner)
    steps = reflex_steps(routine)
    assert all(s.zone.reflex_map in HAND_MAPS for s in steps)
    lower = next(s for s in steps if s.replaces_zone and s.replaces_zone.code == "sole-lower-back")
    assert lower.zone.body_area == "lower_back" and lower.zone.reflex_map == "hand_palm"
    assert lower.library_step.code == "hands-lower-back"
    upper = next(s for s in steps if s.replaces_zone and s.replaces_zone.code == "top-upper-back")
    assert upper.zone.code == "back-upper-back"
    assert routine.hands_reason == HANDS_BECAUSE_FEET
    assert "feet" in routine.hands_reason and "hands" in routine.hands_reason


def test_rule_1_a_client_who_prefers_hands_gets_hand_steps_and_the_email_says_it_was_their_choice(clinic, practitioner):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    session = signed_session(clinic, practitioner, client, notes=[("sole-spine", "right", 3, 2)])
    routine = routine_propose(session=session, by=practitioner)
    spine = reflex_steps(routine)[0]
    assert (spine.zone.code, spine.replaces_zone.code) == ("palm-spine", "sole-spine")
    assert routine.hands_reason == HANDS_BECAUSE_PREFERRED


def test_rule_1_a_foot_area_with_no_hand_reflex_is_left_out_and_named(clinic, practitioner):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    session = signed_session(clinic, practitioner, client, notes=[("sole-sacrum", "right", 3, 2)])
    routine = routine_propose(session=session, by=practitioner)
    assert routine.left_out == ["Sacrum and tailbone"]
    assert all(s.zone.reflex_map in HAND_MAPS for s in reflex_steps(routine))


def test_rule_2_hand_steps_go_right_hand_first_then_left(clinic, practitioner):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    session = signed_session(
        clinic, practitioner, client, notes=[("sole-spine", "left", 3, 2), ("palm-neck", "left", 2, 2)]
    )
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    assert steps and all(s.side_order == SideOrder.RIGHT_THEN_LEFT for s in steps)


def test_rule_3_a_shoulder_on_the_hands_is_worked_on_the_palm_and_the_back_of_both_hands(clinic, practitioner):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    session = signed_session(clinic, practitioner, client, notes=[("sole-shoulder", "left", 3, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    shoulder = [s for s in steps if s.zone.body_area == "shoulder"]
    assert [s.zone.reflex_map for s in shoulder] == ["hand_palm", "hand_back"]
    assert all(s.side_order == SideOrder.RIGHT_THEN_LEFT for s in shoulder)
    assert [s.library_step.code for s in shoulder] == ["hands-shoulder", "hands-shoulder-top"]
    assert "right shoulder is at the base of your right little finger" in shoulder[0].instruction
    assert "back of the hand" in shoulder[1].title and "same side" in shoulder[1].instruction
    assert all("little finger" in s.zone.description for s in shoulder)


def test_rule_3_a_shoulder_worked_on_one_hand_spot_still_gets_both_spots(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("palm-shoulder", "right", 3, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    assert sorted(s.zone.code for s in steps if s.zone.body_area == "shoulder") == ["back-shoulder", "palm-shoulder"]


def test_rule_5_the_feel_good_step_closes_the_self_reflexology(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-spine", "right", 3, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    assert steps[-1].zone.code == "sole-brain"
    assert "Feel-good" in steps[-1].title


def test_rule_5_the_feel_good_step_is_on_the_fingertips_for_a_hands_client(clinic, practitioner):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    session = signed_session(clinic, practitioner, client, notes=[("sole-spine", "right", 3, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    assert steps[-1].zone.code == "palm-brain"


def test_rule_5_a_brain_zone_worked_in_session_is_not_added_twice(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-brain", "right", 2, 2)])
    steps = reflex_steps(routine_propose(session=session, by=practitioner))
    assert [s.zone.code for s in steps].count("sole-brain") == 1


def test_rule_7_the_proposed_routine_is_daily_and_each_step_takes_a_few_minutes(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-spine", "right", 3, 10), ("sole-hip", "right", 3, 1)])
    routine = routine_propose(session=session, by=practitioner)
    assert routine.frequency == Routine.Frequency.DAILY
    minutes = {s.zone.code: s.minutes for s in reflex_steps(routine)}
    assert minutes["sole-spine"] == 3
    assert minutes["sole-hip"] == 1
    assert routine.ends_on is None


def test_rule_7_a_session_with_no_pressure_notes_gets_a_short_daily_maintenance_routine(clinic, practitioner):
    session = signed_session(clinic, practitioner)
    routine = routine_propose(session=session, by=practitioner)
    steps = reflex_steps(routine)
    assert [s.zone.body_area for s in steps] == ["spine", "brain"]
    assert routine.frequency == Routine.Frequency.DAILY
    assert sum(s.minutes for s in steps) <= 5
    # Issue 10, item 12: one lifestyle tip (was two).
    assert len(tips(routine)) == 1


def test_rule_10_lifestyle_tips_follow_the_areas_worked(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-lower-back", "right", 3, 2)])
    routine = routine_propose(session=session, by=practitioner)
    chosen = tips(routine)
    # Issue 10, item 12: one lifestyle tip, the one that suits the areas worked (was two or three).
    assert len(chosen) == 1
    assert chosen[0].library_step.code == "tip-seated-support"
    assert "towel" in chosen[0].instruction
    assert routine.steps.order_by("-position").first().kind == StepKind.LIFESTYLE


def test_a_tip_the_owner_switched_off_is_not_proposed(clinic, practitioner):
    LibraryStep.objects.filter(clinic=clinic, code="tip-seated-support").update(is_active=False)
    session = signed_session(clinic, practitioner, notes=[("sole-lower-back", "right", 3, 2)])
    codes = [s.library_step.code for s in tips(routine_propose(session=session, by=practitioner))]
    # Issue 10, item 12: one lifestyle tip (was three).
    assert "tip-seated-support" not in codes and len(codes) == 1


def test_a_zone_with_no_library_step_still_becomes_a_step_from_its_description(clinic, practitioner):
    session = signed_session(clinic, practitioner, notes=[("sole-kidneys", "right", 3, 2)])
    step = reflex_steps(routine_propose(session=session, by=practitioner))[0]
    assert step.zone.code == "sole-kidneys" and step.library_step is None
    assert step.title == "Kidneys" and "arch" in step.instruction


@pytest.mark.parametrize(
    ("utc_now", "first_day"),
    [
        (dt.datetime(2026, 3, 10, 11, 0, tzinfo=UTC), dt.date(2026, 3, 10)),  # 07:00 in New York: today
        (dt.datetime(2026, 3, 10, 13, 0, tzinfo=UTC), dt.date(2026, 3, 11)),  # 09:00: tomorrow
        (dt.datetime(2026, 3, 10, 3, 0, tzinfo=UTC), dt.date(2026, 3, 10)),  # 23:00 on the 9th: the 10th
    ],
)
def test_the_routine_starts_on_the_clients_local_day_when_its_email_time_is_still_ahead(
    clinic, practitioner, utc_now, first_day
):
    client = ClientFactory(clinic=clinic, timezone="America/New_York", routine_time=dt.time(8, 0))
    session = signed_session(clinic, practitioner, client)
    routine = routine_propose(session=session, by=practitioner, now=utc_now)
    assert routine.starts_on == first_day


def test_proposing_uses_a_fixed_number_of_queries_however_many_notes(
    clinic, practitioner, django_assert_max_num_queries
):
    codes = ["sole-spine", "sole-lower-back", "sole-hip", "sole-neck", "top-upper-back", "top-mid-back"]
    # Room for every zone: this test is about queries, not about the minutes a day.
    clinic.routine_minutes = 20
    clinic.save(update_fields=["routine_minutes"])
    session = signed_session(clinic, practitioner, notes=[(c, side, 3, 2) for c in codes for side in ("left", "right")])
    with django_assert_max_num_queries(14):
        routine = routine_propose(session=session, by=practitioner)
    assert len(reflex_steps(routine)) == len(codes) + 1
