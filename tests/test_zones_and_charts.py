"""The reflex-zone catalogue, the owner's zone pages and the SVG reflex charts."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.template import Context, Template
from django.urls import reverse

from sessions.catalogue import STANDARD_ZONES, install_standard_zones
from sessions.charts import picker_panes, zone_heat, zone_picture_svg
from sessions.models import PressureNote, ReflexZone
from sessions.reflex_maps import map_spec
from tests.factories import (
    ClinicFactory,
    OwnerFactory,
    PressureNoteFactory,
    ReflexZoneFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db

FOOT_MAPS = {"foot_sole", "foot_top", "lower_leg"}
HAND_MAPS = {"hand_palm", "hand_back"}
BACK_AREAS = {"spine", "neck", "upper_back", "mid_back", "lower_back", "sacrum", "sciatic"}


def _catalogue(reflex_map: str) -> dict[str, object]:
    return {z.body_area: z for z in STANDARD_ZONES if z.reflex_map == reflex_map}


def _areas(maps: set[str]) -> set[str]:
    return {z.body_area for z in STANDARD_ZONES if z.reflex_map in maps}


# --- The catalogue ------------------------------------------------------------------


def test_catalogue_has_the_spine_along_the_outside_edge_of_the_palm():
    spine = _catalogue("hand_palm")["spine"]
    assert "outside edge of the palm" in spine.description


def test_catalogue_has_the_spine_along_the_inner_edge_of_the_foot():
    assert "inner edge" in _catalogue("foot_sole")["spine"].description


def test_catalogue_has_the_shoulder_below_the_little_finger_on_palm_and_back_of_hand():
    for reflex_map in ("hand_palm", "hand_back"):
        shoulder = _catalogue(reflex_map)["shoulder"]
        assert "little finger" in shoulder.description
        assert shoulder.sides == "both"  # each shoulder on the hand of the same side


def test_catalogue_has_the_shoulder_below_the_little_toe_on_the_foot():
    assert "little toe" in _catalogue("foot_sole")["shoulder"].description
    assert "little toe" in _catalogue("foot_top")["shoulder"].description


def test_catalogue_has_the_brain_at_the_tips_of_toes_and_fingers():
    assert "tips of all the toes" in _catalogue("foot_sole")["brain"].description
    assert "tips of the thumb and all the fingers" in _catalogue("hand_palm")["brain"].description


def test_catalogue_has_back_zones_on_the_top_of_the_foot_and_the_lower_leg():
    top = set(_catalogue("foot_top"))
    leg = set(_catalogue("lower_leg"))
    assert {"upper_back", "mid_back", "lower_back", "spine"} <= top
    assert {"lower_back", "sciatic"} <= leg


def test_catalogue_has_ear_zones_for_the_back():
    assert {"neck", "upper_back", "lower_back", "sacrum", "sciatic"} <= set(_catalogue("ear"))


def test_catalogue_has_the_common_zones_of_a_foot_and_a_hand_chart():
    common = {"sinuses", "eyes", "thyroid", "lungs", "solar_plexus", "diaphragm", "stomach", "liver", "kidneys"}
    common |= {"bladder", "colon", "small_intestine", "adrenals", "pancreas", "spleen", "gallbladder", "heart"}
    assert common <= set(_catalogue("foot_sole"))
    assert common <= set(_catalogue("hand_palm"))


def test_every_hand_body_area_has_a_foot_zone_with_the_same_slug():
    hand, foot = _areas(HAND_MAPS), _areas(FOOT_MAPS)
    assert {"spine", "shoulder", "lower_back", "brain"} <= hand & foot
    assert hand <= foot


def test_catalogue_codes_are_unique_and_zones_sit_inside_their_chart():
    codes = [z.code for z in STANDARD_ZONES]
    assert len(codes) == len(set(codes))
    for z in STANDARD_ZONES:
        x0, y0, w, h = map_spec(z.reflex_map).shape.view_box
        assert x0 <= z.x <= x0 + w and y0 <= z.y <= y0 + h, z.code


def test_one_sided_organ_zones_are_drawn_on_their_side_only():
    sole = _catalogue("foot_sole")
    assert sole["liver"].sides == "right"
    assert sole["heart"].sides == "left"


def test_a_new_clinic_gets_the_standard_catalogue():
    clinic = ClinicFactory(slug="brand-new")
    assert ReflexZone.objects.filter(clinic=clinic).count() == len(STANDARD_ZONES)
    spine = ReflexZone.objects.get(clinic=clinic, code="palm-spine")
    assert (spine.reflex_map, spine.body_area) == ("hand_palm", "spine")


def test_installing_again_adds_only_missing_zones_and_keeps_the_owners_edits(clinic):
    ReflexZone.objects.filter(clinic=clinic, code="palm-spine").update(name="Spine line", x=70)
    ReflexZone.objects.filter(clinic=clinic, code="ear-calming").delete()

    assert install_standard_zones(clinic) == 1
    assert install_standard_zones(clinic) == 0
    spine = ReflexZone.objects.get(clinic=clinic, code="palm-spine")
    assert (spine.name, spine.x) == ("Spine line", 70)
    assert ReflexZone.objects.filter(clinic=clinic).count() == len(STANDARD_ZONES)


def test_the_data_migration_installs_the_catalogue_for_existing_clinics(clinic, other_clinic):
    ReflexZone.objects.all().delete()
    migration = importlib.import_module("sessions.migrations.0003_standard_zones")
    migration.install_for_existing_clinics(apps, None)
    assert ReflexZone.objects.filter(clinic=clinic).count() == len(STANDARD_ZONES)
    assert ReflexZone.objects.filter(clinic=other_clinic).count() == len(STANDARD_ZONES)


# --- Owner pages: tenancy -----------------------------------------------------------


@pytest.fixture
def zone(clinic):
    return ReflexZone.objects.get(clinic=clinic, code="palm-shoulder")


def _zone_urls(zone):
    return [
        reverse("sessions:zone_list"),
        reverse("sessions:zone_add"),
        reverse("sessions:zone_edit", args=[zone.pk]),
    ]


def test_anonymous_visitor_is_sent_to_log_in_from_every_zone_page(anon, zone):
    for url in _zone_urls(zone):
        response = anon.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_other_clinic_gets_404_for_every_zone_page(other_client, zone):
    for url in _zone_urls(zone):
        assert other_client.get(url).status_code == 404


def test_practitioner_gets_404_for_every_zone_page(practitioner_client, zone):
    for url in _zone_urls(zone):
        assert practitioner_client.get(url).status_code == 404


def test_other_clinics_owner_gets_404_for_this_clinics_zone(zone, other_clinic, client):
    client.force_login(OwnerFactory(username="otto", clinic=other_clinic))
    assert client.get(reverse("sessions:zone_edit", args=[zone.pk])).status_code == 404
    response = client.post(reverse("sessions:zone_edit", args=[zone.pk]), {"name": "Taken over"})
    assert response.status_code == 404
    zone.refresh_from_db()
    assert zone.name == "Shoulder"


# --- Owner pages: behaviour ---------------------------------------------------------


def _form_data(zone, **changes):
    data = {
        "name": zone.name,
        "code": zone.code,
        "reflex_map": zone.reflex_map,
        "body_area": zone.body_area,
        "sides": zone.sides,
        "description": zone.description,
        "x": zone.x,
        "y": zone.y,
        "rx": zone.rx,
        "ry": zone.ry,
        "angle": zone.angle,
        "sort_order": zone.sort_order,
        "is_active": "on" if zone.is_active else "",
    }
    data.update(changes)
    return data


def test_zone_list_shows_every_map_with_a_chart_and_the_zones(owner_client):
    response = owner_client.get(reverse("sessions:zone_list"))
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("Foot sole", "Top of foot", "Lower leg", "Hand palm", "Back of hand", "Ear"):
        assert label in html
    assert "Spine" in html and "Calming point" in html
    assert html.count("<svg") >= 12  # left and right of six maps


def test_owner_edits_a_zone_and_the_other_clinics_zone_is_unchanged(owner_client, zone, other_clinic):
    url = reverse("sessions:zone_edit", args=[zone.pk])
    response = owner_client.post(url, _form_data(zone, name="Shoulder (below the little finger)", x=34), follow=True)
    assert "Saved the zone “Shoulder (below the little finger)”." in response.content.decode()
    zone.refresh_from_db()
    assert (zone.name, zone.x) == ("Shoulder (below the little finger)", 34)
    theirs = ReflexZone.objects.get(clinic=other_clinic, code="palm-shoulder")
    assert (theirs.name, theirs.x) == ("Shoulder", 33)


def test_owner_switches_a_zone_off(owner_client, zone):
    owner_client.post(reverse("sessions:zone_edit", args=[zone.pk]), _form_data(zone, is_active=""))
    zone.refresh_from_db()
    assert zone.is_active is False


def test_owner_adds_a_zone(owner_client, clinic):
    zone = ReflexZone(name="Wrist", code="", reflex_map="hand_back", body_area="wrist", x=50, y=90, rx=4, ry=2)
    response = owner_client.post(reverse("sessions:zone_add"), _form_data(zone, is_active="on"), follow=True)
    assert "Added the zone “Wrist”." in response.content.decode()
    added = ReflexZone.objects.get(clinic=clinic, code="wrist")
    assert (added.reflex_map, added.body_area, added.y) == ("hand_back", "wrist", 90)


def test_a_code_already_used_in_the_clinic_is_a_friendly_form_error(owner_client, zone, clinic):
    response = owner_client.post(reverse("sessions:zone_edit", args=[zone.pk]), _form_data(zone, code="palm-spine"))
    assert response.status_code == 200
    assert "already uses the code “palm-spine”" in response.content.decode()
    zone.refresh_from_db()
    assert zone.code == "palm-shoulder"


def test_the_same_code_in_another_clinic_is_fine(owner_client, clinic, other_clinic):
    ReflexZoneFactory(clinic=other_clinic, code="wrist")
    zone = ReflexZone(name="Wrist", code="wrist", reflex_map="hand_back", body_area="wrist", x=50, y=90, rx=4, ry=2)
    owner_client.post(reverse("sessions:zone_add"), _form_data(zone, is_active="on"))
    assert ReflexZone.objects.filter(clinic=clinic, code="wrist").exists()


def test_out_of_range_positions_get_field_errors_not_a_500(owner_client, zone):
    response = owner_client.post(reverse("sessions:zone_edit", args=[zone.pk]), _form_data(zone, x=140, rx="wide"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "less than or equal to 100" in html
    assert "Enter a number." in html


@pytest.mark.parametrize("rows", [3, 30])
def test_zone_list_query_count_stays_the_same_as_zones_grow(owner_client, clinic, rows, django_assert_num_queries):
    ReflexZone.objects.filter(clinic=clinic).delete()
    for i in range(rows):
        ReflexZoneFactory(clinic=clinic, reflex_map=["foot_sole", "hand_palm", "ear"][i % 3], x=50, y=50)
    # session, user, the user's clinic (navbar), zones
    with django_assert_num_queries(4):
        response = owner_client.get(reverse("sessions:zone_list"))
    assert response.status_code == 200


# --- Charts -------------------------------------------------------------------------


def _render(template: str, **context) -> str:
    return Template("{% load reflex_charts %}" + template).render(Context(context))


def test_picker_draws_every_zone_as_a_focusable_button_with_its_data(clinic):
    zones = ReflexZone.objects.filter(clinic=clinic)
    spine = zones.get(code="palm-spine")
    html = _render("{% reflex_chart_picker zones %}", zones=zones)
    assert (
        f'<g class="rc-zone" role="button" tabindex="0" aria-pressed="false" aria-label="Spine, right palm" '
        f'data-zone-id="{spine.pk}" data-zone-code="palm-spine" data-zone-name="Spine" data-side="right" '
        f'data-map="hand_palm"'
    ) in html
    assert f'data-zone-id="{spine.pk}" data-zone-code="palm-spine" data-zone-name="Spine" data-side="left"' in html
    for label in ("Foot sole", "Top of foot", "Lower leg", "Hand palm", "Back of hand", "Ear"):
        assert f">{label}</button>" in html
    assert html.count('role="button" tabindex="0"') == sum(len(z.side_values) for z in zones)


def test_picker_draws_the_liver_on_the_right_foot_only(clinic):
    zones = ReflexZone.objects.filter(clinic=clinic, reflex_map="foot_sole")
    html = _render("{% reflex_chart_picker zones %}", zones=zones)
    assert 'aria-label="Liver, right sole"' in html
    assert 'aria-label="Liver, left sole"' not in html
    assert 'aria-label="Heart, left sole"' in html


def test_picker_marks_selected_zones_and_leaves_out_switched_off_ones(clinic):
    zones = ReflexZone.objects.filter(clinic=clinic, reflex_map="hand_palm")
    spine = zones.get(code="palm-spine")
    zones.filter(code="palm-hip").update(is_active=False)
    html = _render("{% reflex_chart_picker zones selected=sel %}", zones=zones, sel=[(spine.pk, "left")])
    assert (
        'class="rc-zone rc-zone--selected" role="button" tabindex="0" aria-pressed="true" aria-label="Spine, left palm"'
        in html
    )
    assert 'aria-label="Spine, right palm"' in html
    assert "Hip, right palm" not in html


@pytest.fixture
def worked_notes(clinic):
    session = TreatmentSessionFactory(clinic=clinic)
    spine = ReflexZone.objects.get(clinic=clinic, code="palm-spine")
    sole = ReflexZone.objects.get(clinic=clinic, code="sole-lower-back")
    PressureNoteFactory(session=session, zone=spine, side="right", pressure=4, response="tender")
    PressureNoteFactory(session=session, zone=spine, side="right", pressure=4, response="none")
    PressureNoteFactory(session=session, zone=spine, side="right", pressure=5, response="very_tender")
    PressureNoteFactory(session=session, zone=sole, side="left", pressure=2, response="none")
    return PressureNote.objects.filter(session__client=session.client)


def test_zone_heat_counts_times_worked_average_pressure_and_tenderness(worked_notes):
    heat = {(h.zone.code, h.side): h for h in zone_heat(worked_notes)}
    spine = heat[("palm-spine", "right")]
    assert (spine.times_worked, spine.times_tender, spine.pressure_words) == (3, 2, "Firm")
    assert spine.level == 5
    assert heat[("sole-lower-back", "left")].pressure_words == "Light"
    assert heat[("palm-spine", "left")].times_worked == 0  # never worked, still drawn
    assert ("sole-liver", "left") not in heat  # the liver is on the right foot only


def test_heat_map_shows_counts_and_pressure_in_words(worked_notes):
    html = _render("{% reflex_heatmap heat %}", heat=zone_heat(worked_notes))
    assert "Times worked" in html and "Times tender" in html
    assert 'Spine <span class="text-body-secondary small">(hand palm)</span>' in html
    assert '<td class="text-end">3</td>' in html and '<td class="text-end">2</td>' in html
    assert "Firm" in html and "Light" in html
    assert "Spine, right palm: worked 3 times, average pressure firm, tender 2 of 3" in html
    assert "Spine, left palm: not worked yet" in html
    assert "tender at least once" in html
    # Only maps with something worked are drawn.
    assert "Hand palm" in html and "Foot sole" in html and ">Ear<" not in html


def test_heat_map_without_notes_says_so(clinic):
    html = _render("{% reflex_heatmap heat %}", heat=zone_heat(PressureNote.objects.none()))
    assert "No pressure notes recorded yet" in html


@pytest.mark.parametrize("notes", [2, 20])
def test_zone_heat_uses_the_same_two_queries_however_many_notes(clinic, notes, django_assert_num_queries):
    session = TreatmentSessionFactory(clinic=clinic)
    zones = list(ReflexZone.objects.filter(clinic=clinic)[:notes])
    for z in zones:
        PressureNoteFactory(session=session, zone=z, side=z.side_values[0])
    with django_assert_num_queries(2):
        heat = zone_heat(PressureNote.objects.filter(session=session))
    assert sum(h.times_worked for h in heat) == notes


def test_zone_picture_is_a_standalone_svg_with_only_that_zone_marked(clinic):
    zone = ReflexZone.objects.get(clinic=clinic, code="back-shoulder")
    svg = zone_picture_svg(zone, "left")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    assert "<title>Where to press: Shoulder, left back of hand</title>" in svg
    assert "href" not in svg and 'class="rc-zone"' not in svg and "<style" not in svg
    assert svg.count('fill="#d9480f"') == 1


def test_zone_name_is_escaped_in_charts(clinic):
    zone = ReflexZone.objects.get(clinic=clinic, code="palm-spine")
    zone.name = '<script>alert("x")</script>'
    zone.save()
    html = _render("{% reflex_chart_picker zones %}", zones=[zone])
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.django_db
def test_picker_charts_are_groups_of_buttons_so_screen_readers_reach_each_zone(clinic):
    panes = picker_panes(ReflexZone.objects.filter(clinic=clinic))
    figures = [svg for pane in panes for _side, svg in pane.figures]
    assert figures
    assert all('role="group"' in svg and 'role="img"' not in svg and 'role="button"' in svg for svg in figures)
