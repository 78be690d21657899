"""What a person does in the browser, in a few words each, for the journeys.

`look(page)` is the check every main page a journey reaches gets: axe-core finds no
serious or critical violation, and the page did not land on an error page. Pages are
checked once per journey: the same page after a second visit adds nothing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.axe import SETTLED, assert_accessible

ERROR_TITLES = re.compile(r"^(Page not found|Server error|Bad request|Forbidden)")


def path_of(url: str) -> str:
    """The path and query of a link, for a page whose base URL is the live server
    (links in emails carry SITE_URL's host, not the live server's)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def log_in(page: Page, username: str, password: str = "pw") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


class Looker:
    """Runs axe-core on each distinct page (by path, ids replaced) a journey reaches."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, page: Page, *, allow_error_page: bool = False) -> None:
        page.wait_for_load_state("load")
        if not allow_error_page:
            title = page.title()
            assert not ERROR_TITLES.match(title), f"{page.url} is an error page: {title!r}"
        key = re.sub(r"/[^/]{20,}/|/\d+/", "/<id>/", urlsplit(page.url).path)
        if key in self.seen:
            return
        self.seen.add(key)
        assert_accessible(page)

    def dialog(self, page: Page) -> None:
        """An open dialog is a page state of its own: checked once per journey."""
        key = f"dialog:{urlsplit(page.url).path}"
        if key not in self.seen:
            self.seen.add(key)
            assert_accessible(page, what=f"the dialog on {page.url}")


def wait_for_open_dialog(page: Page) -> None:
    """The dialog has faded in and taken the focus: keys pressed now reach its controls
    (pressed earlier, during the fade, one went to the control focused before)."""
    page.wait_for_function(SETTLED, timeout=5_000)
    page.wait_for_function("() => !!document.activeElement?.closest('[role=dialog]')", timeout=5_000)


def log_in_as(page: Page, user, *, base_url: str) -> None:
    """Log in without the form (for page checks, not journeys): the session cookie of a
    Django test client that force-logged-in `user`."""
    from django.conf import settings
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(user)
    cookie = http.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])


def propose_routine(page, look, session) -> None:
    page.goto(f"/sessions/{session.pk}/")
    look(page)
    page.get_by_role("button", name="Propose a home routine").click()
    expect(page.get_by_role("heading", name=f"Home routine for {session.client.full_name}")).to_be_visible()
    look(page)


def ask_gp_and_record_permission(
    page,
    look,
    client,
    *,
    gp_name: str = "Dr Amara Okafor",
    gp_practice: str = "Riverside Surgery",
    signed_on=None,
) -> None:
    """docs/domain.md, rule 16: from the client page, ask the GP in one click, put the GP on the
    letter, open it and print it (the print dialog is caught, and the toolbar does not print),
    then record the GP's signed permission. Ends on the request page with the reply recorded."""
    import datetime as dt

    page.goto(f"/clients/{client.pk}/")
    look(page)
    page.locator("#medical-permission").get_by_role("button", name="Ask the GP for permission").click()
    expect(page.get_by_role("heading", name=f"GP permission for {client.full_name}")).to_be_visible()
    look(page)
    page.locator("#id_gp-gp_name").fill(gp_name)
    page.locator("#id_gp-gp_practice").fill(gp_practice)
    page.get_by_role("button", name="Put the GP on the letter").click()
    expect(page.get_by_text("The GP's details are on the letter.")).to_be_visible()

    page.get_by_role("link", name="Open the letter to print").click()
    expect(
        page.get_by_role("heading", name=re.compile(f"Request for permission to offer reflexology: {client.full_name}"))
    ).to_be_visible()
    look(page)
    expect(page.get_by_text(f"Dear {gp_name},")).to_be_visible()
    expect(page.get_by_role("heading", name="Reply slip")).to_be_visible()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Print the letter").click()
    assert page.evaluate("() => window.printed") == 1
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print the letter")).to_be_hidden()
    expect(page.get_by_role("heading", name="Reply slip")).to_be_visible()
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Back to the request").click()
    page.get_by_label("Permitted: the GP sees no reason not to treat").check()
    page.locator("#id_reply-received_on").fill((signed_on or dt.date.today()).isoformat())
    page.get_by_label("The GP's advice (optional)").fill("Gentle pressure, please.")
    page.get_by_role("button", name="Record the reply").click()
    expect(page.get_by_text(f"Permission recorded: sessions for {client.full_name} can go ahead.")).to_be_visible()
    expect(page.locator("#permission-status")).to_contain_text("Received: permitted")


def link_in_email(message, label: str) -> str:
    """The path of the link after `label` in an email's text ("Move to another time: <url>")."""
    body = message.body if hasattr(message, "body") else message.get_body(("plain",)).get_content()
    match = re.search(re.escape(label) + r"\s*(\S+)", body)
    assert match, f"no {label!r} link in the email:\n{body}"
    return path_of(match.group(1))


def move_appointment_from_email(page: Page, look, message, *, day: str, to_time: str) -> None:
    """The client follows the email's "move" link and picks `to_time` on `day` ("Thursday 3 December")."""
    page.goto(link_in_email(message, "Move to another time:"))
    expect(page.get_by_role("heading", name="Move your appointment")).to_be_visible()
    look(page)
    page.get_by_role("group", name=day).get_by_text(to_time, exact=True).click()
    page.get_by_role("button", name="Move my appointment").click()
    expect(page.get_by_role("heading", name="Your appointment has moved")).to_be_visible()
    look(page)


def open_cancel_link(page: Page, look, message) -> None:
    """The client follows the email's "cancel" link."""
    page.goto(link_in_email(message, "Cancel:"))
    look(page)


def book_online(
    page: Page, look, clinic_slug: str, *, treatment: str, day: str, time: str, person: dict[str, str]
) -> None:
    """A client on the clinic's booking page picks `treatment`, then `time` on `day`
    ("Tuesday 8 December"), and gives their details (first_name, last_name, email, phone)."""
    page.goto(f"/book/{clinic_slug}/")
    look(page)
    page.get_by_label("Treatment").select_option(label=treatment)
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("list", name=day).get_by_role("link", name=time, exact=True).click()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    look(page)
    page.get_by_label("First name").fill(person["first_name"])
    page.get_by_label("Last name").fill(person["last_name"])
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Phone number").fill(person["phone"])
    page.get_by_role("button", name="Email me the link to confirm").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    look(page)


def confirm_booking_from_email(page: Page, look, body: str) -> None:
    """The client opens the "Confirm my booking" link of the email's text and presses the button."""
    match = re.search(r"Confirm my booking: (\S+)", body)
    assert match, f"no confirmation link in the email:\n{body}"
    page.goto(path_of(match.group(1)))
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    look(page)
    page.get_by_role("button", name="Confirm my booking").click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    look(page)


# --- Intake from the client (issue 12, section 1) ------------------------------------------


def send_intake_link(page: Page, look, client, mailoutbox) -> str:
    """The practitioner emails the intake form from the client page; returns the link's path."""
    page.goto(f"/clients/{client.pk}/")
    look(page)
    page.get_by_role("button", name=f"Email the intake form to {client.first_name}").click()
    sent = f"The intake form link is on its way to {client.full_name}"
    expect(page.get_by_role("alert").filter(has_text=sent)).to_be_visible()
    return intake_path_in(mailoutbox[-1].body)


def intake_path_in(body: str) -> str:
    """The path of the intake link in an email's text (the practitioner's, or the booking confirmation's)."""
    match = re.search(r"https?://\S+/i/\S+/", body)
    assert match, f"no intake link in the email:\n{body}"
    return path_of(match.group(0))


def fill_intake(phone: Page, look, path: str, *, name: tuple[str, str], flags: list[str], gp: tuple[str, str]) -> None:
    """The client, on their phone, answers the intake (ticking the flags' client questions) and signs."""
    phone.goto(path)
    expect(phone.get_by_role("heading", name="Before your visit")).to_be_visible()
    look(phone)
    # Readable on a phone: nothing wider than the screen.
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_label("First name").fill(name[0])
    phone.get_by_label("Last name").fill(name[1])
    phone.get_by_label("Date of birth").fill("1984-03-09")
    phone.get_by_label("Phone number").fill("07700 900123")
    phone.get_by_label("Your GP's name").fill(gp[0])
    phone.get_by_label("Your GP's practice").fill(gp[1])
    for question in flags:
        phone.get_by_label(question).check()
    phone.get_by_label("Do you take any medicines?").fill("Folic acid")
    phone.get_by_label("I have read this and I agree").check()
    phone.get_by_label("Type your full name to sign").fill(f"{name[0]} {name[1]}")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="Thank you, that's sent")).to_be_visible()
    look(phone)


def review_and_accept_intake(page: Page, look, client) -> None:
    """The practitioner opens what the client sent from the client page and accepts all of it."""
    page.goto(f"/clients/{client.pk}/")
    expect(page.locator("#intake-pending")).to_contain_text("Waiting for review")
    page.get_by_role("link", name=re.compile("^Review")).click()
    expect(page.get_by_role("heading", name=f"What {client.first_name} sent")).to_be_visible()
    look(page)
    page.get_by_role("button", name="Accept all").click()
    expect(page.get_by_role("alert").filter(has_text="as given by the client")).to_be_visible()
