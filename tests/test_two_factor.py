"""Two-factor sign-in (issue 11): an authenticator app's codes, single-use recovery codes,
the owner's "require it for everyone", and the demo logins in DEBUG.

Codes are computed here as the phone's app would, from the device's secret and the time
(django-otp's own TOTP), never patched in.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.signals import user_login_failed
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from tests.factories import ClientFactory, UserFactory
from tests.totp import totp_code


def login(http, username, password="pw", **extra):
    return http.post(reverse("login"), {"username": username, "password": password, **extra})


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = twofactor.totp_device_start(user=user)
    codes = twofactor.totp_device_confirm(device=device, token=totp_code(device))
    device.refresh_from_db()
    return device, codes


def test_staff_with_an_app_enter_its_code_after_their_password(anon, practitioner):
    device, _ = enrolled(practitioner)
    device.last_t = -1  # the enrolment used this step's code; the next sign-in is a new step
    device.save()

    response = login(anon, "priya")
    assert response.status_code == 302
    # Password alone opens nothing: every page leads to the code.
    for page in (response.url, reverse("clients:list"), reverse("security")):
        blocked = anon.get(page)
        assert blocked.status_code == 302 and blocked.url.startswith(reverse("two_factor_verify")), page
    page = anon.get(reverse("two_factor_verify"))
    assert "Enter your code" in page.text

    answered = anon.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert answered.status_code == 302 and answered.url == reverse("home")
    assert anon.get(reverse("clients:list")).status_code == 200


def test_a_wrong_code_is_refused_and_counted_as_a_failed_login(anon, practitioner):
    device, _ = enrolled(practitioner)
    login(anon, "priya")
    failures = []

    def record(sender, credentials, request, **kwargs):
        failures.append(credentials["username"])

    user_login_failed.connect(record)
    try:
        wrong = "000000" if totp_code(device) != "000000" else "111111"
        response = anon.post(reverse("two_factor_verify"), {"code": wrong})
    finally:
        user_login_failed.disconnect(record)
    assert response.status_code == 200
    assert "That code did not work" in response.text
    # The lockout (django-axes) counts failed logins from this signal.
    assert failures == ["priya"]
    assert anon.get(reverse("clients:list")).url.startswith(reverse("two_factor_verify"))


def test_a_code_already_used_does_not_work_again(anon, practitioner):
    device, _ = enrolled(practitioner)
    # The enrolment was confirmed with the current code: replaying it signs nobody in.
    login(anon, "priya")
    response = anon.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert "That code did not work" in response.text


def test_a_recovery_code_signs_in_once(anon, practitioner):
    _, codes = enrolled(practitioner)
    assert len(codes) == 10 and len(set(codes)) == 10

    login(anon, "priya")
    used = anon.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert used.status_code == 302 and used.url == reverse("home")
    assert anon.get(reverse("clients:list")).status_code == 200

    anon.post(reverse("logout"))
    login(anon, "priya")
    again = anon.post(reverse("two_factor_verify"), {"code": codes[0]})
    assert "That code did not work" in again.text
    # A wrong code makes the next wait a second (django-otp's throttling); the second has passed.
    StaticDevice.objects.get(user=practitioner).throttle_reset()
    other = anon.post(reverse("two_factor_verify"), {"code": codes[1]})
    assert other.status_code == 302


def test_owner_requiring_two_factor_makes_staff_set_it_up_at_next_sign_in(anon, owner_client, practitioner):
    saved = owner_client.post(reverse("clinic_settings"), {"require_two_factor": "on", "idle_timeout_minutes": "30"})
    assert saved.status_code == 302
    practitioner.clinic.refresh_from_db()
    assert practitioner.clinic.require_two_factor

    login(anon, "priya", next=reverse("clients:list"))
    blocked = anon.get(reverse("clients:list"))
    assert blocked.url.startswith(reverse("two_factor_enrol"))
    page = anon.get(blocked.url)
    assert "Your clinic asks everyone" in page.text
    # The QR code is drawn here as SVG markup: no script, no outside image (strict CSP).
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert "<script" not in svg and "style" not in svg and "href" not in svg
    secret = re.search(r'<code class="user-select-all">([A-Z2-7 ]+)</code>', page.text).group(1)
    device = TOTPDevice.objects.get(user=practitioner, confirmed=False)
    assert secret.replace(" ", "") in device.config_url

    shown = anon.post(reverse("two_factor_enrol"), {"code": totp_code(device), "next": reverse("clients:list")})
    assert shown.status_code == 200
    assert "Your recovery codes" in shown.text
    assert len(re.findall(r'<li class="col">(\w+)</li>', shown.text)) == 10
    assert anon.get(reverse("clients:list")).status_code == 200

    # From now on the app's code is asked after the password.
    anon.post(reverse("logout"))
    login(anon, "priya")
    assert anon.get(reverse("home")).url.startswith(reverse("two_factor_verify"))


def test_a_wrong_code_at_set_up_leaves_two_factor_off(practitioner_client, practitioner):
    practitioner_client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=practitioner)
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    response = practitioner_client.post(reverse("two_factor_enrol"), {"code": wrong})
    assert "That code did not match" in response.text
    assert not twofactor.has_two_factor(practitioner)


@pytest.fixture
def demo_user(clinic):
    return UserFactory(username="demo", clinic=clinic, is_demo=True, password="demo")


def test_demo_logins_work_in_debug_when_the_clinic_requires_two_factor(anon, demo_user, clinic, settings):
    settings.DEBUG = True
    clinic.require_two_factor = True
    clinic.save()
    response = login(anon, "demo", "demo")
    assert response.status_code == 302
    assert anon.get(reverse("clients:list")).status_code == 200


def test_seeded_demo_users_are_exempt_in_debug_only(demo_user, clinic, settings):
    clinic.require_two_factor = True
    clinic.save()
    settings.DEBUG = True
    assert twofactor.step_owed(demo_user) is None
    settings.DEBUG = False
    assert twofactor.step_owed(demo_user) == twofactor.ENROL


def test_staff_turn_two_factor_on_and_off_from_their_security_page(practitioner_client, practitioner):
    assert "Off: you sign in with your password only" in practitioner_client.get(reverse("security")).text
    device, _ = enrolled(practitioner)
    page = practitioner_client.get(reverse("security"))
    assert "You have 10 unused recovery codes" in page.text

    fresh = practitioner_client.post(reverse("security"), {"action": "recovery_codes"})
    assert len(re.findall(r'<li class="col">(\w+)</li>', fresh.text)) == 10

    practitioner_client.post(reverse("security"), {"action": "turn_off"})
    assert not twofactor.has_two_factor(practitioner)


def test_staff_cannot_turn_it_off_where_the_clinic_requires_it(practitioner_client, practitioner, clinic):
    enrolled(practitioner)
    clinic.require_two_factor = True
    clinic.save()
    page = practitioner_client.get(reverse("security"))
    assert "cannot be turned off" in page.text and 'value="turn_off"' not in page.text
    practitioner_client.post(reverse("security"), {"action": "turn_off"})
    assert twofactor.has_two_factor(practitioner)


def test_clinic_settings_are_for_owners_only(practitioner_client):
    assert practitioner_client.get(reverse("clinic_settings")).status_code == 404


@pytest.mark.parametrize("minutes", ["4", "481", "", "ten"])
def test_idle_timeout_out_of_range_gets_a_field_message(owner_client, clinic, minutes):
    response = owner_client.post(reverse("clinic_settings"), {"idle_timeout_minutes": minutes})
    assert response.status_code == 200
    assert "is-invalid" in response.text
    clinic.refresh_from_db()
    assert clinic.idle_timeout_minutes == 30


def test_pages_showing_client_data_are_never_stored(practitioner_client, clinic):
    client = ClientFactory(clinic=clinic)
    for url in (reverse("clients:detail", args=[client.pk]), reverse("clients:list"), reverse("login")):
        assert "no-store" in practitioner_client.get(url)["Cache-Control"], url


def test_wrong_codes_count_towards_the_login_lockout_and_a_locked_session_gets_no_further(anon, practitioner, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 3
    device, _ = enrolled(practitioner)
    device.last_t = -1
    device.save()
    login(anon, "priya")
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    for _ in range(3):
        anon.post(reverse("two_factor_verify"), {"code": wrong})
    assert AccessAttempt.objects.get(username="priya").failures_since_start == 3
    # Even the right code is refused now; the session is signed out with the lockout page.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    locked = anon.post(reverse("two_factor_verify"), {"code": totp_code(device)})
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert anon.get(reverse("clients:list")).url.startswith(reverse("login"))
