"""No page answers 500 and nothing is half saved, whatever a logged-in user sends.

The pages and their forms are found, not listed: every clinic URL of tests/test_tenancy.py
(whose own test fails when a URL has no row there) is opened as the clinic owner with the
objects of a seeded clinic; each page's <form>s are read from its HTML with their fields,
hidden ones included (formset counts, step ids, `next=`), and Hypothesis posts generated
values to them: hostile strings (NUL bytes, non-ASCII digits such as "²", years 0001 and
9999, line breaks, markup), numbers out of range, dates, and the form's own values. The
query strings are generated the same way, from the parameter names the page itself uses
(its GET forms and its links). The check-in pages a client opens from an email get the
same, without logging in. A new form or query parameter is covered without editing this
file.

"Nothing half saved": after a staff request that was refused (any answer but a redirect)
every table holds the rows it held before; a check-in page records at most one valid
answer and nothing else. Each example runs in a savepoint that is rolled back, so
examples do not pile up data.

Bounded for CI: a few examples per page, no deadline per example (a page may take a while
on a loaded machine); the module takes about a minute and a half on two cores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from routines.links import PAIN_SCORES, checkin_url
from routines.models import CheckIn
from tests.factories import DeliveryFactory, RoutineFactory
from tests.test_tenancy import CASES, _url

# Values that broke or could break a page: each found by a run of this module or named in
# issue 11. Hypothesis mixes them with arbitrary text, integers and dates.
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic three: int() takes it, a database id lookup should not care
    "99999999999999999999999",
    "1e400",
    "NaN",
    "\x00",
    "a\x00b",
    "line\nbreak",
    "\r\n",
    "<script>alert(1)</script>",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "00:00",
    "24:00",
    "23:59",
    "all",
    "custom",
    "javascript:alert(1)",
    "//evil.example/",
    "/appointments/\r\nSet-Cookie: x=1",
    "http://[::1",
    "x" * 3000,
]

values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=20),
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the values the page offers

    def add(self, name: str | None, value: str | None) -> None:
        if name:
            self.fields.setdefault(name, [])
            if value is not None:
                self.fields[name].append(value)


class FormParser(HTMLParser):
    """The page's forms with their fields and offered values, and the query keys of its links."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self.link_queries: dict[str, set[str]] = {}
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or self.page_path
            self._form = Form(method=(a.get("method") or "get").lower(), action=action)
            self.forms.append(self._form)
        elif tag == "a" and a.get("href"):
            parts = urlsplit(a["href"])
            if parts.query and not parts.netloc:
                keys = self.link_queries.setdefault(parts.path or self.page_path, set())
                keys.update(k for k, _ in parse_qsl(parts.query, keep_blank_values=True))
        if self._form is None:
            return
        if tag in ("input", "button"):
            if a.get("type") in ("checkbox", "radio", "submit") or tag == "button":
                self._form.add(a.get("name"), a.get("value", "on"))
            else:
                self._form.add(a.get("name"), a.get("value", ""))
        elif tag in ("textarea", "select"):
            self._form.add(a.get("name"), None)
            self._select = a.get("name") if tag == "select" else None
        elif tag == "option" and self._select:
            self._form.add(self._select, a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse_page(html: str, page_path: str) -> FormParser:
    parser = FormParser(page_path)
    parser.feed(html)
    return parser


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _field_values(form: Form):
    """For each field: one of the values the page offers (a valid submission stays likely), or a generated one."""
    return st.fixed_dictionaries(
        {
            name: st.one_of(st.sampled_from(offered), values) if offered else values
            for name, offered in form.fields.items()
        }
    )


def _query_values(keys: set[str]):
    return st.dictionaries(st.sampled_from(sorted(keys)), values, min_size=1) if keys else st.just({})


fuzz_settings = settings(
    max_examples=10,
    deadline=None,
    database=None,
    # No shrinking: a failure already names the page and the values sent, and shrinking
    # through Django requests would take minutes of CI.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def unchanged_unless_redirected(response, before: dict[str, int], what: str) -> None:
    """A staff page answers a saved form with a redirect; any other answer saved nothing."""
    if response.status_code not in (301, 302, 303):
        assert row_counts() == before, f"a refused {what} changed data"


def one_valid_answer_at_most(response, before: dict[str, int], what: str) -> None:
    """A check-in page answers on the page itself: at most one answer, and a sensible one."""
    after = row_counts()
    changed = {label for label in after if after[label] != before[label]}
    # A stop also withdraws the client's consent to routine emails: one consent row (issue 10, item 1).
    assert changed <= {"routines.CheckIn", "clients.ConsentRecord"}, f"{what} changed {changed}"
    assert after["routines.CheckIn"] - before["routines.CheckIn"] <= 1, what
    assert after["clients.ConsentRecord"] - before["clients.ConsentRecord"] <= 1, what
    assert not CheckIn.objects.exclude(pain=None).exclude(pain__in=PAIN_SCORES).exists(), what


def _request(http, method: str, url: str, data: dict, check=unchanged_unless_redirected):
    """One request inside a savepoint that is rolled back, with no 500 and the tables checked."""
    with transaction.atomic():
        before = row_counts()
        response = getattr(http, method)(url, data)
        what = f"{method.upper()} {url} {data!r}"
        assert response.status_code != 500, what
        check(response, before, what)
        transaction.set_rollback(True)
    return response


@dataclass
class Page:
    path: str
    query_keys: set[str]
    post_forms: list[Form]


def discover(url: str, http) -> Page:
    """The page at `url` as `http` sees it: its query parameters and the forms it posts."""
    page = http.get(url)
    assert page.status_code != 500, url
    html = page.content.decode() if page.get("Content-Type", "").startswith("text/html") else ""
    path = urlsplit(url).path
    parsed = parse_page(html, path)
    query_keys = {k for k, _ in parse_qsl(urlsplit(url).query)} | parsed.link_queries.get(path, set())
    for form in parsed.forms:
        if form.method == "get" and form.action in ("", path):
            query_keys |= set(form.fields)
    # Every form on the page, wherever it posts (the calendar's "mark attended" buttons post
    # to the appointment's URL); GET forms are covered as query strings.
    post_forms = [f for f in parsed.forms if f.method == "post" and not f.action.startswith(("/logout", "http"))]
    return Page(path=path, query_keys=query_keys, post_forms=post_forms)


def fuzz(http, page: Page, check=unchanged_unless_redirected) -> None:
    """Hypothesis sends the page's query strings and forms generated values, through `http`."""
    requests = [("get", page.path, page.query_keys)] if page.query_keys else []
    requests += [("post", form.action, form) for form in page.post_forms]
    if not requests:
        return  # a POST-only address (archive, stop ...): its form is fuzzed on the page that shows it

    @fuzz_settings
    @given(data=st.data())
    def run(data):
        # One request per example: a generated query string, or one of the page's forms.
        method, path, what = data.draw(st.sampled_from(requests), label="request")
        body = data.draw(_query_values(what) if method == "get" else _field_values(what), label="values")
        _request(http, method, path, body, check)

    run()


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_page_answers_500_or_half_saves_under_generated_input(name, world, owner_client):
    fuzz(owner_client, discover(_url(name, CASES[name], world), owner_client))


@pytest.mark.parametrize("kind", ["done", "pain", "pause", "stop"])
def test_no_check_in_page_answers_500_or_half_saves_under_generated_input(kind, clinic, anon):
    """The pages a client opens from a routine email, without logging in."""
    delivery = DeliveryFactory(routine=RoutineFactory(clinic=clinic))
    url = urlsplit(checkin_url(delivery, kind, 5 if kind == "pain" else None)).path
    fuzz(anon, discover(url, anon), check=one_valid_answer_at_most)


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_nul_byte_anywhere_is_refused_on_postgresql_not_a_500(name, world, owner_client):
    """PostgreSQL refuses NUL in text where SQLite stores it: every field and parameter at once."""
    page = discover(_url(name, CASES[name], world), owner_client)
    if page.query_keys:
        _request(owner_client, "get", page.path, dict.fromkeys(page.query_keys, "a\x00b"))
    for form in page.post_forms:
        _request(owner_client, "post", form.action, dict.fromkeys(form.fields, "a\x00b"))
        # One field at a time, the others as the page offers them; the first row of a
        # formset stands for the others, and a bad CSRF token is a 403 anyway.
        for field_name in form.fields:
            if field_name == "csrfmiddlewaretoken" or re.search(r"-[1-9]\d*-", field_name):
                continue
            body = {k: (v[0] if v else "") for k, v in form.fields.items()}
            _request(owner_client, "post", form.action, {**body, field_name: "x\x00"})
