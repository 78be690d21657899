"""The mailer over real SMTP: each email is handed over, and the server's verdict on it
read once the next email is made (outbox/mailer.py, `_Connection`).

A real SMTP server on loopback (tests/smtp_sink.py), the real routine emails and the
test database; tests/test_delivery_faults.py runs the same with Celery workers.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from outbox import mailer
from outbox.mailer import send_deliveries
from outbox.models import Delivery, DeliveryAttempt
from tests.smtp_sink import smtp_sink_fixture  # noqa: F401  (the smtp_sink fixture)
from tests.test_dispatch import pending_routine_emails as routine_rows


@pytest.fixture
def server(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_sink


def pending_routine_emails(clinic, count: int) -> list[Delivery]:
    """Due routine rows addressed as the dispatcher addresses them."""
    deliveries = routine_rows(clinic, count)
    for delivery in deliveries:
        delivery.to_email, delivery.to_name = delivery.client.email, delivery.client.full_name
        delivery.save(update_fields=["to_email", "to_name"])
    return deliveries


def statuses(deliveries: list[Delivery]) -> list[str]:
    return [Delivery.objects.get(pk=d.pk).status for d in deliveries]


def test_each_email_arrives_once_as_it_was_made_and_is_recorded_sent(clinic, server):
    server.keep_content = True
    deliveries = pending_routine_emails(clinic, 4)
    # A line that starts with a dot is doubled on the wire and arrives as written.
    deliveries[1].routine.intro = ".Keep going\n..even on busy days."
    deliveries[1].routine.save()
    made = {d.message_id: mailer.message_for(d).wire_bytes() for d in deliveries}

    assert send_deliveries([d.pk for d in deliveries])["sent"] == 4

    arrived = {m.message_id: m.content for m in server.snapshot()}
    assert arrived.keys() == made.keys()
    assert b"\r\n.Keep going\r\n..even on busy days." in arrived[deliveries[1].message_id]
    for message_id, content in arrived.items():
        # The same bytes as made beforehand, but for the MIME boundaries and the Date.
        assert len(content) == len(made[message_id])
    assert statuses(deliveries) == [Delivery.Status.SENT] * 4
    assert DeliveryAttempt.objects.filter(delivery__in=deliveries, outcome="sent").count() == 4


def test_the_next_email_is_made_while_the_server_reads_the_last_and_each_verdict_is_recorded_first(
    clinic, server, monkeypatch
):
    deliveries = pending_routine_emails(clinic, 3)
    number = {d.pk: n for n, d in enumerate(deliveries, 1)}
    events = []
    make, record = mailer.message_for, mailer._record_sent
    monkeypatch.setattr(mailer, "message_for", lambda d: (events.append(f"made {number[d.pk]}"), make(d))[1])
    monkeypatch.setattr(mailer, "_record_sent", lambda d: (events.append(f"sent {number[d.pk]}"), record(d))[1])

    assert send_deliveries(list(number))["sent"] == 3

    assert events == ["made 1", "made 2", "sent 1", "made 3", "sent 2", "sent 3"]


@pytest.mark.parametrize(
    ("fail_at", "mode", "status", "reason"),
    [
        # Refused at the end of the email: the verdict read late lands on that email.
        ("DATA", "4xx", Delivery.Status.PENDING, "451 4.3.0 Try again later"),
        ("DATA", "5xx", Delivery.Status.FAILED, "550 5.1.1 No such mailbox"),
        # Lost before the verdict: tried again later; the rest go out on a new connection.
        ("DATA", "drop", Delivery.Status.PENDING, "The mail server closed the connection"),
        # Refused at the envelope: the connection serves the rest.
        ("RCPT", "5xx", Delivery.Status.FAILED, "550 5.1.1 No such mailbox"),
    ],
)
def test_a_refused_or_lost_email_is_recorded_on_that_email_and_the_next_ones_go_out(
    clinic, server, fail_at, mode, status, reason
):
    deliveries = pending_routine_emails(clinic, 3)
    server.fail_at = fail_at
    server.fail_first(1, mode)

    send_deliveries([d.pk for d in deliveries])

    assert statuses(deliveries) == [status, Delivery.Status.SENT, Delivery.Status.SENT]
    first = Delivery.objects.get(pk=deliveries[0].pk)
    assert first.last_error.startswith(reason)
    if status == Delivery.Status.PENDING:
        assert first.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert [m.message_id for m in server.snapshot()] == [d.message_id for d in deliveries[1:]]


def test_an_email_that_cannot_be_made_keeps_the_verdict_on_the_one_before(clinic, server, monkeypatch):
    deliveries = pending_routine_emails(clinic, 3)
    make = mailer.message_for

    def make_or_fail(delivery):
        if delivery.pk == deliveries[1].pk:
            raise ValueError("a step without words")
        return make(delivery)

    monkeypatch.setattr(mailer, "message_for", make_or_fail)
    counts = send_deliveries([d.pk for d in deliveries])

    assert (counts["sent"], counts["retry"]) == (2, 1)
    assert statuses(deliveries) == [Delivery.Status.SENT, Delivery.Status.PENDING, Delivery.Status.SENT]
    assert Delivery.objects.get(pk=deliveries[1].pk).last_error == "ValueError: a step without words"


def test_the_last_emails_verdict_is_recorded_even_when_the_batch_breaks_off(clinic, server, monkeypatch):
    deliveries = pending_routine_emails(clinic, 2)
    monkeypatch.setattr(mailer, "CLAIM_WINDOW", 1)
    claim = mailer._claim
    calls = []

    def claim_then_break(pks, now):
        calls.append(pks)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return claim(pks, now)

    monkeypatch.setattr(mailer, "_claim", claim_then_break)
    with pytest.raises(RuntimeError):
        send_deliveries([d.pk for d in deliveries])

    assert statuses(deliveries) == [Delivery.Status.SENT, Delivery.Status.PENDING]
    assert [m.message_id for m in server.snapshot()] == [deliveries[0].message_id]
