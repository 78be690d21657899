"""{% once_per step %}...{% endonce_per %}: a part of an email rendered once per value.

A morning's routines mostly differ as a whole (each is built from its client's session)
but are made of steps that recur across clients: rendering each new routine's steps
again was most of the cost of its email. The block sees only the values it names (a
context of those alone, as an inclusion tag's), so what it renders is a pure function of
them, the way the template escapes, localises and shows times, the time zone and the
language: kept per process under all of these, it can never be served stale, and an
edited step is a new key. The key is the values' whole content (outbox/render.py `_key`:
plain values and dataclasses of them); a block over anything else (a model instance) is
rendered every time.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from outbox.render import _key

register = template.Library()

# Per block of a template: enough for a clinic's steps at each place in a routine.
MAX_RENDERED = 4096


class OncePerNode(template.Node):
    def __init__(self, names: list[str], nodelist: template.NodeList):
        self.names = names
        self.nodelist = nodelist
        self.rendered: dict = {}

    def render(self, context):
        # A name missing from the context stays missing in the block (and in the key).
        values = {name: context[name] for name in self.names if name in context}
        try:
            key = (
                _key(tuple(values.items())),
                context.autoescape,
                context.use_l10n,
                context.use_tz,
                timezone.get_current_timezone_name(),
                get_language(),
            )
        except TypeError:
            return self.nodelist.render(context.new(values))
        text = self.rendered.get(key)
        if text is None:
            if len(self.rendered) >= MAX_RENDERED:
                self.rendered.clear()
            text = self.rendered[key] = self.nodelist.render(context.new(values))
        return text


@register.tag
def once_per(parser, token):
    """`{% once_per step %}` or `{% once_per links clinic %}`: plain names of the context."""
    names = token.split_contents()[1:]
    if not names or not all(name.isidentifier() for name in names):
        raise template.TemplateSyntaxError("{% once_per %} takes the plain names of the values its block shows")
    nodelist = parser.parse(("endonce_per",))
    parser.delete_first_token()
    return OncePerNode(names, nodelist)
