"""The two extension points: one spec per reflex map, one per health flag.

Each enum member must have a complete spec (a missing one fails here, by name), and the
behaviour a flag or a map brings is read from its spec: changing a spec changes what the
practitioner and the client see, with no other edit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
from email import policy

import pytest
from django.urls import reverse
from django.utils import timezone

from clients import health_flags
from clients.health_flags import FLAG_SPECS, FlagTier, HealthFlag, flag_spec
from outbox.models import Delivery
from routines.emails import build_routine_email
from routines.models import StepKind
from routines.proposal import routine_propose
from sessions import reflex_maps
from sessions.charts import zone_label
from sessions.forms import grouped_zone_choices
from sessions.models import ReflexZone
from sessions.reflex_maps import MAP_SPECS, MapGroup, ReflexMap, map_spec
from tests.factories import (
    ClientFactory,
    ClientHealthFlagFactory,
    DeliveryFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db


def _without(specs: dict, member) -> dict:
    return {k: v for k, v in specs.items() if k != member}


def _respec(monkeypatch, specs: dict, member, **changes) -> None:
    """Change one spec for the test, as an edit of the spec module would."""
    monkeypatch.setitem(specs, member, dataclasses.replace(specs[member], **changes))


# --- Reflex maps --------------------------------------------------------------------


def test_every_reflex_map_has_a_complete_spec():
    assert reflex_maps.spec_problems() == []


def test_a_reflex_map_without_a_spec_is_named():
    problems = reflex_maps.spec_problems(specs=_without(MAP_SPECS, ReflexMap.EAR))
    assert problems == ["Reflex map 'ear' has no MapSpec in sessions/reflex_maps.py."]


def test_rule_1_a_foot_map_without_a_hand_equivalent_is_named():
    specs = {**MAP_SPECS, ReflexMap.FOOT_TOP: dataclasses.replace(MAP_SPECS[ReflexMap.FOOT_TOP], hand_equivalent=None)}
    assert reflex_maps.spec_problems(specs=specs) == [
        "Foot map 'foot_top' needs a hand map as its hand equivalent (rule 1)."
    ]


def test_a_stored_map_the_specs_do_not_know_raises_instead_of_falling_back():
    with pytest.raises(ValueError):
        map_spec("knee")


def test_the_map_groups_come_from_the_specs():
    assert reflex_maps.FOOT_MAPS == (ReflexMap.FOOT_SOLE, ReflexMap.FOOT_TOP, ReflexMap.LOWER_LEG)
    assert reflex_maps.HAND_MAPS == (ReflexMap.HAND_PALM, ReflexMap.HAND_BACK)
    assert reflex_maps.maps_in(MapGroup.EAR) == (ReflexMap.EAR,)


def test_a_zone_is_named_and_drawn_from_its_maps_spec(clinic, monkeypatch):
    zone = ReflexZoneFactory(clinic=clinic, name="Spine", reflex_map="foot_top")
    monkeypatch.setitem(
        MAP_SPECS, ReflexMap.FOOT_TOP, dataclasses.replace(MAP_SPECS[ReflexMap.FOOT_TOP], short="instep")
    )
    assert zone_label(zone, "left") == "Spine, left instep"


def test_the_zone_select_lists_the_maps_in_chart_order_with_their_labels(clinic):
    zones = ReflexZone.objects.filter(clinic=clinic, is_active=True).order_by("name")
    groups = [label for label, _ in grouped_zone_choices(list(zones))[1:]]
    assert groups == [spec.label for spec in MAP_SPECS.values()]


def test_the_catalogue_page_shows_each_map_once_in_chart_order(owner_client):
    page = owner_client.get(reverse("sessions:zone_list")).content.decode()
    positions = [page.index(f'id="map-{m.value}"') for m in MAP_SPECS]
    assert positions == sorted(positions)


# --- Health flags -------------------------------------------------------------------


def test_every_health_flag_has_a_complete_spec():
    assert health_flags.spec_problems() == []


def test_a_health_flag_without_a_spec_is_named():
    problems = health_flags.spec_problems(specs=_without(FLAG_SPECS, HealthFlag.SWELLING))
    assert problems == ["Health flag 'swelling' has no FlagSpec in clients/health_flags.py."]


def test_a_flag_without_a_question_for_the_clients_own_intake_is_named():
    spec = dataclasses.replace(FLAG_SPECS[HealthFlag.EPILEPSY], client_question=" ")
    problems = health_flags.spec_problems(specs={**FLAG_SPECS, HealthFlag.EPILEPSY: spec})
    assert problems == ["Health flag 'epilepsy' has no client_question for the client's intake page."]


def test_rule_1_a_flag_that_rules_out_the_feet_without_a_hands_reason_is_named():
    spec = dataclasses.replace(FLAG_SPECS[HealthFlag.FEET_INJURED], hands_reason="")
    problems = health_flags.spec_problems(specs={**FLAG_SPECS, HealthFlag.FEET_INJURED: spec})
    assert problems == ["Health flag 'feet_injured' rules out the feet but gives no hands reason (rule 1)."]


def test_moving_a_flag_to_another_tier_moves_its_box_on_the_intake(practitioner_client, monkeypatch):
    _respec(monkeypatch, FLAG_SPECS, HealthFlag.FEET_INJURED, tier=FlagTier.MEDICAL)
    form = practitioner_client.get(reverse("clients:add")).context["form"]
    assert HealthFlag.FEET_INJURED in dict(form.fields["medical_flags"].choices)
    assert HealthFlag.FEET_INJURED not in dict(form.fields["local_flags"].choices)


def test_every_flag_shows_its_own_warning_where_the_practitioner_acts(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    for flag in HealthFlag:
        ClientHealthFlagFactory(client=client, flag=flag)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    for spec in FLAG_SPECS.values():
        assert spec.treatment.replace("'", "&#x27;") in page


def _signed_session(clinic, practitioner, client, zone_code: str):
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session, zone=ReflexZone.objects.get(clinic=clinic, code=zone_code), side="right")
    return session


def test_rule_1_any_flag_whose_spec_rules_out_the_feet_sends_the_routine_to_the_hands(
    clinic, practitioner, monkeypatch
):
    _respec(
        monkeypatch, FLAG_SPECS, HealthFlag.SWELLING, rules_out=(MapGroup.FEET,), hands_reason="Your feet are resting."
    )
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SWELLING)
    routine = routine_propose(session=_signed_session(clinic, practitioner, client, "sole-spine"), by=practitioner)
    reflex = [s for s in routine.steps.select_related("zone") if s.kind == StepKind.REFLEX]
    assert all(map_spec(s.zone.reflex_map).group == MapGroup.HANDS for s in reflex)
    assert routine.hands_reason == "Your feet are resting."


def test_rule_1_a_client_who_prefers_hands_but_has_injured_hands_gets_the_feet(
    clinic, practitioner, practitioner_client
):
    client = ClientFactory(clinic=clinic, prefers_hands=True)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.HANDS_INJURED)
    routine = routine_propose(session=_signed_session(clinic, practitioner, client, "sole-spine"), by=practitioner)
    reflex = [s for s in routine.steps.select_related("zone") if s.kind == StepKind.REFLEX]
    assert reflex and all(map_spec(s.zone.reflex_map).group == MapGroup.FEET for s in reflex)
    assert routine.hands_reason == ""
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "a health flag rules out the hands: home routines use the feet" in page
    assert "Hand reflexology at home" not in page


def _email_bodies(delivery) -> list[str]:
    parsed = email.message_from_bytes(build_routine_email(delivery).message().as_bytes(), policy=policy.default)
    return [parsed.get_body(preferencelist=(kind,)).get_content() for kind in ("plain", "html")]


def test_rule_9_any_flag_whose_spec_carries_email_advice_puts_it_in_every_routine_email(
    clinic, practitioner, practitioner_client, monkeypatch
):
    _respec(monkeypatch, FLAG_SPECS, HealthFlag.PREGNANCY, email_advice="Please check with your midwife first.")
    client = ClientFactory(clinic=clinic, first_name="Ada", email="ada@example.org", consent_email=True)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.PREGNANCY)
    routine = routine_propose(session=_signed_session(clinic, practitioner, client, "sole-spine"), by=practitioner)
    delivery = DeliveryFactory(routine=routine, local_date=dt.date(2026, 3, 10), status=Delivery.Status.PENDING)
    for body in _email_bodies(delivery):
        assert "Please check with your midwife first." in body
    page = practitioner_client.get(reverse("routines:edit", args=[routine.pk])).content.decode()
    assert "Ada has “Pregnancy” on record." in page


def test_rule_9_any_flag_whose_spec_asks_for_clearance_warns_until_one_is_recorded(
    clinic, practitioner_client, monkeypatch
):
    _respec(monkeypatch, FLAG_SPECS, HealthFlag.RECENT_SURGERY, asks_clearance=True)
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.RECENT_SURGERY)
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No physician referral or clearance recorded" in page
    client.physician_clearance = "Surgeon's letter: fine to go ahead."
    client.save()
    page = practitioner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "No physician referral or clearance recorded" not in page


def test_the_intake_points_at_the_clearance_fields_for_the_flags_that_ask_for_it(practitioner_client):
    page = practitioner_client.get(reverse("clients:add")).content.decode()
    asking = " ".join(spec.value for spec in FLAG_SPECS.values() if spec.asks_clearance)
    assert f'data-clearance-flags="{asking}"' in page
    assert flag_spec(HealthFlag.SERIOUS_BACK_INJURY).asks_clearance
