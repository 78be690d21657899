"""The fields a client answers on their intake page, as the practitioner reviews them:
what the client said against what the record holds, each in words.

An answer is kept as text (JSON): dates in ISO form, times as HH:MM, the flags as a
list of codes. `to_record` turns it back into the record's value when accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format

from clients.models import Client, HealthFlag, flag_spec


def _text(value: Any) -> str:
    return value or ""


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def _show_day(text: str) -> str:
    return date_format(dt.date.fromisoformat(text), "j F Y") if text else ""


def _show_flags(codes: list[str]) -> str:
    return "; ".join(flag_spec(code).label for code in codes) if codes else "None"


def _flag_values(codes: set[str]) -> list[str]:
    # In the intake's order, as the client's answers are kept.
    return [f.value for f in HealthFlag if f.value in codes]


@dataclass(frozen=True)
class ReviewField:
    label: str
    # The record's value as an answer is kept (text, or a list of flag codes).
    stored: Callable[[Client], Any]
    to_record: Callable[[Any], Any] = _text
    show: Callable[[Any], str] = _text


def _attr(name: str) -> Callable[[Client], str]:
    return lambda client: getattr(client, name) or ""


# In the order of the intake page.
REVIEW_FIELDS: dict[str, ReviewField] = {
    "first_name": ReviewField("First name", _attr("first_name")),
    "last_name": ReviewField("Last name", _attr("last_name")),
    "email": ReviewField("Email address", _attr("email")),
    "phone": ReviewField("Phone number", _attr("phone")),
    "address": ReviewField("Address", _attr("address")),
    "date_of_birth": ReviewField(
        "Date of birth",
        lambda c: c.date_of_birth.isoformat() if c.date_of_birth else "",
        to_record=_day,
        show=_show_day,
    ),
    "gp_name": ReviewField("GP's name", _attr("gp_name")),
    "gp_practice": ReviewField("GP's practice", _attr("gp_practice")),
    "flags": ReviewField(
        "Health questions answered yes",
        lambda c: _flag_values(c.flag_codes),
        to_record=list,
        show=_show_flags,
    ),
    "medications": ReviewField("Medications", _attr("medications")),
    "routine_time": ReviewField("Home-routine emails at", lambda c: c.routine_time.strftime("%H:%M"), to_record=_time),
}


def stored_value(client: Client, name: str) -> Any:
    return REVIEW_FIELDS[name].stored(client)


@dataclass(frozen=True)
class ReviewRow:
    name: str
    label: str
    said: str
    holds: str


def review_rows(submission) -> list[ReviewRow]:
    """Each answer that differs from the record: the client's words against the record's now."""
    client = submission.client
    rows = []
    for name, field in REVIEW_FIELDS.items():
        if name in submission.answers:
            rows.append(
                ReviewRow(name, field.label, field.show(submission.answers[name]), field.show(field.stored(client)))
            )
    return rows
