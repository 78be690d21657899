"""Home routines stay "a few minutes, every day" (docs/domain.md, rule 7), and each step reads
right for the routine it is in (docs/domain.md, rules 5 and 6): issue 10, items 12 and 13, from the
practitioner's and the owner's pages and the email the client gets."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from routines.models import LibraryStep, Routine, RoutineStep, StepKind
from tests import test_routine_proposal as proposal_tests
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def signed_session(clinic, practitioner, notes, client=None):
    """A signed session of a client who gets emails; notes as (zone code, side, minutes, response)."""
    client = client or ClientFactory(clinic=clinic, first_name="Ines", email="ines@example.org", consent_email=True)
    rows = [(code, side, 3, minutes, response) for code, side, minutes, response in notes]
    return proposal_tests.signed_session(clinic, practitioner, client, notes=rows)


def propose(http, session) -> tuple[Routine, str]:
    """The practitioner presses "Propose a home routine" on the session page; returns the draft and the editor."""
    response = http.post(reverse("routines:propose", kwargs={"session_pk": session.pk}), follow=True)
    assert response.status_code == 200
    return Routine.objects.get(session=session), response.content.decode()


def email_html(http, routine) -> str:
    """The email as the practitioner previews it (the very renderer of the real email)."""
    return http.get(reverse("routines:preview_html", kwargs={"pk": routine.pk})).content.decode()


def stated_minutes(html: str) -> int:
    return int(re.search(r"It takes about (\d+) minute", html).group(1))


def reflex(routine) -> list[RoutineStep]:
    return [s for s in routine.steps.select_related("zone") if s.kind == StepKind.REFLEX]


LONG_SESSION = [
    ("sole-spine", "right", 2, "none"),
    ("sole-hip", "right", 2, "tender"),
    ("sole-neck", "right", 5, "none"),
    ("sole-sciatic", "right", 1, "none"),
    ("sole-lower-back", "right", 3, "none"),
    ("sole-shoulder", "left", 2, "none"),
]


# --- Item 12: at most N minutes, what matters most first ---------------------------------


def test_a_proposed_routine_totals_at_most_ten_minutes_by_default_and_its_email_says_so(
    practitioner_client, clinic, practitioner
):
    assert clinic.routine_minutes == 10
    session = signed_session(clinic, practitioner, [(c, s, 10, r) for c, s, _, r in LONG_SESSION])
    routine, editor = propose(practitioner_client, session)
    total = sum(s.minutes for s in reflex(routine))
    assert total <= 10
    assert f"about {total} minutes of self-reflexology" in editor
    assert "routine-too-long" not in editor
    assert stated_minutes(email_html(practitioner_client, routine)) <= 10


def test_the_zones_found_tender_or_worked_longest_come_first_then_the_rest_then_one_tip(
    practitioner_client, clinic, practitioner
):
    routine, editor = propose(practitioner_client, signed_session(clinic, practitioner, LONG_SESSION))
    steps = list(routine.steps.select_related("zone"))
    # Tender hip and the neck worked longest, as worked; then the rest, longest first, up to
    # 10 minutes (each step at most 3 at home); then one lifestyle tip.
    assert [s.zone.body_area for s in steps if s.kind == StepKind.REFLEX] == ["hip", "neck", "lower_back", "spine"]
    assert sum(s.minutes for s in steps if s.kind == StepKind.REFLEX) == 10
    assert [s.kind for s in steps].count(StepKind.LIFESTYLE) == 1 and steps[-1].kind == StepKind.LIFESTYLE
    # The practitioner is told what was left out for time, and can add it back.
    assert "To keep the routine to 10 minutes a day, the draft leaves out: Shoulder, below the little toe" in editor


def test_an_email_never_says_more_minutes_than_the_clinics_setting_for_a_proposed_routine(
    practitioner_client, clinic, practitioner
):
    for minutes in (3, 5, 20):
        clinic.routine_minutes = minutes
        clinic.save()
        routine, _ = propose(practitioner_client, signed_session(clinic, practitioner, LONG_SESSION))
        assert stated_minutes(email_html(practitioner_client, routine)) <= minutes


def test_the_owner_sets_the_routine_length_from_3_to_20_minutes_with_a_message_by_the_field(
    owner_client, practitioner_client, clinic
):
    url = reverse("routines:library")
    page = owner_client.get(url).content.decode()
    assert "A proposed home routine takes at most (minutes a day)" in page and 'value="10"' in page
    for bad, words in (("25", "a home routine is a few minutes a day"), ("2", "even a short routine"), ("x", "")):
        response = owner_client.post(url, {"routine_minutes": bad})
        assert response.status_code == 400 and 'id="routine-minutes-error"' in response.content.decode()
        assert words in response.content.decode()
        clinic.refresh_from_db()
        assert clinic.routine_minutes == 10
    response = owner_client.post(url, {"routine_minutes": "6"}, follow=True)
    assert "Proposed routines now take at most 6 minutes a day." in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.routine_minutes == 6
    # A practitioner cannot change it.
    assert practitioner_client.post(url, {"routine_minutes": "20"}).status_code in (403, 404)
    clinic.refresh_from_db()
    assert clinic.routine_minutes == 6


def test_the_editor_shows_the_total_and_warns_above_the_clinics_setting(practitioner_client, clinic, practitioner):
    routine, editor = propose(practitioner_client, signed_session(clinic, practitioner, LONG_SESSION))
    assert "about 10 minutes of self-reflexology" in editor and "routine-too-long" not in editor
    ear = LibraryStep.objects.get(clinic=clinic, code="ear-back")
    practitioner_client.post(
        reverse("routines:edit", kwargs={"pk": routine.pk}), {"action": "add", "library_step": ear.pk}
    )
    page = practitioner_client.get(reverse("routines:edit", kwargs={"pk": routine.pk})).content.decode()
    assert "about 12 minutes of self-reflexology" in page
    assert "This routine takes about 12 minutes a day</strong>, more than the 10 minutes" in page


# --- Item 13: a step reads right for the routine it is in --------------------------------


def test_the_ear_step_in_a_hands_only_routine_is_an_alternative_to_the_hands_not_to_hands_or_feet(
    practitioner_client, clinic, practitioner
):
    client = ClientFactory(clinic=clinic, prefers_hands=True, email="h@example.org", consent_email=True)
    session = signed_session(clinic, practitioner, [("sole-spine", "right", 2, "none")], client=client)
    routine, _ = propose(practitioner_client, session)
    ear = LibraryStep.objects.get(clinic=clinic, code="ear-back")
    practitioner_client.post(
        reverse("routines:edit", kwargs={"pk": routine.pk}), {"action": "add", "library_step": ear.pk}
    )
    html = email_html(practitioner_client, routine)
    assert "An alternative when your hands are not convenient." in html
    assert "hands or feet" not in html


def test_a_step_worked_on_one_side_says_which_side_not_which_side_first(practitioner_client, clinic, practitioner):
    session = signed_session(clinic, practitioner, [("sole-sciatic", "left", 2, "none")])
    routine, _ = propose(practitioner_client, session)
    html = email_html(practitioner_client, routine)
    assert "<strong>Which side:</strong> Left foot only." in html
    assert "Which side first:</strong> Left" not in html
    # A step worked on both sides still says which one comes first.
    assert "<strong>Which side first:</strong> Right foot first, then the left foot." in html


def test_the_feel_good_step_is_a_good_way_to_end_only_when_it_comes_last(practitioner_client, clinic, practitioner):
    session = signed_session(clinic, practitioner, [("sole-spine", "right", 2, "none")])
    routine, _ = propose(practitioner_client, session)
    feel_good = reflex(routine)[-1]
    assert feel_good.zone.body_area == "brain"
    assert "a good way to end the routine" in email_html(practitioner_client, routine)
    # The practitioner moves it to the top: it no longer claims to end anything.
    practitioner_client.post(
        reverse("routines:edit", kwargs={"pk": routine.pk}), {"action": "up", "step": feel_good.pk}
    )
    assert reflex(routine)[0].pk == feel_good.pk
    assert "a good way to end" not in email_html(practitioner_client, routine)


def test_steps_still_in_the_old_standard_words_are_reworded_by_the_migration(clinic, practitioner):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("routines.migrations.0007_step_wording_for_its_routine")
    old, new = next(iter(migration.OLD_TO_NEW.items()))
    edited = "My own words: a good way to end the routine."
    LibraryStep.objects.filter(clinic=clinic, code="hands-brain").update(instruction=old)
    LibraryStep.objects.filter(clinic=clinic, code="feet-brain").update(instruction=edited)
    migration.reword(apps, None)
    assert LibraryStep.objects.get(clinic=clinic, code="hands-brain").instruction == new
    assert LibraryStep.objects.get(clinic=clinic, code="feet-brain").instruction == edited
