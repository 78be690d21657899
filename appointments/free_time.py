"""Free time on the calendar, from the app that knows it.

Free slots are computed by online booking (booking/slots.py), which imports appointments;
appointments may not import it back (tests/test_architecture.py: no cycle). So booking
registers its function here from its AppConfig.ready(), and the day calendar asks this
module. Without a registration (booking not installed) the calendar shows no free slots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

# (clinic, treatment_type, *, practitioner: User | None, start: date, days: int, now: datetime)
# -> slots, each with `practitioner`, `starts_at` and `ends_at`, in time order.
FreeSlots = Callable[..., list[Any]]

_provider: list[FreeSlots] = []


def register(provider: FreeSlots) -> None:
    _provider[:] = [provider]


def calendar_free_slots(
    clinic, treatment_type, *, practitioner=None, start: dt.date, days: int, now: dt.datetime
) -> list[Any]:
    if not _provider or treatment_type is None:
        return []
    return _provider[0](clinic, treatment_type, practitioner=practitioner, start=start, days=days, now=now)
