"""The emails a client gets: the routine email (and its preview) and the appointment
confirmation and reminder. Each test reads the message as a mail client would: the
bytes on the wire, parsed back with the standard library."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy
from email.generator import BytesGenerator
from io import BytesIO
from unittest import mock

import pytest
from django.core import mail, signing
from django.template import engines
from django.urls import reverse
from icalendar import Calendar

from appointments.emails import build_appointment_email
from clients.models import HealthFlag
from outbox import kinds, mailer, render
from outbox.models import Delivery
from routines import emails
from routines.emails import build_routine_email, preview_routine_email
from routines.links import SALT, clinic_segment, make_token, read_checkin_token
from routines.models import CheckIn
from tests.factories import (
    AppointmentFactory,
    ClientFactory,
    ClientHealthFlagFactory,
    DeliveryFactory,
    ReflexZoneFactory,
    RoutineFactory,
    RoutineStepFactory,
)

# Reflexology is complementary: no client-facing text may promise to cure or treat anything.
FORBIDDEN_WORDS = [
    "cure",
    "cures",
    "cured",
    "curing",
    "heal",
    "heals",
    "healed",
    "healing",
    "treat",
    "treats",
    "treated",
    "treating",
    "treatment",
    "remedy",
    "disease",
    "diagnose",
]
FORBIDDEN = re.compile(r"\b(" + "|".join(FORBIDDEN_WORDS) + r")\b", re.IGNORECASE)
LOCAL_DAY = dt.date(2026, 3, 10)


@pytest.fixture
def routine(clinic, practitioner):
    client = ClientFactory(clinic=clinic, first_name="Maya", last_name="Lindqvist", email="maya@example.org")
    routine = RoutineFactory(
        clinic=clinic, client=client, created_by=practitioner, intro="Lovely to see you today, Maya."
    )
    spine = ReflexZoneFactory(
        clinic=clinic, code="t-spine-palm", name="Spine", reflex_map="hand_palm", x=30, y=60, rx=3, ry=10
    )
    shoulder = ReflexZoneFactory(
        clinic=clinic, code="t-shoulder-back", name="Shoulder", reflex_map="hand_back", body_area="shoulder"
    )
    RoutineStepFactory(
        routine=routine,
        position=1,
        zone=spine,
        side_order="right_then_left",
        pressure=4,
        minutes=3,
        title="Spine along the palm",
        instruction="Walk your thumb down the edge of the palm, from the thumb to the wrist.",
    )
    RoutineStepFactory(
        routine=routine,
        position=2,
        zone=shoulder,
        side_order="right_then_left",
        pressure=2,
        title="Shoulders on the back of the hand",
    )
    RoutineStepFactory(
        routine=routine,
        position=3,
        kind="lifestyle",
        title="Support your lower back",
        instruction="When you sit, put a small cushion or a rolled towel behind your lower back.",
    )
    return routine


@pytest.fixture
def delivery(routine):
    return DeliveryFactory(routine=routine, local_date=LOCAL_DAY, status=Delivery.Status.PENDING)


def _parsed(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def _bodies(message) -> tuple[str, str]:
    parsed = _parsed(message)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_routine_email_has_html_and_plain_text_and_greets_the_client_by_first_name(delivery):
    message = build_routine_email(delivery)
    text, html = _bodies(message)
    assert message.to == ['"Maya Lindqvist" <maya@example.org>'] or message.to == ["Maya Lindqvist <maya@example.org>"]
    assert "Tuesday 10 March" in message.subject
    for body in (text, html):
        assert "Hello Maya," in body
        assert "Lovely to see you today, Maya." in body
        assert "Spine along the palm" in body and "Shoulders on the back of the hand" in body
        assert "About 3 minutes" in body or "(3 min)" in body


def test_every_step_picture_is_attached_inline_and_nothing_loads_from_the_web(delivery):
    parsed = _parsed(build_routine_email(delivery))
    html = parsed.get_body(preferencelist=("html",)).get_content()
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    attached = {}
    for part in parsed.walk():
        if part.get_content_type() == "image/png":
            attached[part["Content-ID"].strip("<>")] = part.get_content()
    assert len(referenced) == 2
    assert referenced == set(attached)
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in attached.values())
    # The pictures travel with the HTML part, so the text alternative stays plain.
    related = [p for p in parsed.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1 and related[0].get_body(preferencelist=("html",)) is not None
    assert not re.search(r"""(src|background|href)=["']?https?://[^"']*\.(png|jpe?g|gif|svg|css)""", html)
    assert "<link" not in html and "url(" not in html
    assert 'alt="Where to press: Spine, right palm"' in html


def test_every_email_carries_the_same_picture_part_built_once_per_zone_picture(delivery, routine):
    render._picture_part.cache_clear()
    others = [DeliveryFactory(routine=routine, local_date=LOCAL_DAY + dt.timedelta(days=n)) for n in range(1, 4)]
    raw = [build_routine_email(d).message().as_bytes(linesep="\r\n") for d in [delivery, *others]]
    assert render._picture_part.cache_info().misses == 2  # two zone pictures, built once each

    def pictures(message_bytes: bytes) -> dict[str, bytes]:
        parsed = email.message_from_bytes(message_bytes, policy=policy.default)
        return {p["Content-ID"]: p.get_content() for p in parsed.walk() if p.get_content_type() == "image/png"}

    first = pictures(raw[0])
    assert len(first) == 2 and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in first.values())
    assert all(pictures(r) == first for r in raw[1:])
    # Written with either line ending, the shared part keeps the email's own line endings.
    assert b"\n" not in raw[0].replace(b"\r\n", b"")
    lf = build_routine_email(delivery).message().as_bytes()
    assert b"\r\n" not in lf and pictures(lf) == first


def test_the_generator_copies_a_shared_picture_part_and_writes_what_the_standard_library_would(delivery, routine):
    """Why outbox.render subclasses BytesGenerator and reads its private `_write`, `_NL`
    and `_mangle_from_`: a zone picture's part (base64 PNG, most of a 56 KiB email) is the
    same in every email of a morning's batch, so it is written once and its bytes copied.
    Without the subclass each email writes every picture again; if a Python upgrade renames
    those internals, the copy is silently skipped (the part's cache stays empty) or raises.
    Either way this test fails, and the bytes must stay exactly the standard library's."""
    render._picture_part.cache_clear()
    other = DeliveryFactory(routine=routine, local_date=LOCAL_DAY + dt.timedelta(days=1))
    messages = [build_routine_email(d).message() for d in (delivery, other)]
    for message in messages:
        raw = message.as_bytes(linesep="\r\n")
        plain = BytesIO()
        BytesGenerator(plain, mangle_from_=False, policy=message.policy).flatten(message, linesep="\r\n")
        assert raw == plain.getvalue()
    shared = [p for p in messages[0].walk() if isinstance(p, render._PicturePart)]
    assert len(shared) == 2
    assert all(part in list(messages[1].walk()) for part in shared)  # the same objects in both emails
    # Written once per way of writing: CRLF for both emails above, then LF once.
    assert [len(part._flattened) for part in shared] == [1, 1]
    messages[1].as_bytes()
    assert [len(part._flattened) for part in shared] == [2, 2]


@pytest.mark.parametrize(
    "value",
    [
        "Your routine for Tuesday 10 March",
        "Two  spaces inside",
        "Ends with a space ",
        "Zoë's routine",  # not ASCII: encoded
        "A header long enough that the standard library has to fold it onto a second line, and then some",
        "Tab\tinside",
        "",
        "<https://reflexclinic.example/r/one-long-word-that-no-line-holds-so-it-goes-on-a-line-of-its-own/>",
        "x" * 1200,  # longer than any line: left whole
        "a;long,word;with;places;where;the;standard;library;may;break;it;and;then;some;more",
    ],
)
def test_headers_written_directly_are_byte_for_byte_what_the_standard_library_writes(delivery, value):
    """outbox.render writes a short plain header as it is, skipping compat32's folding, and
    one long word (a List-Unsubscribe link) where compat32 would put it; any other is folded
    as before. Either way, the bytes are the standard library's."""
    email_message = build_routine_email(delivery)
    email_message.extra_headers["X-Test"] = value
    message = email_message.message()
    plain = BytesIO()
    BytesGenerator(plain, mangle_from_=False, policy=message.policy).flatten(message, linesep="\r\n")
    assert message.as_bytes(linesep="\r\n") == plain.getvalue()


def test_each_email_has_boundaries_of_its_own_found_nowhere_in_its_text(delivery):
    message = build_routine_email(delivery).message()
    raw = message.as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(raw, policy=policy.default)
    boundaries = [p.get_boundary() for p in parsed.walk() if p.is_multipart()]
    assert len(boundaries) == len(set(boundaries)) == 2  # alternative, related
    text, html = _bodies(build_routine_email(delivery))
    for boundary in boundaries:
        assert raw.count(f"--{boundary}--".encode()) == 1
        assert boundary not in text and boundary not in html
    assert boundaries != [p.get_boundary() for p in _parsed(build_routine_email(delivery)).walk() if p.is_multipart()]


def test_pressure_and_side_order_are_in_words_the_client_can_copy(delivery):
    text, html = _bodies(build_routine_email(delivery))
    firm = delivery.routine.steps.get(position=1).pressure_in_words
    assert firm and firm.lower().startswith("press firmly")
    for body in (text, html):
        assert firm in body.replace("&#x27;", "'")
        assert "Right hand first, then the left hand." in body
    assert "Shown on the right hand; the left is its mirror image." in html


def test_a_client_who_uses_hands_is_told_why_hands_instead_of_feet(delivery):
    routine = delivery.routine
    routine.hands_reason = "Your feet need a rest while they recover, so this routine uses your hands."
    routine.save()
    text, html = _bodies(build_routine_email(delivery))
    for body in (text, html):
        assert "Why your hands and not your feet" in body
        assert "Your feet need a rest while they recover" in body


def test_no_hands_explanation_when_the_routine_uses_the_feet(delivery):
    text, html = _bodies(build_routine_email(delivery))
    assert "Why your hands" not in text and "Why your hands" not in html


def test_every_routine_email_of_a_client_with_a_serious_back_injury_advises_seeing_their_physician(delivery):
    ClientHealthFlagFactory(client=delivery.client, flag=HealthFlag.SERIOUS_BACK_INJURY)
    next_day = DeliveryFactory(routine=delivery.routine, local_date=LOCAL_DAY + dt.timedelta(days=1))
    for d in (delivery, next_day, None):
        message = build_routine_email(d) if d else preview_routine_email(delivery.routine, LOCAL_DAY)
        for body in _bodies(message):
            assert "serious back injury" in body
            assert "check with your doctor" in body


def test_a_client_without_the_back_injury_flag_gets_no_physician_advice(delivery):
    ClientHealthFlagFactory(client=delivery.client, flag=HealthFlag.FEET_INJURED)
    for body in _bodies(build_routine_email(delivery)):
        assert "serious back injury" not in body


def test_lifestyle_tips_are_in_the_email(delivery):
    text, html = _bodies(build_routine_email(delivery))
    for body in (text, html):
        assert "Support your lower back" in body
        assert "rolled towel behind your lower back" in body
    # A tip is not numbered as a pressing step.
    assert "3. Support your lower back" not in text


def test_the_email_has_list_unsubscribe_headers_and_the_deliverys_message_id(delivery, settings):
    settings.SITE_URL = "https://clinic.example.com"
    message = build_routine_email(delivery)
    parsed = _parsed(message)
    stop = parsed["List-Unsubscribe"].strip().strip("<>")
    assert stop.startswith("https://clinic.example.com/r/")
    assert read_checkin_token(stop.rstrip("/").rsplit("/", 1)[1]).kind == CheckIn.Kind.STOP
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Message-ID"] == delivery.message_id
    # The same row builds the same Message-ID on a retry.
    assert _parsed(build_routine_email(delivery))["Message-ID"] == delivery.message_id


def test_the_email_has_every_one_click_link_signed_for_this_delivery(delivery):
    text, html = _bodies(build_routine_email(delivery))
    urls = re.findall(r'href="(https?://[^"]+/r/[^"]+)"', html)
    payloads = [read_checkin_token(u.rstrip("/").rsplit("/", 1)[1]) for u in urls]
    assert {p.delivery_id for p in payloads} == {delivery.pk}
    assert sorted((p.kind, p.pain) for p in payloads) == sorted(
        [("done", None), ("pause", None), ("stop", None)] + [("pain", n) for n in range(11)]
    )
    # The plain-text version has the same links.
    assert set(urls) == set(re.findall(r"https?://\S+/r/\S+/", text))
    for label in ("I did it today", "My pain today", "Pause these emails for a week", "Stop these emails"):
        assert label in text and label in html


def test_every_link_is_the_sites_address_and_the_check_in_page_for_its_signed_token(delivery, settings):
    settings.SITE_URL = "https://TOKEN.CLINIC.example.com/"  # the site's own name may hold anything
    # Each link names its clinic before the token (signed apart, for the pages of broken links).
    segment = clinic_segment(delivery.clinic_id)
    with mock.patch("django.core.signing.time.time", return_value=1_760_000_000):
        text, html = _bodies(build_routine_email(delivery))
        expected = {
            "https://TOKEN.CLINIC.example.com"
            + reverse("checkin:page", kwargs={"clinic": segment, "token": make_token(delivery, kind, pain)})
            for kind, pain in [("done", None), ("pause", None), ("stop", None)] + [("pain", n) for n in range(11)]
        }
    assert set(re.findall(r'href="([^"]+)"', html)) == expected
    assert set(re.findall(r"https://\S+/r/\S+/", text)) == expected


def test_no_client_facing_text_promises_to_cure_heal_or_treat(delivery, clinic, practitioner):
    appointment = AppointmentFactory(clinic=clinic, client=delivery.client, practitioner=practitioner)
    messages = [
        build_routine_email(delivery),
        preview_routine_email(delivery.routine, LOCAL_DAY),
        build_appointment_email(
            DeliveryFactory(
                routine=None, appointment=appointment, kind="confirmation", clinic=clinic, client=appointment.client
            )
        ),
    ]
    for message in messages:
        text, html = _bodies(message)
        for body in (message.subject, text, re.sub(r"<[^>]+>", " ", html)):
            assert not FORBIDDEN.search(body), FORBIDDEN.search(body)
    for body in _bodies(messages[0]):
        assert "complementary" in body and "see a doctor" in body


def test_the_preview_is_the_same_email_with_links_that_record_nothing(delivery, anon):
    real_text, real_html = _bodies(build_routine_email(delivery))
    preview = preview_routine_email(delivery.routine, LOCAL_DAY)
    text, html = _bodies(preview)
    assert "Preview" in preview.subject and "Hello Maya," in html and "Spine along the palm" in text
    assert len(re.findall(r'src="cid:', html)) == len(re.findall(r'src="cid:', real_html))
    done = re.search(r'href="(https?://[^"]+/r/[^"]+)"', html).group(1)
    token = done.rstrip("/").rsplit("/", 1)[1]
    assert read_checkin_token(token).is_preview
    page = anon.get(reverse("checkin:page", args=[token]))
    assert page.status_code == 200 and "Nothing will be recorded" in page.content.decode()
    anon.post(reverse("checkin:page", args=[token]))
    assert not CheckIn.objects.exists()


def test_a_zone_picture_is_rasterised_once_however_many_emails_use_it(delivery, routine):
    emails._rasterise.cache_clear()
    emails._zone_picture.cache_clear()
    others = [DeliveryFactory(routine=routine, local_date=LOCAL_DAY + dt.timedelta(days=n)) for n in range(1, 4)]
    with mock.patch.object(emails.resvg_py, "svg_to_bytes", wraps=emails.resvg_py.svg_to_bytes) as rasterise:
        for d in [delivery, *others]:
            build_routine_email(d)
        assert rasterise.call_count == 2  # two zones, one picture each
        # Moving a zone draws a new picture rather than reusing a stale one.
        zone = routine.steps.get(position=1).zone
        zone.x = 35
        zone.save()
        build_routine_email(delivery)
        assert rasterise.call_count == 3


def test_routine_email_sends_through_the_django_mail_backend(delivery, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    build_routine_email(delivery).send()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery.message_id


def _but_boundaries_and_date(raw: bytes) -> bytes:
    """The bytes with what differs between two builds of the same email (its random
    boundaries, the second it was made in) made the same."""
    raw = re.sub(rb"=_[0-9a-f]{32}|={15}[0-9]+==", b"=_-", raw)  # ours, the generator's
    return re.sub(rb"\r\nDate: [^\r]*", b"\r\nDate: -", raw)


@pytest.mark.parametrize(
    ("first_name", "last_name", "clinic_name", "clinic_email", "intro"),
    [
        ("Maya", "Lindqvist", "Calm Feet Reflexology", "", "Lovely to see you today, Maya."),
        ('Zoë <b>"&', "Søndergaard-O'Brien", "Fußpflege & Reflexe", "hallo@fusspflege.example", "Kind words."),
        ("Maya", "A" * 90, "Calm Feet Reflexology, a clinic with a name long enough to fold", "calm@x.example", ""),
        ("Maya", "Lindqvist", "Calm Feet Reflexology", "", "A line far too long for 8bit. " * 40),  # quoted-printable
    ],
    ids=["plain", "not-ascii-and-markup", "long-headers", "long-line"],
)
def test_the_bytes_sent_to_the_mail_server_are_the_standard_librarys_byte_for_byte(
    delivery, routine, first_name, last_name, clinic_name, clinic_email, intro
):
    """The mailer writes a routine email's bytes directly (ClinicEmail.wire_bytes) rather
    than through email.message and the generator: the same bytes, headers and all."""
    client, clinic = routine.client, routine.clinic
    client.first_name, client.last_name = first_name, last_name
    client.save()
    clinic.name, clinic.email = clinic_name, clinic_email
    clinic.save()
    routine.intro = intro
    routine.save()
    delivery = Delivery.objects.get(pk=delivery.pk)
    for _ in range(2):  # the first email of its shape, then one filled in from it
        message = build_routine_email(delivery)
        wire = message.wire_bytes()
        assert _but_boundaries_and_date(wire) == _but_boundaries_and_date(message.message().as_bytes(linesep="\r\n"))
    text, html = _bodies(message)
    assert f"Hello {first_name}," in text
    assert "Hello Zoë &lt;b&gt;&quot;&amp;," in html if first_name.startswith("Zoë") else f"Hello {first_name}," in html


def test_an_email_with_an_attachment_goes_to_the_mail_server_as_the_standard_library_writes_it(appointment):
    message = build_appointment_email(_appointment_delivery(appointment, "confirmation"))
    assert message.attachments
    wire = message.wire_bytes()
    assert _but_boundaries_and_date(wire) == _but_boundaries_and_date(message.message().as_bytes(linesep="\r\n"))


def test_a_routine_edited_and_a_client_and_clinic_renamed_between_two_emails_show_the_new_words(delivery, routine):
    """Emails of the same words are rendered once and filled in (outbox/render.py): what
    changed since the last email must show in the next one, never the words it replaced."""
    before_text, before_html = _bodies(build_routine_email(delivery))
    assert "Spine along the palm" in before_text and "Hello Maya," in before_html
    step = routine.steps.get(position=1)
    step.title, step.instruction = "Spine, gently now", "Press lightly along the edge of the palm."
    step.save()
    routine.intro = "Good to hear the mornings are easier."
    routine.save()
    routine.client.first_name = "Mia"
    routine.client.save()
    routine.clinic.name, routine.clinic.phone = "Lindqvist Reflexology", "555 0199"
    routine.clinic.save()
    text, html = _bodies(build_routine_email(Delivery.objects.get(pk=delivery.pk)))
    for body in (text, html):
        assert "Spine, gently now" in body and "Press lightly along the edge of the palm." in body
        assert "Spine along the palm" not in body
        assert "Good to hear the mornings are easier." in body and "Lovely to see you today" not in body
        assert "Hello Mia," in body and "Maya" not in body
        assert "Lindqvist Reflexology" in body and "555 0199" in body and "Calm Feet" not in body


def test_two_clients_with_the_same_routine_each_get_their_own_name_and_links_escaped_where_html(
    delivery, routine, clinic, practitioner
):
    other_client = ClientFactory(clinic=clinic, first_name="Zoë <b>&", last_name="Ng", email="zoe@example.org")
    other_routine = RoutineFactory(clinic=clinic, client=other_client, created_by=practitioner, intro=routine.intro)
    for step in routine.steps.all():
        step.pk, step.routine = None, other_routine
        step.save()
    other = DeliveryFactory(routine=other_routine, local_date=LOCAL_DAY)
    shapes = len(render._SHAPES)
    (maya_text, maya_html), (zoe_text, zoe_html) = (_bodies(build_routine_email(d)) for d in (delivery, other))
    assert len(render._SHAPES) <= shapes + 1  # the second email was filled in from the first's shape
    assert "Hello Maya," in maya_text and "Hello Maya," in maya_html
    assert "Hello Zoë <b>&," in zoe_text and "Hello Zoë &lt;b&gt;&amp;," in zoe_html and "Hello Maya" not in zoe_html
    for text, html, row in ((maya_text, maya_html, delivery), (zoe_text, zoe_html, other)):
        tokens = set(re.findall(r"/r/[^/]+/([^/\s\"]+)/", text + html))
        assert len(tokens) == 14 and {read_checkin_token(t).delivery_id for t in tokens} == {row.pk}


def test_a_routine_of_new_words_after_the_first_is_rendered_once_and_reads_as_a_full_rendering(
    delivery, routine, clinic, practitioner, monkeypatch
):
    """A morning's routines mostly differ (docs/domain.md: routines are built from each session):
    once a kind's templates are seen to fill exactly, a new shape costs one rendering, not two,
    and its email is the very one a full rendering gives."""
    build_routine_email(delivery)  # the kind's first shape: checked against a full rendering
    other_client = ClientFactory(clinic=clinic, first_name="Zoë <b>&", last_name="Ng", email="zoe@example.org")
    other_routine = RoutineFactory(clinic=clinic, client=other_client, created_by=practitioner, intro="Go gently.")
    for step in routine.steps.all():
        step.pk, step.routine, step.minutes = None, other_routine, step.minutes + 1
        step.save()
    other = DeliveryFactory(routine=other_routine, local_date=LOCAL_DAY)
    renders = []
    real_render = render._render
    monkeypatch.setattr(
        render, "_render", lambda template, context: renders.append(1) or real_render(template, context)
    )
    filled_text, filled_html = _bodies(build_routine_email(other))
    assert len(renders) == len(kinds.get(Delivery.Kind.ROUTINE).templates)  # one rendering per template
    monkeypatch.setattr(render, "_SHAPES", {})
    monkeypatch.setattr(render, "_PLAIN_USE", set())
    full_text, full_html = _bodies(build_routine_email(other))
    strip = re.compile(r"/r/[^/]+/[^/\s\"]+/")  # the links are signed afresh each time
    assert strip.sub("", filled_text) == strip.sub("", full_text) and "Hello Zoë <b>&," in filled_text
    assert strip.sub("", filled_html) == strip.sub("", full_html) and "Hello Zoë &lt;b&gt;&amp;," in filled_html


def test_a_template_that_changes_a_personal_value_for_some_routines_only_still_shows_each_client_their_own(
    monkeypatch,
):
    """A shape is filled in only where the template shows a personal value as it is: where
    one routine's words make the template change it (here shorten it), that email is
    rendered in full, even after the kind's first shapes were seen to fill exactly."""
    sources = {
        "t/subject.txt": "Your routine",
        "t/body.txt": "{% if short %}Hi {{ first_name|slice:':3' }}{% else %}Hello {{ first_name }}{% endif %}",
        "t/body.html": "<p>Hello {{ first_name }}</p>",
    }
    templates = {name: engines["django"].from_string(source) for name, source in sources.items()}
    monkeypatch.setattr(render, "get_template", templates.get)
    monkeypatch.setattr(render, "_SHAPES", {})
    monkeypatch.setattr(render, "_PLAIN_USE", set())
    kind = kinds.EmailKind(slug="test", template_dir="t", build=lambda delivery: None)

    def texts(first_name: str, short: bool) -> list[str]:
        return render._render_texts(kind, kinds.EmailParts({"short": short}, personal={"first_name": first_name}))

    assert texts("Margaretha", False) == ["Your routine", "Hello Margaretha", "<p>Hello Margaretha</p>"]
    assert texts("Zoë", False) == ["Your routine", "Hello Zoë", "<p>Hello Zoë</p>"]  # filled in
    assert texts("Margaretha", True) == ["Your routine", "Hi Mar", "<p>Hello Margaretha</p>"]
    assert texts("Zoëlle", True) == ["Your routine", "Hi Zoë", "<p>Hello Zoëlle</p>"]


def test_links_signed_many_at_a_time_are_what_djangos_signer_reads(delivery):
    token = make_token(delivery, CheckIn.Kind.PAIN, pain=7)
    assert signing.TimestampSigner(salt=SALT).unsign_object(token) == {"d": delivery.pk, "k": "pain", "p": 7}
    with pytest.raises(signing.BadSignature):
        signing.TimestampSigner(salt="another.purpose").unsign_object(token)


@pytest.mark.parametrize(("kind", "pain"), [("done", None), ("pain", 0), ("pause", None), ("stop", None)])
@pytest.mark.parametrize("preview", [False, True])
def test_a_link_is_signed_exactly_as_djangos_signer_signs_it(delivery, kind, pain, preview):
    """The payload's JSON and base64 are written directly (routines/links.py); a token is still
    the very one Django's signer makes, so links already sent and links made now read alike."""
    row = None if preview else delivery
    payload = {"d": None if preview else delivery.pk, "k": kind, "p": pain}
    with mock.patch("time.time", return_value=1_800_000_000.5):
        assert make_token(row, kind, pain) == signing.TimestampSigner(salt=SALT).sign_object(payload)


# --- appointment emails ------------------------------------------------------------


@pytest.fixture
def appointment(clinic, practitioner):
    clinic.timezone = "America/New_York"
    clinic.address = "12 Quiet Lane\nSpringfield"
    clinic.phone = "555 0101"
    clinic.save()
    client = ClientFactory(clinic=clinic, first_name="Theo", last_name="Marsh")
    starts = dt.datetime(2026, 7, 14, 14, 0, tzinfo=dt.UTC)  # 10:00 in New York (EDT)
    return AppointmentFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
    )


def _appointment_delivery(appointment, kind):
    return DeliveryFactory(
        routine=None,
        appointment=appointment,
        kind=kind,
        clinic=appointment.clinic,
        client=appointment.client,
        local_date=appointment.starts_at.date(),
    )


def _ics(message) -> Calendar:
    parsed = _parsed(message)
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "appointment.ics"
    assert part.get_param("method") == "PUBLISH"
    return Calendar.from_ical(part.get_content())


@pytest.mark.parametrize(
    ("kind", "subject_start"),
    [("confirmation", "Booked: your reflexology appointment"), ("reminder", "Reminder: your reflexology appointment")],
)
def test_appointment_email_shows_the_time_in_the_clinics_timezone_with_the_practitioner_and_address(
    appointment, kind, subject_start
):
    message = build_appointment_email(_appointment_delivery(appointment, kind))
    assert message.subject == f"{subject_start} on Tuesday 14 July at 10:00"
    for body in _bodies(message):
        assert "Hello Theo," in body
        assert "10:00 to 11:00" in body and "America/New York time" in body
        assert "Priya Practitioner" in body
        assert "12 Quiet Lane" in body and "Springfield" in body
        assert "555 0101" in body


def test_appointment_email_carries_a_calendar_file_that_parses_back(appointment):
    confirmation = build_appointment_email(_appointment_delivery(appointment, "confirmation"))
    reminder = build_appointment_email(_appointment_delivery(appointment, "reminder"))
    cal = _ics(confirmation)
    assert str(cal["METHOD"]) == "PUBLISH"
    [event] = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == appointment.starts_at
    assert event.decoded("DTEND") == appointment.ends_at
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert b"DTSTART:20260714T140000Z" in cal.to_ical()
    assert "Priya Practitioner" in str(event["SUMMARY"]) and "12 Quiet Lane" in str(event["LOCATION"])
    # The same appointment keeps its UID, so the reminder updates the calendar entry.
    [again] = _ics(reminder).walk("VEVENT")
    assert str(event["UID"]) == str(again["UID"]) == f"appointment-{appointment.pk}@reflexclinic.local"
    assert _parsed(confirmation)["Message-ID"] != _parsed(reminder)["Message-ID"]


def test_building_a_batch_of_emails_takes_the_same_queries_for_3_and_30(routine, django_assert_num_queries):
    ids = [DeliveryFactory(routine=routine, local_date=LOCAL_DAY + dt.timedelta(days=n)).pk for n in range(30)]
    # deliveries with client, clinic and routine; steps; zones; flags (no appointments to fetch)
    for batch in (ids[:3], ids):
        with django_assert_num_queries(4):
            deliveries = mailer.with_email_data(Delivery.objects.all()).in_bulk(batch)
            for d in deliveries.values():
                build_routine_email(d)
