"""Two bookings at the same moment, for the PostgreSQL tests of "the database has the last word"."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import IntegrityError, connection

from appointments import services


def book_at_once(monkeypatch, module, check: str, bookings: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Run each booking in its own thread, every one past the service's `module.check`
    before any inserts, so only the database can stop the losers. Returns name → "booked",
    the loser's messages when the database refused it, or the unexpected exception."""
    barrier = threading.Barrier(len(bookings), timeout=15)
    checked = threading.local()
    real_check = getattr(module, check)

    def check_then_wait(**kwargs):
        result = real_check(**kwargs)
        if not getattr(checked, "done", False):
            checked.done = True
            barrier.wait()
        return result

    monkeypatch.setattr(module, check, check_then_wait)
    outcomes: dict[str, object] = {}

    def run(name: str, book: Callable[[], object]) -> None:
        try:
            book()
            outcomes[name] = "booked"
        except services.BookingError as exc:
            # The loser passed the check too: it must have been stopped by the database.
            outcomes[name] = exc.messages if isinstance(exc.__cause__, IntegrityError) else exc
        except Exception as exc:  # surfaced by the caller's assertions
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in bookings.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes
