"""A real SMTP server on loopback that records what it accepts and misbehaves on demand.

`SmtpSink` runs aiosmtpd's `Controller` on 127.0.0.1 and a free port, in its own
thread, so a Celery worker in another process can send to it over real SMTP. It is a
pytest fixture (`smtp_sink`) and a plain class the benchmark starts itself:

    with SmtpSink() as sink:
        sink.fail_first(3, "4xx")       # the first 3 messages get 451, then it recovers
        ...
        assert sink.wait_for(10, timeout=20)
        assert sink.duplicates() == {}

Modes (`sink.mode`), applied at DATA by default (`sink.fail_at = "RCPT"` to refuse the
recipient instead):
- "ok": accept and record the message;
- "4xx": answer `451 4.3.0 Try again later` (transient: the sender should retry);
- "5xx": answer `550 5.1.1 No such mailbox` (permanent: the sender must give up);
- "drop": close the connection without answering, mid-transaction.

A message is recorded only when the sink answers 250, as a real server takes
responsibility for a message only when it says so. If the client goes away while the
sink holds a message (`hold_after`), the message is not recorded: the client never
learnt it was accepted, and neither did the sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

import pytest
from aiosmtpd.controller import Controller

TRANSIENT_REPLY = "451 4.3.0 Try again later"
PERMANENT_REPLY = "550 5.1.1 No such mailbox"
MODES = ("ok", "4xx", "5xx", "drop")

# aiosmtpd logs every command at INFO; a benchmark of 20,000 messages would drown the output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ReceivedMessage:
    message_id: str
    to: str
    subject: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    size: int
    at: float = field(default_factory=time.monotonic)
    content: bytes = b""  # what the server received, when the sink keeps it (keep_content)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.fail_at == "RCPT":
            reply = self.sink._take_failure()
            if reply is not None:
                return self._misbehave(server, reply)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        if sink.delay:
            await asyncio.sleep(sink.delay)
        # Holding: the sender waits for our reply; if it dies meanwhile, aiosmtpd cancels
        # this coroutine and the message is never recorded (nor acknowledged).
        if sink._should_hold():
            with sink._lock:
                sink.held += 1
            try:
                while sink._holding:
                    await asyncio.sleep(0.01)
            finally:
                with sink._lock:
                    sink.held -= 1
            if server.transport is None or server.transport.is_closing():
                return TRANSIENT_REPLY
        if sink.fail_at == "DATA":
            reply = sink._take_failure()
            if reply is not None:
                return self._misbehave(server, reply)
        sink._record(envelope)
        return "250 OK"

    def _misbehave(self, server, reply: str) -> str:
        if reply == "drop":
            # Close without answering: the client sees the connection die mid-transaction.
            if server.transport is not None:
                server.transport.abort()
            return TRANSIENT_REPLY  # written to a closed transport: never seen
        return reply


class SmtpSink:
    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or 0
        self.mode = "ok"
        self.fail_at = "DATA"
        # Seconds to wait before answering each DATA: slows the sink so a test can act mid-batch.
        self.delay = 0.0
        # Keep each message's bytes (a test comparing them); off for the benchmark's 20,000.
        self.keep_content = False
        self.messages: list[ReceivedMessage] = []
        self.refused = 0  # 4xx, 5xx and drops answered
        self.held = 0
        self._fail_remaining: int | None = None
        self._hold_after: int | None = None
        self._holding = False
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._parser = BytesHeaderParser()
        self._controller: Controller | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> SmtpSink:
        last_error: Exception | None = None
        for _ in range(5):  # the free port can be taken between probing and binding
            port = self.port or free_port(self.host)
            controller = Controller(_Handler(self), hostname=self.host, port=port, data_size_limit=0, ready_timeout=5)
            try:
                controller.start()
            except Exception as error:  # retried on another port
                last_error = error
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"SMTP sink could not start: {last_error}")

    def stop(self) -> None:
        self.release()
        if self._controller is not None:
            with contextlib.suppress(Exception):
                self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """For the EMAIL_URL setting of a worker."""
        return f"smtp://{self.host}:{self.port}"

    # --- misbehaviour ----------------------------------------------------------------
    def fail_first(self, n: int, mode: str) -> None:
        """Answer `mode` to the next `n` messages (or recipients), then accept again."""
        assert mode in MODES, mode
        with self._lock:
            self.mode, self._fail_remaining = mode, n

    def hold_after(self, n: int) -> None:
        """After `n` accepted messages, keep every further DATA waiting for our reply."""
        with self._lock:
            self._hold_after, self._holding = n, False

    def release(self) -> None:
        with self._lock:
            self._hold_after, self._holding = None, False

    def wait_until_holding(self, senders: int, timeout: float, settle: float = 0.5) -> int:
        """Wait until `senders` clients are held, or no new one arrived for `settle` s."""
        deadline = time.monotonic() + timeout
        seen, seen_at = -1, time.monotonic()
        while time.monotonic() < deadline:
            with self._lock:
                held = self.held
            if held >= senders:
                return held
            if held != seen:
                seen, seen_at = held, time.monotonic()
            elif held > 0 and time.monotonic() - seen_at > settle:
                return held
            time.sleep(0.01)
        return self.held

    def _should_hold(self) -> bool:
        with self._lock:
            if self._hold_after is not None and len(self.messages) >= self._hold_after:
                self._holding = True
            return self._holding

    def _take_failure(self) -> str | None:
        with self._lock:
            if self.mode == "ok":
                return None
            if self._fail_remaining is not None:
                if self._fail_remaining <= 0:
                    return None
                self._fail_remaining -= 1
            self.refused += 1
            return {"4xx": TRANSIENT_REPLY, "5xx": PERMANENT_REPLY, "drop": "drop"}[self.mode]

    # --- what arrived ----------------------------------------------------------------
    def _record(self, envelope) -> None:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        headers = self._parser.parsebytes(content)
        message = ReceivedMessage(
            message_id=(headers.get("Message-ID") or "").strip(),
            to=str(headers.get("To") or ""),
            subject=str(headers.get("Subject") or ""),
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            size=len(content),
            content=content if self.keep_content else b"",
        )
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def snapshot(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, n: int, timeout: float) -> bool:
        """True once at least `n` messages arrived; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(m.message_id for m in self.messages)

    def duplicates(self) -> dict[str, int]:
        """Message-IDs received more than once, with how many times."""
        return {mid: n for mid, n in self.message_ids().items() if n > 1}

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.mode, self.fail_at, self.delay, self.refused = "ok", "DATA", 0.0, 0
            self._fail_remaining, self._hold_after, self._holding = None, None, False


# Named apart from the fixture so a test module can import it without shadowing it:
# import `smtp_sink_fixture` (unused, so with a noqa for F401) and ask for `smtp_sink`.
@pytest.fixture(name="smtp_sink")
def smtp_sink_fixture():
    with SmtpSink() as sink:
        yield sink
