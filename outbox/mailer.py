"""Sends Delivery rows: claim, build, send over one SMTP connection, record.

Rows are claimed a window at a time (CLAIM_WINDOW rows, pending -> sending, one
conditional UPDATE ... RETURNING), so a batch that runs twice, or two workers given
the same ids, send each row once, and the claim costs one round trip per window rather
than per email. A window's rows are sent within half of DELIVERY_STUCK_AFTER_SECONDS of
its claim: should the mail server be slow enough to take longer, the rest of the window
is released and claimed again, so the sweeper never takes a row this worker still holds.
The outcome is written as soon as the server's answer is read, with a DeliveryAttempt
every time. That answer is read once the next email is made, not at once: the server
reads one email while the worker renders the next (`_Connection`), and each verdict is
recorded before the next email is handed over.

The batch's own writes commit without waiting for the disk (synchronous_commit off, on
this connection for the batch only): a commit is then a round trip, not a disk flush,
which was most of the time an email took. What this risks is a resend, never a loss: if
PostgreSQL itself crashes (not the worker: the server has the statement), the last
fraction of a second of records may be lost, those rows are swept back to pending and
sent again with the same Message-ID. A worker killed after the server's 250 but before
reading it is the same window as before, one email's making longer: the row is swept back
and sent again with the same Message-ID, so the receiver can tell the resend.

SMTP errors: a 4xx answer or a lost connection is temporary, so the row goes back
to pending with `next_attempt_at` pushed out (exponential backoff with jitter; the
dispatcher queues it again when that time comes, never an ETA task); after
DELIVERY_MAX_ATTEMPTS it is failed. A 5xx answer is permanent: failed with the
server's code and words, never sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import smtplib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from . import kinds
from .models import Delivery, DeliveryAttempt
from .render import ClinicEmail, render_delivery

logger = logging.getLogger(__name__)

# Rows claimed per statement: one round trip per this many emails instead of each.
CLAIM_WINDOW = 20


class SendError(Exception):
    """A failed send, classified: `permanent` ones are never retried."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


def build_message(delivery: Delivery) -> EmailMessage:
    return render_delivery(delivery)


def message_for(delivery: Delivery) -> EmailMessage:
    """The row's message as it goes out, with the row's Message-ID: set here and nowhere
    else, the same on every retry, so a receiving server can tell a resend from a new email."""
    message = build_message(delivery)
    message.extra_headers["Message-ID"] = delivery.message_id
    return message


def classify(exc: BaseException) -> SendError:
    """Turn whatever sending raised into a temporary or permanent SendError."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # One recipient per message: its refusal is the message's.
        code, reply = next(iter(exc.recipients.values()), (None, b""))
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return SendError(f"{code} {text}".strip(), permanent=bool(code and 500 <= code < 600), code=code)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        code = exc.smtp_code if exc.smtp_code and exc.smtp_code > 0 else None
        return SendError(f"{exc.smtp_code} {text}".strip(), permanent=bool(code and 500 <= code < 600), code=code)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendError(f"The mail server closed the connection: {exc}", permanent=False)
    if isinstance(exc, TimeoutError):
        return SendError(f"The mail server did not answer in time: {exc}", permanent=False)
    if isinstance(exc, OSError):
        return SendError(f"Could not reach the mail server: {exc}", permanent=False)
    # Anything else (a bug while building the message, an odd SMTP state) is retried
    # with backoff like a temporary error, and ends failed with its reason if it persists.
    return SendError(f"{type(exc).__name__}: {exc}", permanent=False)


def retry_delay(attempts: int) -> dt.timedelta:
    base = settings.DELIVERY_RETRY_BASE_SECONDS
    cap = settings.DELIVERY_RETRY_CAP_SECONDS
    seconds = min(cap, base * 2 ** max(attempts - 1, 0))
    # Jitter spreads a burst of failures so they don't all retry in the same minute.
    return dt.timedelta(seconds=seconds * random.uniform(0.5, 1.5))


def skip_reason(delivery: Delivery, now: dt.datetime, batch: dict[str, object]) -> str | None:
    """Why this row should not be sent any more, in words for the delivery log: its kind's rule.

    `batch`: per kind, what its `prepare` computed once for the batch's rows.
    """
    try:
        kind = kinds.get(delivery.kind)
    except kinds.UnknownKind:
        # Not ours to judge: building it fails, and that error is recorded on the row
        # (retried, so a deploy that registers the kind still sends it; then failed).
        return None
    return kind.skip(delivery, now, batch.get(kind.slug))


def with_email_data(deliveries: QuerySet[Delivery], slugs: Iterable[str] | None = None) -> QuerySet[Delivery]:
    """What building many emails of these kinds (by default every registered kind) needs, in a
    fixed number of queries."""
    chosen = [kind for kind in kinds.registered() if slugs is None or kind.slug in slugs]
    select, prefetch = kinds.related(chosen)
    return deliveries.select_related(*select).prefetch_related(*prefetch)


def _claim(pks: list[int], now: dt.datetime) -> set[int]:
    """pending -> sending for those of `pks` still pending; the ids this call claimed.
    Of two workers given the same row, one claims it."""
    table = Delivery._meta.db_table
    if db_connection.vendor == "postgresql":
        # One plain statement (the ORM's update costs more to build than to run).
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "
                "WHERE id = ANY(%s::bigint[]) AND status = %s RETURNING id",
                [Delivery.Status.SENDING, now, list(pks), Delivery.Status.PENDING],
            )
            return {pk for (pk,) in cursor.fetchall()}
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    claim = {"status": Delivery.Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    return {pk for pk in pks if pending.filter(pk=pk).update(**claim)}


def _release(pks: list[int], claimed_at: dt.datetime) -> None:
    """Give back claimed rows not sent yet (and their attempt, never made). Only rows
    still carrying our claim: one the sweeper took back is someone else's now."""
    Delivery.objects.filter(pk__in=pks, status=Delivery.Status.SENDING, claimed_at=claimed_at).update(
        status=Delivery.Status.PENDING, claimed_at=None, attempts=F("attempts") - 1
    )


def _record_sent(delivery: Delivery) -> None:
    """The row is sent, with its attempt logged, in one statement right after the server's 250.

    One round trip on PostgreSQL (an UPDATE and the INSERT of its attempt in one
    statement, atomic without a transaction of its own), so the window in which a
    crash would leave an accepted message unrecorded is as short as it can be.
    """
    now = timezone.now()
    if db_connection.vendor == "postgresql":
        deliveries, attempts = Delivery._meta.db_table, DeliveryAttempt._meta.db_table
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"WITH sent AS (UPDATE {deliveries} SET status = %s, sent_at = %s, next_attempt_at = NULL, "
                "last_error = '' WHERE id = %s RETURNING id) "
                f"INSERT INTO {attempts} (delivery_id, at, outcome, smtp_code, error) "
                "SELECT id, %s, %s, NULL, '' FROM sent",
                [Delivery.Status.SENT, now, delivery.pk, now, DeliveryAttempt.Outcome.SENT],
            )
        return
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.SENT, sent_at=now, next_attempt_at=None, last_error=""
        )
        DeliveryAttempt.objects.create(delivery=delivery, outcome=DeliveryAttempt.Outcome.SENT)


@transaction.atomic
def _record_failure(delivery: Delivery, error: SendError) -> str:
    """Back to pending with a later next attempt, or failed; returns the new status."""
    attempts = Delivery.objects.values_list("attempts", flat=True).get(pk=delivery.pk)
    if error.permanent:
        status, outcome, next_at = Delivery.Status.FAILED, DeliveryAttempt.Outcome.PERMANENT, None
        reason = str(error)
    elif attempts >= settings.DELIVERY_MAX_ATTEMPTS:
        status, outcome, next_at = Delivery.Status.FAILED, DeliveryAttempt.Outcome.TRANSIENT, None
        reason = f"Gave up after {attempts} attempts: {error}"
    else:
        status, outcome = Delivery.Status.PENDING, DeliveryAttempt.Outcome.TRANSIENT
        next_at = timezone.now() + retry_delay(attempts)
        reason = str(error)
    # Its lease ends with the attempt: the pass that finds it due queues it again.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, next_attempt_at=next_at, claimed_at=None, leased_until=None, last_error=reason
    )
    DeliveryAttempt.objects.create(delivery=delivery, outcome=outcome, smtp_code=error.code, error=str(error))
    return status


# `Name <local@domain>` with a plain ASCII address: what the envelope takes of it is the
# address, which sanitize_address would give after parsing the whole header (smtplib
# keeps only the address in angle brackets).
_ATOMS = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
_PLAIN_ADDRESS = re.compile(rf'[^][\\()<>@,:;".\r\n]*<({_ATOMS}@{_ATOMS})>|({_ATOMS}@{_ATOMS})')


def _envelope(address: str, encoding: str) -> str:
    """The address as MAIL FROM and RCPT TO carry it (`<local@domain>`): what Django's SMTP
    backend (sanitize_address) and smtplib (quoteaddr) make of it, a plain one without parsing."""
    plain = _PLAIN_ADDRESS.fullmatch(address)
    if plain:
        return f"<{plain[1] or plain[2]}>"
    return smtplib.quoteaddr(sanitize_address(address, encoding))


def _hand_over(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> None:
    """smtplib's sendmail up to the message's last line: envelope (addresses as `_envelope`
    gives them), DATA and the bytes, each refusal raised as sendmail raises it. The server's
    verdict on the message (its answer to the final dot) is left to `_verdict`."""
    smtp.ehlo_or_helo_if_needed()
    options = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
    smtp.putcmd("mail", f"FROM:{sender}{options}")
    code, reply = smtp.getreply()
    if code != 250:
        smtp.close() if code == 421 else smtp._rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for each in recipients:
        smtp.putcmd("rcpt", f"TO:{each}")
        code, reply = smtp.getreply()
        if code not in (250, 251):
            refused[each] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        smtp._rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    # RFC 5321 4.5.2: a line that starts with a dot gets another (smtplib's _quote_periods,
    # as one bytes.replace rather than a regular expression over the whole message).
    data = (b"." if data.startswith(b".") else b"") + data.replace(b"\n.", b"\n..")
    smtp.send(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")


def _verdict(smtp: smtplib.SMTP) -> None:
    """The server's answer to the message handed over last, raised as sendmail raises it."""
    code, reply = smtp.getreply()
    if code != 250:
        smtp.close() if code == 421 else smtp._rset()
        raise smtplib.SMTPDataError(code, reply)


class _Connection:
    """One SMTP connection for a whole batch, reopened only after it was lost.

    A message is handed over (envelope, DATA and its bytes) and the server's verdict on it
    read only once the next message is made: the mail server reads one email while the
    worker renders the next, rather than each waiting for the other. The verdict is still
    read, and recorded, before the next email is handed over. Through any other backend
    (files, memory, a console) a message is sent whole when handed over.
    """

    def __init__(self):
        self.backend = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        self.is_open = False
        self.in_flight: Delivery | None = None  # handed over, its verdict not read yet
        self._awaiting_reply = False

    def hand_over(self, delivery: Delivery, message: EmailMessage) -> None:
        if not self.is_open:
            self.is_open = True
            try:
                self.backend.open()
            except Exception:
                # A half-open connection (connected, then refused at login) must not be reused.
                self.close()
                raise
        if isinstance(message, ClinicEmail) and type(self.backend) is SmtpBackend:
            self._hand_over_bytes(message)
        else:
            message.connection = self.backend
            if not self.backend.send_messages([message]):
                raise SendError("The email had no recipient address.", permanent=True)
        self.in_flight = delivery

    def _hand_over_bytes(self, message: ClinicEmail) -> None:
        """What Django's SMTP backend does for one message (its _send), with the bytes
        written directly (ClinicEmail.wire_bytes) rather than through email.message."""
        encoding = message.encoding or settings.DEFAULT_CHARSET
        recipients = [_envelope(address, encoding) for address in message.recipients()]
        if not recipients:
            raise SendError("The email had no recipient address.", permanent=True)
        sender = _envelope(message.from_email, encoding)
        _hand_over(self.backend.connection, sender, recipients, message.wire_bytes())
        self._awaiting_reply = True

    def verdict(self) -> Delivery | None:
        """The message handed over last, once the server has accepted it (raises what
        sending it raised otherwise); None when none is waiting."""
        delivery, self.in_flight = self.in_flight, None
        if self._awaiting_reply:
            self._awaiting_reply = False
            _verdict(self.backend.connection)
        return delivery

    def close(self) -> None:
        self.in_flight, self._awaiting_reply = None, False
        if not self.is_open:
            return
        self.is_open = False
        try:
            self.backend.close()
        except Exception:  # a dead connection may fail to say goodbye
            logger.debug("closing the SMTP connection failed", exc_info=True)
            if hasattr(self.backend, "connection"):
                self.backend.connection = None


@contextmanager
def _commits_without_flush() -> Iterator[None]:
    """synchronous_commit off on this connection while the batch runs (see the docstring
    above for what it risks: a resend after a PostgreSQL crash, never a loss)."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:  # a broken connection is closed and replaced; its setting goes with it
            logger.debug("resetting synchronous_commit failed", exc_info=True)


def send_deliveries(ids: Iterable[int]) -> dict[str, int]:
    """Send the given rows that are still pending; returns counts by outcome.

    Keys: sent, retry (back to pending for later), failed, skipped, not_claimed
    (already claimed or finished by someone else).
    """
    ids = list(ids)
    counts: Counter[str] = Counter(sent=0, retry=0, failed=0, skipped=0, not_claimed=0)
    # What the messages need, loaded in a fixed number of queries for the whole batch.
    # Only rows still pending: those another worker took or finished are not loaded at all.
    # Only the relations of the kinds in the batch: a morning's batch of routine emails does
    # not join the appointment, course and booking settings a reminder would need.
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    present = set(pending.filter(pk__in=ids).order_by().values_list("kind", flat=True).distinct())
    deliveries = with_email_data(pending, present).in_bulk(ids) if present else {}
    by_kind: dict[str, list[Delivery]] = {}
    for delivery in deliveries.values():
        by_kind.setdefault(delivery.kind, []).append(delivery)
    registered = {kind.slug: kind for kind in kinds.registered()}
    batch = {slug: registered[slug].prepare(rows) for slug, rows in by_kind.items() if slug in registered}
    counts["not_claimed"] += sum(1 for pk in ids if pk not in deliveries)
    todo = [deliveries.pop(pk) for pk in ids if pk in deliveries]  # each row once, in the given order
    connection = _Connection()
    try:
        with _commits_without_flush():
            for start in range(0, len(todo), CLAIM_WINDOW):
                _send_window(todo[start : start + CLAIM_WINDOW], connection, counts, batch)
    finally:
        try:
            _settle(connection, counts)  # the last email's verdict, also when the batch broke off
        finally:
            connection.close()
    return dict(counts)


def _send_window(window: list[Delivery], connection: _Connection, counts: Counter, batch: dict[str, object]) -> None:
    """Skip what should not go out any more, claim the rest in one statement, send each."""
    now = timezone.now()
    to_send = []
    for delivery in window:
        reason = skip_reason(delivery, now, batch)
        if not reason:
            to_send.append(delivery)
            continue
        skipped = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, last_error=reason, next_attempt_at=None
        )
        counts["skipped" if skipped else "not_claimed"] += 1
    patience = dt.timedelta(seconds=settings.DELIVERY_STUCK_AFTER_SECONDS / 2)
    claimed_at, claimed = now, _claim([d.pk for d in to_send], now)
    for n, delivery in enumerate(to_send):
        if delivery.pk in claimed and timezone.now() - claimed_at > patience:
            # A slow server: claim the rest afresh before the sweeper would count it stuck.
            rest = [d.pk for d in to_send[n:] if d.pk in claimed]
            _release(rest, claimed_at)
            claimed_at = timezone.now()
            claimed = _claim(rest, claimed_at)
        if delivery.pk not in claimed:
            counts["not_claimed"] += 1
            continue
        _send_one(delivery, connection, counts)


def _send_one(delivery: Delivery, connection: _Connection, counts: Counter) -> None:
    """Make the email, read and record the previous one's verdict, hand this one over."""
    try:
        message, failure = message_for(delivery), None
    except Exception as exc:  # recorded on the row below, like any failure to send it
        message, failure = None, exc
    _settle(connection, counts)
    try:
        if failure is not None:
            raise failure
        connection.hand_over(delivery, message)
    except Exception as exc:  # every failure is recorded on the row, none is lost
        _record_error(delivery, exc, connection, counts)


def _settle(connection: _Connection, counts: Counter) -> None:
    """The verdict on the email handed over last, recorded right away."""
    delivery = connection.in_flight
    if delivery is None:
        return
    try:
        connection.verdict()
    except Exception as exc:
        _record_error(delivery, exc, connection, counts)
        return
    _record_sent(delivery)
    counts["sent"] += 1


def _record_error(delivery: Delivery, exc: Exception, connection: _Connection, counts: Counter) -> None:
    error = exc if isinstance(exc, SendError) else classify(exc)
    if error.code is None and not error.permanent:
        # The server answered nothing (lost connection, timeout) or we don't know its
        # state: the next message starts on a fresh connection. After a coded refusal
        # smtplib has reset the session and the connection goes on serving the batch.
        connection.close()
    status = _record_failure(delivery, error)
    counts["failed" if status == Delivery.Status.FAILED else "retry"] += 1
    logger.warning("delivery %s: %s (%s)", delivery.pk, error, status)
