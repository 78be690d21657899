"""`make run` as a newcomer meets it (issue 10, item 18): it installs no test tools, prints
its start banner once, the site has a favicon, and the README says truly how many demo
emails arrive and how to read them."""

from __future__ import annotations

import email
import re
import subprocess
from email import policy
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import mail
from django.core.mail import EmailMessage, get_connection
from django.core.management import call_command
from django.urls import reverse

from outbox.dispatch import dispatch_pass
from outbox.mailer import send_deliveries
from outbox.models import Delivery
from routines.models import Routine

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def make_dry_run(target: str) -> str:
    """The commands `make <target>` would run, everything rebuilt (-B), nothing executed (-n)."""
    result = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_make_run_does_not_install_the_test_tools():
    run = make_dry_run("run")
    assert "pip install" in run and "migrate" in run and "honcho start" in run
    assert "npm" not in run and "axe" not in run
    # The tests still get them.
    assert "npm ci" in make_dry_run("test") or "npm" not in make_dry_run("setup")


@pytest.mark.django_db
def test_the_start_banner_with_the_address_and_logins_prints_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = make_dry_run("run") + out.getvalue()
    assert printed.count("Logins:") == 1 and printed.count("owner / demo") == 1


def test_the_favicon_exists_and_every_page_names_it(anon):
    assert finders.find("favicon.svg")
    page = anon.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    # Pages without the link (the email preview) make browsers ask for /favicon.ico.
    response = anon.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"


def test_each_email_is_one_eml_file_a_mail_program_opens(tmp_path):
    backend = get_connection("reflexclinic.email_files.EmlFileBackend", file_path=str(tmp_path))
    messages = [EmailMessage(f"Hello {n}", "Body", "clinic@example.org", [f"c{n}@example.org"]) for n in range(3)]
    assert backend.send_messages(messages) == 3
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 3 and not list(tmp_path.glob("*.part"))
    subjects = {email.message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files}
    assert subjects == {"Hello 0", "Hello 1", "Hello 2"}


@pytest.mark.django_db
def test_the_readme_says_how_many_demo_emails_arrive_and_how_to_read_them(settings, tmp_path):
    assert "one `.eml` file in `var/mail/`" in README
    promised = int(re.search(r"assigns a home routine to (\d+) demo\s+clients", README).group(1))
    at_least = {"two": 2}[re.search(r"at least (\w+) \(the first client with a routine", README).group(1)]
    call_command("seed_demo", stdout=StringIO())
    assert Routine.objects.filter(status=Routine.Status.ACTIVE).count() == promised
    # The first beat tick after loading: the emails already due today go out.
    settings.EMAIL_BACKEND = "reflexclinic.email_files.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    result = dispatch_pass(queue=False)
    send_deliveries(result.due_ids)
    sent = Delivery.objects.filter(
        pk__in=result.due_ids, kind=Delivery.Kind.ROUTINE, status=Delivery.Status.SENT
    ).count()
    assert at_least <= sent <= promised
    # One file per email sent: the routine emails, and any appointment reminder due at this hour.
    assert (
        len(list(tmp_path.glob("*.eml")))
        == Delivery.objects.filter(pk__in=result.due_ids, status=Delivery.Status.SENT).count()
    )
    assert not mail.outbox  # the file backend wrote them, not the test outbox
