"""Sessions on shared tablets and "Forgot your password?" (issue 11).

The idle timeout is tested by moving the session's clock back (the time of its last
request), not by waiting. The reset request does the same work for known and unknown
addresses and is limited, per address typed and per client address.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import LAST_SEEN_KEY
from outbox.models import Delivery
from tests.factories import UserFactory


def sign_in(http, username="priya"):
    response = http.post(reverse("login"), {"username": username, "password": "pw"})
    assert response.status_code == 302
    return http


def idle_for(http, minutes: float) -> None:
    """Move the session's last request `minutes` into the past, as if nobody touched the tablet."""
    session = http.session
    session[LAST_SEEN_KEY] = timezone.now().timestamp() - minutes * 60
    session.save()


def test_a_tablet_left_idle_past_the_clinics_timeout_signs_out_with_a_message(anon, practitioner):
    sign_in(anon)
    idle_for(anon, 31)
    response = anon.get(reverse("clients:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    page = anon.get(response.url)
    assert "You were signed out after 30 minutes without activity" in page.text
    # Signed out for good, not just redirected once.
    assert anon.get(reverse("clients:list")).url.startswith(reverse("login"))


def test_a_tablet_used_within_the_timeout_stays_signed_in(anon, practitioner):
    sign_in(anon)
    idle_for(anon, 29)
    assert anon.get(reverse("clients:list")).status_code == 200
    # That request counted as activity: the clock started again.
    assert timezone.now().timestamp() - anon.session[LAST_SEEN_KEY] < 60


def test_the_owner_chooses_the_idle_timeout(anon, owner_client, practitioner, clinic):
    owner_client.post(reverse("clinic_settings"), {"idle_timeout_minutes": "10"})
    clinic.refresh_from_db()
    assert clinic.idle_timeout_minutes == 10
    sign_in(anon)
    idle_for(anon, 11)
    assert anon.get(reverse("clients:list")).url.startswith(reverse("login"))


def test_password_reset_does_the_same_in_the_request_for_known_and_unknown_addresses(
    anon, practitioner, django_assert_num_queries, django_capture_on_commit_callbacks
):
    pages = []
    for email in ("priya@example.com", "nobody@example.com"):
        # The same queries (none about accounts), the same page, one queued look-up, no email row yet.
        with django_assert_num_queries(0), django_capture_on_commit_callbacks() as queued:
            response = anon.post(reverse("password_reset"), {"email": email})
        pages.append((response.status_code, response.url))
        assert len(queued) == 1
    assert pages[0] == pages[1] == (302, reverse("password_reset_done"))
    assert not Delivery.objects.exists()


def test_password_reset_is_limited_per_address_typed_with_a_message_that_reveals_nothing(
    anon, practitioner, outbox_sends, settings
):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    for email in ("priya@example.com", "nobody@example.com"):
        with outbox_sends():
            answers = [anon.post(reverse("password_reset"), {"email": email}) for _ in range(3)]
        assert [a.status_code for a in answers] == [302, 302, 200]
        assert "You have asked for several links in a short time" in answers[2].text
        assert "If this address belongs to a staff account" in answers[2].text
    # Two emails to the real account, none after the limit.
    assert len(mail.outbox) == 2
    assert Delivery.objects.filter(kind=Delivery.Kind.PASSWORD_RESET).count() == 2


def test_password_reset_is_limited_per_client_address(anon, practitioner, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    answers = [anon.post(reverse("password_reset"), {"email": f"guess{n}@example.com"}) for n in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 200]
    # Another visitor is not held up by this one.
    other = anon.post(reverse("password_reset"), {"email": "priya@example.com"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


@pytest.mark.redis
def test_password_reset_limit_is_shared_by_every_web_process_through_redis(anon, practitioner, settings):
    # Two "processes" are two cache connections to the same Redis database.
    from django.core.cache import caches

    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 1
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    caches["default"].clear()
    assert anon.post(reverse("password_reset"), {"email": "priya@example.com"}).status_code == 302
    caches["default"].close()
    second = anon.post(reverse("password_reset"), {"email": "priya@example.com"}, REMOTE_ADDR="198.51.100.7")
    assert second.status_code == 200


def test_inactive_staff_get_no_reset_email(anon, clinic, outbox_sends):
    UserFactory(username="gone", clinic=clinic, email="gone@example.com", is_active=False)
    with outbox_sends():
        assert anon.post(reverse("password_reset"), {"email": "gone@example.com"}).status_code == 302
    assert mail.outbox == []
