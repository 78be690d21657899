"""Logging in and out, resetting a password by email, and owners managing their staff."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse

from accounts.models import User
from tests.factories import OwnerFactory, UserFactory

WRONG_LOGIN = "Please enter a correct username and password"


@pytest.fixture(autouse=True)
def outbox_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def login(http, username, password):
    return http.post(reverse("login"), {"username": username, "password": password})


# Logging in and out


@pytest.mark.django_db
def test_login_page_introduces_reflexclinic(anon):
    response = anon.get(reverse("login"))
    assert response.status_code == 200
    assert "ReflexClinic" in response.text
    assert 'name="username"' in response.text and "Forgot your password?" in response.text


def test_staff_member_logs_in_and_lands_on_the_clinic(anon, practitioner):
    response = login(anon, "priya", "pw")
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert anon.get(reverse("home")).status_code == 302  # home sends on to the day view


def test_wrong_password_is_refused_with_the_usual_message(anon, practitioner):
    response = login(anon, "priya", "nope")
    assert response.status_code == 200
    assert WRONG_LOGIN in response.text


def test_inactive_account_gets_the_same_message_as_a_wrong_password(anon, practitioner):
    practitioner.is_active = False
    practitioner.save()
    response = login(anon, "priya", "pw")
    assert WRONG_LOGIN in response.text
    assert "inactive" not in response.text.lower()


def test_logout_is_a_post_from_the_navbar(practitioner_client):
    response = practitioner_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert practitioner_client.get(reverse("home")).url.startswith(reverse("login"))


def test_logout_by_get_is_refused(practitioner_client):
    assert practitioner_client.get(reverse("logout")).status_code == 405


def test_anon_is_sent_to_login_from_the_clinic(anon, db):
    response = anon.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Demo accounts


@pytest.fixture
def demo_user(clinic):
    return UserFactory(username="demo", clinic=clinic, is_demo=True, password="demo")


def test_demo_account_logs_in_with_debug_on(anon, demo_user, settings):
    settings.DEBUG = True
    assert login(anon, "demo", "demo").status_code == 302


def test_demo_account_is_refused_with_debug_off(anon, demo_user, settings):
    settings.DEBUG = False
    response = login(anon, "demo", "demo")
    assert response.status_code == 200
    assert WRONG_LOGIN in response.text


def test_login_page_mentions_demo_logins_only_with_debug_on(anon, demo_user, settings):
    settings.DEBUG = True
    assert "Demo logins" in anon.get(reverse("login")).text
    settings.DEBUG = False
    assert "Demo logins" not in anon.get(reverse("login")).text


# Password reset by email


def _link_in(message) -> str:
    return re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)


def test_password_reset_emails_a_link_that_sets_a_new_password(anon, practitioner, settings, outbox_sends):
    settings.SITE_URL = "https://clinic.example.com"
    with outbox_sends():
        response = anon.post(reverse("password_reset"), {"email": "PRIYA@example.com"})
    assert response.status_code == 302
    assert "Check your email" in anon.get(response.url).text

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["priya@example.com"]
    assert "ReflexClinic" in message.subject
    link = _link_in(message)
    assert link.startswith("https://clinic.example.com/password-reset/")

    path = link.removeprefix("https://clinic.example.com")
    form_page = anon.get(path, follow=True)
    assert "Choose a new password" in form_page.text
    set_url = form_page.redirect_chain[-1][0]
    done = anon.post(set_url, {"new_password1": "gentle-thumb-walking", "new_password2": "gentle-thumb-walking"})
    assert done.status_code == 302
    assert "Your password is saved" in anon.get(done.url).text

    assert login(anon, "priya", "gentle-thumb-walking").status_code == 302
    # The link works once.
    assert "This link no longer works" in anon.get(path, follow=True).text


def test_password_reset_link_ignores_a_forged_host_header(anon, practitioner, settings, outbox_sends):
    settings.SITE_URL = "https://clinic.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    with outbox_sends():
        anon.post(reverse("password_reset"), {"email": "priya@example.com"}, HTTP_HOST="evil.example.net")
    assert "evil.example.net" not in mail.outbox[0].body


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(anon, practitioner, outbox_sends):
    with outbox_sends():
        response = anon.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_reset_is_not_sent_to_demo_accounts(anon, demo_user, outbox_sends):
    with outbox_sends():
        anon.post(reverse("password_reset"), {"email": demo_user.email})
    assert mail.outbox == []


# Staff management


def test_staff_list_shows_active_and_inactive_staff_with_role_email_and_last_login(owner_client, owner, practitioner):
    UserFactory(username="gone", first_name="Gina", last_name="Gone", clinic=owner.clinic, is_active=False)
    response = owner_client.get(reverse("staff_list"))
    assert response.status_code == 200
    for text in ("Olivia Owner", "Priya Practitioner", "Gina Gone", "Inactive", "priya@example.com", "never"):
        assert text in response.text
    assert "Owner" in response.text and "Practitioner" in response.text


def test_staff_list_does_not_show_other_clinics_staff(owner_client, other_practitioner):
    assert "Oscar" not in owner_client.get(reverse("staff_list")).text


@pytest.mark.parametrize("rows", [3, 30])
def test_staff_list_query_count_stays_the_same_as_staff_grow(owner_client, owner, rows, django_assert_num_queries):
    UserFactory.create_batch(rows, clinic=owner.clinic)
    # session, user, the user's clinic, the staff rows: the same for 3 and for 30 staff
    with django_assert_num_queries(4):
        response = owner_client.get(reverse("staff_list"))
    assert response.status_code == 200


def test_owner_adds_a_practitioner_who_can_then_log_in(owner_client, owner, anon):
    response = owner_client.post(
        reverse("staff_add"),
        {
            "first_name": "Nell",
            "last_name": "Newcomer",
            "username": "nell",
            "email": "nell@example.com",
            "role": "practitioner",
            "password_choice": "set",
            "password1": "soft-sole-pressure",
            "password2": "soft-sole-pressure",
        },
    )
    assert response.status_code == 302
    assert "Nell Newcomer was added" in owner_client.get(response.url).text
    nell = User.objects.get(username="nell")
    assert nell.clinic == owner.clinic and nell.role == User.Role.PRACTITIONER
    assert mail.outbox == []
    assert login(anon, "nell", "soft-sole-pressure").status_code == 302


def test_owner_adds_staff_who_choose_their_password_from_an_email(owner_client, owner, anon, settings, outbox_sends):
    settings.SITE_URL = "http://clinic.test"
    with outbox_sends():
        response = owner_client.post(
            reverse("staff_add"),
            {
                "first_name": "Ravi",
                "last_name": "Reed",
                "username": "ravi",
                "email": "ravi@example.com",
                "role": "owner",
                "password_choice": "email",
            },
        )
    assert response.status_code == 302
    ravi = User.objects.get(username="ravi")
    assert not ravi.has_usable_password() and ravi.is_owner
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ravi@example.com"]
    assert "Calm Feet Reflexology" in mail.outbox[0].subject

    path = _link_in(mail.outbox[0]).removeprefix("http://clinic.test")
    form_page = anon.get(path, follow=True)
    anon.post(form_page.redirect_chain[-1][0], {"new_password1": "calm-feet-2026!", "new_password2": "calm-feet-2026!"})
    assert login(anon, "ravi", "calm-feet-2026!").status_code == 302


def test_staff_who_never_set_a_password_can_still_ask_for_a_reset_link(anon, clinic, outbox_sends):
    user = UserFactory(username="fresh", clinic=clinic)
    user.set_unusable_password()
    user.save()
    with outbox_sends():
        anon.post(reverse("password_reset"), {"email": "fresh@example.com"})
    assert len(mail.outbox) == 1


def test_adding_staff_refuses_weak_or_mismatched_passwords_and_taken_usernames(owner_client, practitioner):
    base = {"first_name": "Nell", "last_name": "Newcomer", "email": "nell@example.com", "role": "practitioner"}
    weak = owner_client.post(
        reverse("staff_add"),
        {**base, "username": "nell", "password_choice": "set", "password1": "12345678", "password2": "12345678"},
    )
    assert weak.status_code == 200
    assert "too common" in weak.text or "entirely numeric" in weak.text
    mismatch = owner_client.post(
        reverse("staff_add"),
        {**base, "username": "nell", "password_choice": "set", "password1": "soft-sole-1", "password2": "soft-sole-2"},
    )
    assert "The two passwords are not the same." in mismatch.text
    missing = owner_client.post(reverse("staff_add"), {**base, "username": "nell", "password_choice": "set"})
    assert "Enter a first password" in missing.text
    taken = owner_client.post(reverse("staff_add"), {**base, "username": "priya", "password_choice": "email"})
    assert "already exists" in taken.text
    assert not User.objects.filter(username="nell").exists()


def test_owner_edits_a_practitioner_and_deactivates_them(owner_client, practitioner, anon):
    response = owner_client.post(
        reverse("staff_edit", args=[practitioner.pk]),
        {"first_name": "Priya", "last_name": "Patel", "email": "priya.patel@example.com", "role": "practitioner"},
    )
    assert response.status_code == 302
    practitioner.refresh_from_db()
    assert practitioner.last_name == "Patel" and not practitioner.is_active
    assert WRONG_LOGIN in login(anon, "priya", "pw").text


def test_owner_promotes_a_practitioner_to_owner(owner_client, practitioner):
    owner_client.post(
        reverse("staff_edit", args=[practitioner.pk]),
        {"first_name": "Priya", "last_name": "P", "email": "p@example.com", "role": "owner", "is_active": "on"},
    )
    practitioner.refresh_from_db()
    assert practitioner.is_owner


def test_last_owner_cannot_demote_themselves(owner_client, owner):
    response = owner_client.post(
        reverse("staff_edit", args=[owner.pk]),
        {
            "first_name": "Olivia",
            "last_name": "Owner",
            "email": "o@example.com",
            "role": "practitioner",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "only owner" in response.text
    owner.refresh_from_db()
    assert owner.is_owner and owner.email == "olivia@example.com"


def test_owner_cannot_deactivate_themselves(owner_client, owner):
    OwnerFactory(username="second", clinic=owner.clinic)
    response = owner_client.post(
        reverse("staff_edit", args=[owner.pk]),
        {"first_name": "Olivia", "last_name": "Owner", "email": "o@example.com", "role": "owner"},
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in response.text
    owner.refresh_from_db()
    assert owner.is_active


def test_an_owner_can_hand_over_when_another_owner_exists(owner_client, owner):
    OwnerFactory(username="second", clinic=owner.clinic)
    response = owner_client.post(
        reverse("staff_edit", args=[owner.pk]),
        {
            "first_name": "Olivia",
            "last_name": "Owner",
            "email": "o@example.com",
            "role": "practitioner",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_the_last_owner_cannot_be_deactivated_by_the_service_either(owner):
    from django.core.exceptions import ValidationError

    from accounts.services import staff_update

    with pytest.raises(ValidationError, match="only owner"):
        staff_update(user=owner, first_name="O", last_name="O", email="o@example.com", role="owner", is_active=False)


@pytest.mark.parametrize("name", ["staff_list", "staff_add"])
def test_practitioner_gets_404_on_staff_pages(practitioner_client, name):
    assert practitioner_client.get(reverse(name)).status_code == 404


def test_practitioner_gets_404_on_staff_edit(practitioner_client, owner):
    assert practitioner_client.get(reverse("staff_edit", args=[owner.pk])).status_code == 404
    assert practitioner_client.post(reverse("staff_edit", args=[owner.pk]), {"role": "practitioner"}).status_code == 404


def test_other_clinics_owner_gets_404_for_staff_member(other_clinic, practitioner):
    outsider_owner = OwnerFactory(username="otto", clinic=other_clinic)
    http = HttpClient()
    http.force_login(outsider_owner)
    assert http.get(reverse("staff_edit", args=[practitioner.pk])).status_code == 404
    response = http.post(
        reverse("staff_edit", args=[practitioner.pk]),
        {"first_name": "X", "last_name": "Y", "email": "x@example.com", "role": "owner"},
    )
    assert response.status_code == 404
    practitioner.refresh_from_db()
    assert practitioner.is_active and not practitioner.is_owner


def test_other_clinic_practitioner_gets_404_for_staff_member(other_client, practitioner):
    assert other_client.get(reverse("staff_edit", args=[practitioner.pk])).status_code == 404


@pytest.mark.parametrize("path", ["/staff/", "/staff/add/", "/staff/1/"])
def test_anon_is_sent_to_login_from_staff_pages(anon, path, db):
    response = anon.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_edit_page_shows_the_form(owner_client, practitioner):
    response = owner_client.get(reverse("staff_edit", args=[practitioner.pk]))
    assert response.status_code == 200
    assert "Edit Priya Practitioner" in response.text
    assert "Active (can log in)" in response.text
