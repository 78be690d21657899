"""What a page accepts from a request, in one place: ids, days and names.

Every value here arrives from a browser and may be anything (issue 11, found by
tests/test_fuzz.py): "²" is a digit to str.isdigit() but not to int(); a day in year 1 or
9999 is a valid date whose neighbour is not; a NUL byte is refused by PostgreSQL; a line
break in a name makes every email to that person fail with "Invalid address". Views and
forms read such values through these helpers, so a bad one becomes a field message, a
fallback or a 404, never a 500.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django import forms
from django.core.exceptions import ValidationError

# The days a page works with: any birth date on record, any diary or report range. A
# calendar or report steps a few weeks either side, which stays far inside date's range.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
# Database ids are 64-bit signed integers; a longer number would overflow the query.
MAX_ID = 2**63 - 1


def parse_id(raw: str | None) -> int | None:
    """A database id (or a count) from a query string or a hidden field: ASCII digits only, else None."""
    if raw and raw.isascii() and raw.isdigit():
        value = int(raw)
        if value <= MAX_ID:
            return value
    return None


def parse_day(raw: str | None) -> dt.date | None:
    """An ISO day (2026-03-03) between FIRST_DAY and LAST_DAY, else None."""
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def parse_moment(raw: str | None) -> dt.datetime | None:
    """An ISO date and time (2026-03-03T10:30, with or without an offset; a bare day is its
    midnight) on a day between FIRST_DAY and LAST_DAY, else None. Naive when the text has
    no offset: the caller decides whose wall clock it is."""
    try:
        moment = dt.datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    return moment if FIRST_DAY <= moment.date() <= LAST_DAY else None


def parse_instant(raw: str | None) -> dt.datetime | None:
    """An instant with its offset, as a slot link or a hidden field carries it (in UTC), else None:
    a time without an offset names no instant."""
    moment = parse_moment(raw)
    return moment.astimezone(dt.UTC) if moment is not None and moment.tzinfo is not None else None


class DayField(forms.DateField):
    """A date field that refuses days outside FIRST_DAY..LAST_DAY with a message by the field."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(
                f"Check the year: choose a date between {FIRST_DAY.year} and {LAST_DAY.year}.", code="out_of_range"
            )


# Invisible direction overrides, which can make a name read as something else. Other
# format characters (the zero-width joiners of Persian names and emoji) are left alone.
_BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ManyIdsField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows whose posted ids are checked to be ids first: Django's own
    field passes any integer to an `__in` lookup, and SQLite raises OverflowError (a 500)
    on one past 64 bits."""

    def _check_values(self, value):
        for raw in value:
            if parse_id(str(raw)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": raw}
                )
        return super()._check_values(value)


def has_control_characters(text: str) -> bool:
    # Control characters (line breaks, tabs, NUL, escape ...) never belong in a name, and a
    # line break in one breaks the email headers it goes into.
    return any(unicodedata.category(ch) == "Cc" or ch in _BIDI_OVERRIDES for ch in text)


def validate_no_control_characters(value: str) -> None:
    if value and has_control_characters(value):
        raise ValidationError("Use letters, spaces and punctuation only: no line breaks or tabs.", code="control")


def refuse_control_characters_in(form: forms.Form, *names: str) -> None:
    """Add the validator to the named fields of a form that has them."""
    for name in names:
        if name in form.fields:
            form.fields[name].validators.append(validate_no_control_characters)
