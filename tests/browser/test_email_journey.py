"""The routine email, for real: a Celery worker sends it over SMTP, the client opens its links.

The practitioner proposes and assigns the routine in the browser; the test plays beat
(`dispatch_due()`, as the fault tests do); a Celery worker subprocess (tests/
worker_process.py) on the Redis broker renders and sends the email to a loopback SMTP
server (tests/smtp_sink.py); the test reads the received message, opens its "I did it"
and pain links in the browser as the client would, and confirms each.

The worker reads the live server's database, so this needs PostgreSQL (the test
database, committed: a transactional test) and Redis. REDIS_URL's database is emptied
before and after: give these tests a database number of their own.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from accounts.localtime import local_today
from outbox.dispatch import dispatch_due
from outbox.models import Delivery
from routines.models import CheckIn
from tests.browser.data import FOOT_NOTES, signed_session
from tests.browser.steps import Looker, log_in, path_of, propose_routine
from tests.smtp_sink import SmtpSink
from tests.worker_process import WorkerProcess, database_url

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MAIL_TIMEOUT = 60


class KeepingSink(SmtpSink):
    """The SMTP sink, also keeping each accepted message whole, to read its links."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.raw: list[bytes] = []

    def _record(self, envelope) -> None:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        with self._lock:
            self.raw.append(content)
        super()._record(envelope)

    def message_to(self, address: str) -> email.message.EmailMessage | None:
        with self._lock:
            raw = list(self.raw)
        for content in raw:
            message = email.message_from_bytes(content, policy=email.policy.default)
            if address in str(message["To"]):
                return message
        return None


@pytest.fixture
def sink():
    with KeepingSink() as running:
        yield running


@pytest.fixture
def worker(live_server, sink, request):
    """A Celery worker on an emptied REDIS_URL database, sending to the sink, its links
    pointing at the live server."""
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.flushdb()
    process = WorkerProcess(
        database_url=database_url(connection.settings_dict),
        redis_url=django_settings.CELERY_BROKER_URL,
        email_url=sink.url,
        name="browser",
    )
    process.env["SITE_URL"] = live_server.url
    process.start()
    yield process
    process.stop(timeout=5)
    broker.flushdb()
    if request.session.testsfailed:
        print(f"--- worker log {process.log_path} ---\n{process.log_tail()}")


def beat_until_emailed(sink: KeepingSink, address: str, timeout: float = MAIL_TIMEOUT):
    """Dispatch passes, as beat would, until the sink has a message for `address`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_due()
        if (message := sink.message_to(address)) is not None:
            return message
        time.sleep(0.5)
    statuses = list(Delivery.objects.values_list("kind", "status", "last_error"))
    pytest.fail(f"No email to {address} within {timeout} s; deliveries: {statuses}")


def test_the_worker_emails_the_routine_and_the_client_confirms_from_its_links(
    page, open_page, clinic, practitioner, worker, sink
):
    look = Looker()
    session = signed_session(
        clinic,
        practitioner,
        notes=FOOT_NOTES,
        first_name="Rosa",
        last_name="Reed",
        email="rosa@example.org",
        # Today's email time has passed, so a routine starting today is due at once.
        routine_time="00:00",
    )
    client = session.client
    log_in(page, "priya")
    propose_routine(page, look, session)
    page.get_by_label("First day").fill(local_today(client).isoformat())
    page.get_by_role("button", name="Save the schedule").click()
    page.get_by_role("button", name="Assign to Rosa").click()
    expect(page.locator("#routine-status")).to_have_text("Active")

    message = beat_until_emailed(sink, "rosa@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Rosa," in text
    assert "Why your hands and not your feet:" in text
    done_link = re.search(r"I did it today: (\S+)", text).group(1)
    pain_links = dict(re.findall(r"^(\d+): (https?://\S+)", text, flags=re.MULTILINE))
    assert sorted(pain_links, key=int) == [str(n) for n in range(11)], text
    # The worker records the outcome just after the server accepted the message.
    delivery = Delivery.objects.get(client=client, kind=Delivery.Kind.ROUTINE)
    deadline = time.monotonic() + MAIL_TIMEOUT
    while delivery.status == Delivery.Status.SENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert message["Message-ID"].strip() == delivery.message_id

    # The client, on their own phone: no login, only the links.
    phone = open_page({"width": 390, "height": 844})
    phone.goto(path_of(done_link))
    expect(phone.get_by_role("heading", name="Record that you did today's routine?")).to_be_visible()
    look(phone)
    assert not CheckIn.objects.exists(), "opening the link must not record anything"
    phone.get_by_role("button", name="Yes, I did it today").click()
    expect(phone.get_by_role("heading", name="Thank you, that's recorded")).to_be_visible()
    look.seen.clear()
    look(phone)

    phone.goto(path_of(pain_links["3"]))
    pain = phone.get_by_role("group", name="How much pain do you have today?")
    expect(pain.get_by_label("3", exact=True)).to_be_checked()
    look(phone)
    phone.get_by_text("2", exact=True).click()  # a mis-tap corrected before confirming
    phone.get_by_role("button", name="Record my pain").click()
    expect(phone.get_by_text("Your pain today: 2 out of 10")).to_be_visible()

    # Opening the "I did it" link again says so, and records nothing twice.
    phone.goto(path_of(done_link))
    expect(phone.get_by_role("heading", name="Already recorded, thank you")).to_be_visible()
    checkins = sorted(CheckIn.objects.filter(delivery=delivery).values_list("kind", "pain"))
    assert checkins == [(CheckIn.Kind.DONE, None), (CheckIn.Kind.PAIN, 2)]
    assert timezone.now() - delivery.sent_at < dt.timedelta(minutes=5)
