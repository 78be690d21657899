"""Practitioner pages for home routines and the owner's routine library."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.models import HealthFlag
from routines.models import LibraryStep, Routine, RoutineStep, StepKind
from routines.proposal import routine_propose
from routines.selectors import current_routine
from sessions.models import ReflexZone
from tests.factories import (
    ClientFactory,
    ClientHealthFlagFactory,
    PressureNoteFactory,
    TreatmentSessionFactory,
)


def zone(clinic, code: str) -> ReflexZone:
    return ReflexZone.objects.get(clinic=clinic, code=code)


def make_routine(*, clinic, created_by, client=None, status=Routine.Status.ACTIVE) -> Routine:
    return Routine.objects.create(
        clinic=clinic,
        client=client or ClientFactory(clinic=clinic),
        created_by=created_by,
        status=status,
        starts_on=timezone.localdate(),
        assigned_at=timezone.now() if status == Routine.Status.ACTIVE else None,
    )


def make_step(*, routine, position=0, **fields) -> RoutineStep:
    fields = {"kind": "reflex", "title": f"Step {position}", "instruction": "Press slowly.", **fields}
    return RoutineStep.objects.create(routine=routine, position=position, **fields)


@pytest.fixture
def signed(clinic, practitioner):
    client = ClientFactory(clinic=clinic, first_name="Mara", last_name="Lind")
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session, zone=zone(clinic, "sole-spine"), side="right", pressure=4, minutes=2)
    return session


@pytest.fixture
def draft(signed, practitioner):
    return routine_propose(session=signed, by=practitioner)


def edit_url(routine) -> str:
    return reverse("routines:edit", kwargs={"pk": routine.pk})


def post_action(http, routine, action, step=None, **data):
    payload = {"action": action, **data}
    if step is not None:
        payload["step"] = step.pk
    return http.post(edit_url(routine), payload)


def titles(routine) -> list[str]:
    return list(routine.steps.order_by("position").values_list("title", flat=True))


# --- Propose ----------------------------------------------------------------------


def test_a_signed_session_page_offers_to_propose_a_home_routine(practitioner_client, signed):
    response = practitioner_client.get(reverse("sessions:detail", kwargs={"pk": signed.pk}))
    assert "Propose a home routine" in response.content.decode()


def test_a_draft_session_page_does_not_offer_a_routine(practitioner_client, clinic, practitioner):
    session = TreatmentSessionFactory(clinic=clinic, practitioner=practitioner)
    response = practitioner_client.get(reverse("sessions:detail", kwargs={"pk": session.pk}))
    assert "Propose a home routine" not in response.content.decode()


def test_proposing_creates_a_draft_and_opens_the_editor(practitioner_client, signed):
    response = practitioner_client.post(reverse("routines:propose", kwargs={"session_pk": signed.pk}), follow=True)
    routine = Routine.objects.get(session=signed)
    assert response.redirect_chain[-1][0] == edit_url(routine)
    page = response.content.decode()
    assert "A draft routine for Mara is ready" in page
    assert "Spine, along the inner edge of the foot" in page
    assert "ripe avocado" in page
    assert routine.status == Routine.Status.DRAFT


def test_proposing_twice_opens_the_same_draft(practitioner_client, signed):
    url = reverse("routines:propose", kwargs={"session_pk": signed.pk})
    practitioner_client.post(url)
    response = practitioner_client.post(url, follow=True)
    assert Routine.objects.filter(session=signed).count() == 1
    assert "already has a draft routine" in response.content.decode()


def test_proposing_from_an_unsigned_session_says_to_sign_first(practitioner_client, clinic, practitioner):
    session = TreatmentSessionFactory(clinic=clinic, practitioner=practitioner)
    response = practitioner_client.post(reverse("routines:propose", kwargs={"session_pk": session.pk}), follow=True)
    assert "Sign the session first" in response.content.decode()
    assert not Routine.objects.exists()


def test_opening_the_propose_address_changes_nothing(practitioner_client, signed):
    response = practitioner_client.get(reverse("routines:propose", kwargs={"session_pk": signed.pk}))
    assert response.status_code == 302
    assert not Routine.objects.exists()


def test_a_hands_client_area_with_no_hand_reflex_is_named_after_proposing(practitioner_client, signed, clinic):
    signed.client.prefers_hands = True
    signed.client.save()
    PressureNoteFactory(session=signed, zone=zone(clinic, "sole-sacrum"), side="left", pressure=3, position=2)
    response = practitioner_client.post(reverse("routines:propose", kwargs={"session_pk": signed.pk}), follow=True)
    page = response.content.decode()
    assert "No hand reflex matches Sacrum and tailbone" in page
    assert "Hands instead of feet" in page


# --- Editor: what the practitioner sees ------------------------------------------


def test_rule_9_the_editor_warns_when_the_client_has_a_serious_back_injury(practitioner_client, draft):
    ClientHealthFlagFactory(client=draft.client, flag=HealthFlag.SERIOUS_BACK_INJURY)
    page = practitioner_client.get(edit_url(draft)).content.decode()
    assert 'id="serious-back-warning"' in page
    assert "Every routine email will advise Mara to consult their physician" in page
    assert "no physician referral or clearance is recorded yet" in page


def test_the_editor_has_no_back_injury_warning_for_other_clients(practitioner_client, draft):
    assert 'id="serious-back-warning"' not in practitioner_client.get(edit_url(draft)).content.decode()


def test_rule_1_the_editor_shows_why_the_routine_uses_hands(practitioner_client, clinic, practitioner):
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.FEET_INJURED)
    session = TreatmentSessionFactory(
        clinic=clinic, client=client, practitioner=practitioner, signed_at=timezone.now(), signed_by=practitioner
    )
    PressureNoteFactory(session=session, zone=zone(clinic, "sole-spine"))
    routine = routine_propose(session=session, by=practitioner)
    page = practitioner_client.get(edit_url(routine)).content.decode()
    assert "Your feet need a rest at the moment" in page
    assert "instead of Spine (foot sole)" in page
    assert "Right first, then left" in page


def _routine_with_steps(clinic, practitioner, n: int) -> Routine:
    client = ClientFactory(clinic=clinic)
    ClientHealthFlagFactory(client=client, flag=HealthFlag.SERIOUS_BACK_INJURY)
    routine = make_routine(clinic=clinic, client=client, created_by=practitioner, status=Routine.Status.DRAFT)
    zones = list(ReflexZone.objects.filter(clinic=clinic)[:n])
    for i in range(n):
        make_step(routine=routine, position=i, zone=zones[i % len(zones)], pressure=3, side_order="right")
    return routine


def test_the_editor_page_takes_the_same_number_of_queries_with_3_or_30_steps(
    practitioner_client, clinic, practitioner, django_assert_num_queries
):
    for n in (3, 30):
        routine = _routine_with_steps(clinic, practitioner, n)
        # ... and the client's GP permission requests (the clearance warning reads them)
        with django_assert_num_queries(8):
            response = practitioner_client.get(edit_url(routine))
        assert response.content.decode().count('class="card mb-3 routine-step"') == n


# --- Editor: changing steps ---------------------------------------------------------


def test_adding_a_step_from_the_library_puts_it_at_the_end(practitioner_client, draft, clinic):
    stairs = LibraryStep.objects.get(clinic=clinic, code="tip-stairs")
    response = post_action(practitioner_client, draft, "add", library_step=stairs.pk)
    assert response.status_code == 302
    assert titles(draft)[-1] == "Take the stairs"
    assert "Added “Take the stairs”" in practitioner_client.get(response.url).content.decode()


def test_adding_the_back_of_hand_shoulder_step_works_it_right_hand_first(practitioner_client, draft, clinic):
    shoulder = LibraryStep.objects.get(clinic=clinic, code="hands-shoulder-top")
    post_action(practitioner_client, draft, "add", library_step=shoulder.pk)
    added = draft.steps.select_related("zone").get(library_step=shoulder)
    assert (added.zone.code, added.side_order) == ("back-shoulder", "right_then_left")


def test_adding_another_clinics_library_step_is_a_form_error(practitioner_client, draft, other_clinic):
    foreign = LibraryStep.objects.filter(clinic=other_clinic).first()
    before = titles(draft)
    response = post_action(practitioner_client, draft, "add", library_step=foreign.pk)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "your clinic" in response.content.decode()
    assert titles(draft) == before


def test_removing_a_step_takes_it_out_and_keeps_the_order(practitioner_client, draft):
    first = draft.steps.order_by("position").first()
    rest = titles(draft)[1:]
    post_action(practitioner_client, draft, "remove", first)
    assert titles(draft) == rest
    assert list(draft.steps.order_by("position").values_list("position", flat=True)) == list(range(1, len(rest) + 1))


def test_moving_a_step_down_and_up_swaps_it_with_its_neighbour(practitioner_client, draft):
    order = titles(draft)
    first = draft.steps.order_by("position").first()
    post_action(practitioner_client, draft, "down", first)
    assert titles(draft) == [order[1], order[0], *order[2:]]
    post_action(practitioner_client, draft, "up", first)
    assert titles(draft) == order


def test_moving_the_first_step_up_changes_nothing(practitioner_client, draft):
    order = titles(draft)
    post_action(practitioner_client, draft, "up", draft.steps.order_by("position").first())
    assert titles(draft) == order


def test_a_step_of_another_routine_is_a_404(practitioner_client, draft, clinic, practitioner):
    other = make_step(routine=make_routine(clinic=clinic, created_by=practitioner))
    assert post_action(practitioner_client, draft, "remove", other).status_code == 404
    assert RoutineStep.objects.filter(pk=other.pk).exists()


def test_editing_a_step_saves_its_minutes_pressure_and_wording(practitioner_client, draft):
    step = draft.steps.order_by("position").first()
    prefix = f"step-{step.pk}"
    data = {f"{prefix}-minutes": 3, f"{prefix}-pressure": 2, f"{prefix}-instruction": "Slowly, with a warm hand."}
    response = post_action(practitioner_client, draft, "save_step", step, **data)
    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.minutes, step.pressure, step.instruction) == (3, 2, "Slowly, with a warm hand.")


def test_a_step_of_zero_minutes_gets_a_message_next_to_the_field(practitioner_client, draft):
    step = draft.steps.order_by("position").first()
    prefix = f"step-{step.pk}"
    data = {f"{prefix}-minutes": 0, f"{prefix}-pressure": 2, f"{prefix}-instruction": "x"}
    response = post_action(practitioner_client, draft, "save_step", step, **data)
    assert response.status_code == 400
    assert "A step takes at least 1 minute." in response.content.decode()
    step.refresh_from_db()
    assert step.minutes != 0


# --- Editor: the schedule -----------------------------------------------------------


def schedule(**overrides):
    data = {"frequency": "daily", "every_n_days": 2, "starts_on": "2030-05-01", "ends_on": "", "intro": ""}
    data.update(overrides)
    return {f"schedule-{k}": v for k, v in data.items()}


def test_choosing_weekdays_saves_them(practitioner_client, draft):
    response = post_action(
        practitioner_client, draft, "schedule", **schedule(frequency="weekdays", weekdays=["4", "0"], intro="Hi!")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.frequency, draft.weekdays, draft.intro) == ("weekdays", [0, 4], "Hi!")
    assert draft.starts_on == dt.date(2030, 5, 1)


def test_every_n_days_with_an_end_date_is_saved(practitioner_client, draft):
    post_action(
        practitioner_client,
        draft,
        "schedule",
        **schedule(frequency="every_n_days", every_n_days=3, ends_on="2030-06-01"),
    )
    draft.refresh_from_db()
    assert (draft.frequency, draft.every_n_days, draft.ends_on) == ("every_n_days", 3, dt.date(2030, 6, 1))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"frequency": "weekdays"}, "Tick at least one weekday"),
        ({"ends_on": "2030-04-30"}, "The last day cannot be before the first day."),
        ({"frequency": "every_n_days", "every_n_days": 1}, "Choose a number of days from 2 to 30"),
        ({"frequency": "every_n_days", "every_n_days": 31}, "Choose a number of days from 2 to 30."),
        ({"frequency": "every_n_days", "every_n_days": ""}, "Say every how many days"),
        ({"starts_on": "not a date"}, "Enter a valid date."),
    ],
)
def test_a_bad_schedule_gets_a_message_next_to_the_field_and_saves_nothing(practitioner_client, draft, data, message):
    before = Routine.objects.filter(pk=draft.pk).values().get()
    response = post_action(practitioner_client, draft, "schedule", **schedule(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Routine.objects.filter(pk=draft.pk).values().get() == before


# --- Preview -----------------------------------------------------------------------


def test_the_preview_shows_the_email_the_client_will_get(practitioner_client, draft):
    response = practitioner_client.get(reverse("routines:preview", kwargs={"pk": draft.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The email Mara will get on" in page
    assert reverse("routines:preview_html", kwargs={"pk": draft.pk}) in page


def test_the_preview_html_has_its_pictures_inside_and_may_be_framed_by_our_page(practitioner_client, draft):
    response = practitioner_client.get(reverse("routines:preview_html", kwargs={"pk": draft.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mara" in html
    assert "cid:" not in html
    assert "data:image/png;base64," in html
    assert response["X-Frame-Options"] == "SAMEORIGIN"


# --- Assign and stop ----------------------------------------------------------------


def test_assigning_makes_the_routine_current_and_ends_the_previous_one(practitioner_client, draft, practitioner):
    older = make_routine(clinic=draft.clinic, client=draft.client, created_by=practitioner)
    response = practitioner_client.post(reverse("routines:assign", kwargs={"pk": draft.pk}), follow=True)
    assert "Routine assigned. Mara gets the first email on" in response.content.decode()
    draft.refresh_from_db()
    older.refresh_from_db()
    assert draft.status == Routine.Status.ACTIVE and draft.assigned_at is not None
    assert older.status == Routine.Status.ENDED and older.stopped_at is not None
    assert current_routine(draft.client) == draft


def test_assigning_without_email_consent_says_so_and_keeps_the_draft(practitioner_client, draft):
    draft.client.consent_email = False
    draft.client.save()
    response = practitioner_client.post(reverse("routines:assign", kwargs={"pk": draft.pk}), follow=True)
    assert "has not agreed to receive emails" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Routine.Status.DRAFT


def test_assigning_without_an_email_address_says_so(practitioner_client, draft):
    draft.client.email = ""
    draft.client.save()
    response = practitioner_client.post(reverse("routines:assign", kwargs={"pk": draft.pk}), follow=True)
    assert "has no email address" in response.content.decode()
    assert Routine.objects.get(pk=draft.pk).status == Routine.Status.DRAFT


def test_opening_the_assign_address_changes_nothing(practitioner_client, draft):
    practitioner_client.get(reverse("routines:assign", kwargs={"pk": draft.pk}))
    assert Routine.objects.get(pk=draft.pk).status == Routine.Status.DRAFT


def test_stopping_a_routine_ends_its_emails_and_locks_it(practitioner_client, draft, practitioner):
    practitioner_client.post(reverse("routines:assign", kwargs={"pk": draft.pk}))
    response = practitioner_client.post(reverse("routines:stop", kwargs={"pk": draft.pk}), follow=True)
    assert "Routine stopped. Mara gets no more routine emails." in response.content.decode()
    assert current_routine(draft.client) is None
    first = draft.steps.order_by("position").first()
    response = post_action(practitioner_client, draft, "remove", first, follow=True)
    assert RoutineStep.objects.filter(pk=first.pk).exists()
    again = practitioner_client.post(reverse("routines:stop", kwargs={"pk": draft.pk}), follow=True)
    assert "nothing to stop" in again.content.decode()


def test_current_routine_is_none_for_a_client_with_only_a_draft(draft):
    assert current_routine(draft.client) is None


# --- The owner's library -------------------------------------------------------------


def test_the_owner_sees_the_library_with_steps_and_tips(owner_client):
    page = owner_client.get(reverse("routines:library")).content.decode()
    assert "Feel-good fingertips" in page
    assert "Support your lower back when you sit" in page
    assert "<svg" in page


def test_a_practitioner_cannot_open_the_library_pages(practitioner_client, clinic):
    step = LibraryStep.objects.filter(clinic=clinic).first()
    assert practitioner_client.get(reverse("routines:library")).status_code == 404
    assert practitioner_client.get(reverse("routines:library_add")).status_code == 404
    assert practitioner_client.get(reverse("routines:library_edit", kwargs={"pk": step.pk})).status_code == 404


def test_the_library_page_takes_the_same_number_of_queries_with_more_steps(
    owner_client, clinic, django_assert_num_queries
):
    with django_assert_num_queries(5):
        owner_client.get(reverse("routines:library"))
    for i in range(27):
        LibraryStep.objects.create(
            clinic=clinic, code=f"extra-{i}", kind="lifestyle", title=f"Tip {i}", instruction="."
        )
    with django_assert_num_queries(5):
        owner_client.get(reverse("routines:library"))


def test_the_owner_adds_a_lifestyle_tip(owner_client, clinic):
    response = owner_client.post(
        reverse("routines:library_add"),
        {
            "kind": "lifestyle",
            "title": "Drink some water",
            "instruction": "A glass after the routine.",
            "minutes": 1,
            "sort_order": 90,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    step = LibraryStep.objects.get(clinic=clinic, title="Drink some water")
    assert step.code == "drink-some-water"


def test_the_owner_edits_a_reflex_step_and_its_zones(owner_client, clinic):
    step = LibraryStep.objects.get(clinic=clinic, code="hands-neck")
    palm_neck = zone(clinic, "palm-neck")
    response = owner_client.post(
        reverse("routines:library_edit", kwargs={"pk": step.pk}),
        {
            "kind": "reflex",
            "title": "Neck, gently",
            "instruction": "Circle the thumb crease.",
            "body_area": "neck",
            "zones": [palm_neck.pk],
            "minutes": 2,
            "sort_order": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.title == "Neck, gently" and list(step.zones.all()) == [palm_neck]
    assert step.code == "hands-neck"


def test_a_reflex_step_without_zones_gets_a_message(owner_client, clinic):
    response = owner_client.post(
        reverse("routines:library_add"),
        {"kind": "reflex", "title": "Somewhere", "instruction": "Press.", "minutes": 2, "sort_order": 1},
    )
    assert response.status_code == 200
    assert "Choose at least one reflex zone" in response.content.decode()


def test_a_library_step_cannot_use_another_clinics_zone(owner_client, clinic, other_clinic):
    foreign = ReflexZone.objects.filter(clinic=other_clinic).first()
    response = owner_client.post(
        reverse("routines:library_add"),
        {
            "kind": "reflex",
            "title": "Stolen",
            "instruction": "Press.",
            "body_area": "spine",
            "zones": [foreign.pk],
            "minutes": 2,
            "sort_order": 1,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert not LibraryStep.objects.filter(title="Stolen").exists()


def test_a_step_the_owner_switched_off_is_not_offered_in_the_editor(owner_client, practitioner_client, draft, clinic):
    LibraryStep.objects.filter(clinic=clinic, code="tip-stairs").update(is_active=False)
    page = practitioner_client.get(edit_url(draft)).content.decode()
    assert "Take the stairs" not in page
    assert StepKind.LIFESTYLE.label in page
