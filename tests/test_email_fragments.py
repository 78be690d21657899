"""Parts of an email rendered once per value ({% once_per %}, outbox/templatetags/email_fragments.py).

A routine's steps recur across a morning's emails while the routines as a whole mostly
differ, so a step's block is rendered once and reused. These tests hold what makes that
safe: the block sees only the values it names, so the same values give the same words,
and changed values (an edited step) give new ones, never the old.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template, engines
from django.template.loader import get_template
from django.utils import timezone

from accounts.models import Clinic
from outbox import kinds, render
from outbox.models import Delivery
from routines.emails import routine_parts
from tests.delivery_data import heavy_routine_delivery


@dataclass
class Step:
    title: str
    minutes: int = 3


@dataclass(frozen=True)
class Counted:
    """A value that counts how often a template shows it."""

    title: str
    shown: ClassVar[list] = []

    @property
    def words(self) -> str:
        self.shown.append(self.title)
        return self.title


def _render(source: str, autoescape: bool = True, **values) -> str:
    return Template("{% load email_fragments %}" + source).render(Context(values, autoescape=autoescape))


def test_a_block_shows_only_the_values_it_names():
    block = "{% once_per step %}[{{ step.title }}, {{ first_name }}]{% endonce_per %} {{ first_name }}"
    assert _render(block, step=Step("Spine"), first_name="Maya") == "[Spine, ] Maya"


def test_the_same_step_in_many_emails_is_rendered_once():
    template = Template("{% load email_fragments %}{% once_per step %}{{ step.words }}{% endonce_per %}")
    texts = [template.render(Context({"step": Counted("Spine, rendered once")})) for _ in range(3)]
    assert texts == ["Spine, rendered once"] * 3 and Counted.shown.count("Spine, rendered once") == 1


def test_a_step_edited_between_two_emails_shows_its_new_words():
    template = Template(
        "{% load email_fragments %}{% once_per step %}{{ step.title }} ({{ step.minutes }}){% endonce_per %}"
    )
    step = Step("Spine")
    assert template.render(Context({"step": step})) == "Spine (3)"
    step.title, step.minutes = "Spine, gently", 2
    assert template.render(Context({"step": step})) == "Spine, gently (2)"


def test_text_and_html_renderings_of_one_block_keep_their_own_escaping():
    template = Template("{% load email_fragments %}{% once_per step %}{{ step.title }}{% endonce_per %}")
    step = Step("Heel & toes <gently>")
    assert template.render(Context({"step": step}, autoescape=False)) == "Heel & toes <gently>"
    assert template.render(Context({"step": step})) == "Heel &amp; toes &lt;gently&gt;"


def test_a_block_shows_a_time_in_the_active_time_zone():
    template = Template("{% load email_fragments %}{% once_per at %}{{ at|time:'H:i' }}{% endonce_per %}")
    at = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        london = template.render(Context({"at": at}))
    with timezone.override(ZoneInfo("America/New_York")):
        new_york = template.render(Context({"at": at}))
    assert (london, new_york) == ("12:00", "08:00")


def test_a_block_inside_a_timezone_tag_shows_times_in_that_zone_and_blocks_outside_it_in_the_templates():
    block = "{% once_per at %}{{ at|time:'H:i' }}{% endonce_per %}"
    template = Template("{% load tz email_fragments %}" + block + " {% timezone zone %}" + block + "{% endtimezone %}")
    at = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        shown = [template.render(Context({"at": at, "zone": zone})) for zone in ("Europe/London", "America/New_York")]
    assert shown == ["12:00 12:00", "12:00 08:00"]


def test_a_block_over_a_model_instance_is_rendered_every_time():
    template = Template("{% load email_fragments %}{% once_per clinic %}{{ clinic.name }}{% endonce_per %}")
    clinic = Clinic(name="Calm Feet")
    assert template.render(Context({"clinic": clinic})) == "Calm Feet"
    clinic.name = "Lindqvist Reflexology"
    assert template.render(Context({"clinic": clinic})) == "Lindqvist Reflexology"


def test_a_name_missing_from_the_context_is_missing_in_the_block_too():
    assert _render("{% once_per step %}[{{ step.title }}]{% endonce_per %}") == "[]"


def test_once_per_names_plain_values_of_the_context_only():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        Template("{% load email_fragments %}{% once_per step.title %}{% endonce_per %}")


def _without_fragments(source: str) -> str:
    return re.sub(r"{% (load email_fragments|once_per [\w ]+|endonce_per) %}", "", source)


@pytest.mark.parametrize("preview", [False, True])
def test_a_routine_email_with_its_blocks_rendered_once_reads_as_a_full_rendering(
    clinic, practitioner, monkeypatch, preview
):
    """Every part of a heavy routine (intro, advice, pictures, tips), through the renderer's
    shapes and blocks, gives the very texts its templates give without any {% once_per %}."""
    delivery = heavy_routine_delivery(clinic, practitioner, steps=4)
    parts = routine_parts(delivery.routine, delivery.local_date, None if preview else delivery)
    kind = kinds.get(Delivery.Kind.ROUTINE)
    engine = engines["django"]
    with timezone.override(ZoneInfo(parts.timezone)) if parts.timezone else timezone.override(None):
        full = [
            engine.from_string(_without_fragments(get_template(name).template.source)).template.render(
                Context({**parts.context, **parts.personal}, use_l10n=False)
            )
            for name in kind.templates
        ]
        assert "Important:" in full[2] and "A little extra for your back" in full[1] and "Margaretha" in full[1]
        first = render._render_texts(kind, parts)  # checked against a full rendering, or not: it is this kind's
        monkeypatch.setattr(render, "_SHAPES", {})
        again = render._render_texts(kind, parts)  # a new shape, rendered once with stand-ins and filled
    assert first == full and again == full
