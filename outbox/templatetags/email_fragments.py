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
# Block tags that render their content in the language and time zone their template is
# rendered in ({% language %}, {% timezone %} and a child's {% block %}, which a parent may
# place inside either, are not among them).
_SAME_LOCALE_INSIDE = frozenset({"once_per", "for", "if", "ifchanged", "with", "autoescape", "spaceless", "filter"})
_MISSING = object()
_LOCALE = object()  # the render context's entry for (time zone, language)


class OncePerNode(template.Node):
    def __init__(self, names: list[str], nodelist: template.NodeList, template_locale: bool):
        self.names = names
        self.nodelist = nodelist
        # Whether the block is always in its template's own language and time zone: then
        # they are read once a rendering (for every such block) rather than once a block.
        self.template_locale = template_locale
        self.rendered: dict = {}

    def render(self, context):
        values = {}
        for name in self.names:
            # A name missing from the context stays missing in the block (and in the key).
            if (value := context.get(name, _MISSING)) is not _MISSING:
                values[name] = value
        try:
            key = (
                _key(tuple(values.items())),
                context.autoescape,
                context.use_l10n,
                context.use_tz,
                self._locale(context),
            )
        except TypeError:
            return self.nodelist.render(context.new(values))
        text = self.rendered.get(key)
        if text is None:
            if len(self.rendered) >= MAX_RENDERED:
                self.rendered.clear()
            text = self.rendered[key] = self.nodelist.render(context.new(values))
        return text

    def _locale(self, context) -> tuple[str, str | None]:
        if not self.template_locale:
            return timezone.get_current_timezone_name(), get_language()
        locale = context.render_context.get(_LOCALE)
        if locale is None:
            locale = context.render_context[_LOCALE] = (timezone.get_current_timezone_name(), get_language())
        return locale


@register.tag
def once_per(parser, token):
    """`{% once_per step %}` or `{% once_per links clinic %}`: plain names of the context."""
    names = token.split_contents()[1:]
    if not names or not all(name.isidentifier() for name in names):
        raise template.TemplateSyntaxError("{% once_per %} takes the plain names of the values its block shows")
    template_locale = all(command in _SAME_LOCALE_INSIDE for command, _ in parser.command_stack)
    nodelist = parser.parse(("endonce_per",))
    parser.delete_first_token()
    return OncePerNode(names, nodelist, template_locale)
