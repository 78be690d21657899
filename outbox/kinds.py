"""The registry of email kinds: what the outbox asks the app that owns a kind.

Each kind of email (Delivery.Kind) is registered once, by the app that owns it, in its
AppConfig.ready(): routines registers the routine email, appointments the confirmation
and the reminder, accounts the staff invitation and the password reset. The outbox
reads only this registry; it imports none of those apps.

A kind says:
- `template_dir`: the folder of its subject.txt, body.txt and (with `html`) body.html,
  rendered by outbox/render.py;
- `build(delivery) -> EmailParts`: the templates' context and what goes with it
  (headers, pictures, attachments, the time zone to show times in);
- `skip(delivery, now, batch) -> reason | None`: why a row should not go out any more,
  asked right before sending; `batch` is what `prepare(rows)` computed once for the
  batch's rows of this kind (e.g. which routines are still due);
- `select_related` / `prefetch_related`: what building its emails reads, loaded for a
  whole batch in a fixed number of queries;
- `create_due(now) -> Produced`: for kinds the clock makes due (routine emails,
  reminders), the rows to create on each dispatch pass; kinds made by an action (a
  booking, a staff member added) leave it out and call outbox.services.delivery_create.
Whether a kind may exist only once per subject is the database's: Delivery.ONCE_PER.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Delivery
    from .render import InlineImage


@dataclass
class EmailParts:
    """What a kind's builder hands to the renderer for one email."""

    context: dict
    headers: dict[str, str] = field(default_factory=dict)
    # Context entries that differ from one recipient to the next (a first name, signed
    # links), each used in the templates only as a plain `{{ value }}`: with them given, the
    # rest of the context must be plain values, and emails of the same shape are rendered
    # once and filled in (outbox/render.py).
    personal: dict = field(default_factory=dict)
    reply_to: str = ""
    inline_images: list[InlineImage] = field(default_factory=list)
    attachments: list[MIMEBase] = field(default_factory=list)
    # Template filters show aware times in this zone (a clinic's), when set.
    timezone: str | None = None


@dataclass(frozen=True)
class Produced:
    """What a kind's `create_due` did on one dispatch pass."""

    created: int = 0
    expired: int = 0  # pending rows marked skipped because their day had passed


def never_skip(delivery: Delivery, now: dt.datetime, batch: Any) -> str | None:
    return None


def no_batch(deliveries: list[Delivery]) -> None:
    return None


@dataclass(frozen=True)
class EmailKind:
    slug: str
    template_dir: str
    build: Callable[[Delivery], EmailParts]
    skip: Callable[[Delivery, dt.datetime, Any], str | None] = never_skip
    prepare: Callable[[list[Delivery]], Any] = no_batch
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    create_due: Callable[[dt.datetime], Produced] | None = None
    html: bool = True

    def __post_init__(self):
        # A Delivery.Kind member is a str; kept as the plain value, it reads as 'routine' in messages.
        object.__setattr__(self, "slug", str(self.slug))

    @property
    def templates(self) -> list[str]:
        names = ["subject.txt", "body.txt", *(["body.html"] if self.html else [])]
        return [f"{self.template_dir}/{name}" for name in names]


class UnknownKind(LookupError):
    pass


_registry: dict[str, EmailKind] = {}


def register(*kinds: EmailKind) -> None:
    """Called from an AppConfig.ready(); a slug is registered once, by its owner."""
    from .models import Kind

    for kind in kinds:
        if kind.slug not in Kind.values:
            raise UnknownKind(f"{kind.slug!r} is not a Delivery.Kind value: add it to outbox/models.py first.")
        if kind.slug in _registry and _registry[kind.slug] != kind:
            raise ValueError(f"The email kind {kind.slug!r} is registered twice.")
        _registry[kind.slug] = kind


def get(slug: str) -> EmailKind:
    try:
        return _registry[slug]
    except KeyError:
        raise UnknownKind(f"No email kind {slug!r} is registered (see outbox/kinds.py).") from None


def registered() -> list[EmailKind]:
    """Every registered kind, in the order the apps registered them."""
    return list(_registry.values())


def related(kinds: Iterable[EmailKind]) -> tuple[list[str], list[str]]:
    """The select_related and prefetch_related paths that building these kinds reads."""
    select = {"clinic", "client"}
    prefetch: set[str] = set()
    for kind in kinds:
        select.update(kind.select_related)
        prefetch.update(kind.prefetch_related)
    return sorted(select), sorted(prefetch)


def problems(kinds: Iterable[EmailKind] | None = None) -> list[str]:
    """What is missing from the registry, in words: a Delivery.Kind value nobody
    registered, or a registered kind whose templates are not there. Empty when complete.
    Run by `manage.py check` (outbox/checks.py) and by tests/test_outbox_kinds.py."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    from .models import Kind

    kinds = registered() if kinds is None else list(kinds)
    found: list[str] = []
    slugs = {kind.slug for kind in kinds}
    for value, label in Kind.choices:
        if value not in slugs:
            found.append(f"Delivery.Kind {value!r} ({label}) has no registered email kind.")
    for kind in kinds:
        for name in kind.templates:
            try:
                get_template(name)
            except TemplateDoesNotExist:
                found.append(f"The email kind {kind.slug!r} has no template {name}.")
    return found
