"""Unsigned drafts never show as results (issue 10, item 11): the reports, the progress
report and the pain charts count signed sessions only; a draft shows, marked as a draft,
on the practitioner's own client page. A session is a record once signed (docs/domain.md,
Words: session); until then its scores may still change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClientFactory, PressureNoteFactory, SignedSessionFactory, TreatmentSessionFactory


@pytest.fixture
def alma(clinic, practitioner):
    """One signed session (pain 7 to 4) a fortnight ago and a draft (pain 9 to 9) yesterday."""
    client = ClientFactory(clinic=clinic, practitioner=practitioner, first_name="Alma", last_name="Reyes")
    now = timezone.now()
    signed = SignedSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        started_at=now - dt.timedelta(days=14),
        pain_before=7,
        pain_after=4,
    )
    draft = TreatmentSessionFactory(
        clinic=clinic,
        client=client,
        practitioner=practitioner,
        started_at=now - dt.timedelta(days=1),
        pain_before=9,
        pain_after=9,
    )
    PressureNoteFactory(session=signed)
    PressureNoteFactory(session=draft, zone__name="Draft-only zone")
    return client


def _csv(client, slug: str) -> list[list[str]]:
    body = client.get(reverse("reports:export", args=[slug]), {"range": "4w"}).content.decode("utf-8-sig")
    return [line.split(",") for line in body.strip().split("\r\n")]


def test_the_reports_count_signed_sessions_and_leave_drafts_out(owner_client, alma):
    weeks = _csv(owner_client, "sessions-per-week")
    assert sum(int(row[1]) for row in weeks[1:]) == 1
    [_, *by_number] = _csv(owner_client, "pain-by-session-number")
    assert [row[:2] for row in by_number if row[1] != "0"] == [["1", "1"]]
    assert "Draft-only zone" not in "".join(",".join(row) for row in _csv(owner_client, "zones"))


def test_the_progress_report_tells_the_client_about_signed_sessions_only(owner_client, alma):
    page = owner_client.get(reverse("reports:client_report", args=[alma.pk])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "You have had 1 session" in text
    assert "7 out of 10 when you came to your first session, and 4 out of 10 afterwards" in text
    assert ">9<" not in page  # the draft's scores are nowhere in the report or its chart


def test_the_client_page_draws_signed_sessions_and_lists_the_draft_marked_as_a_draft(practitioner_client, alma):
    page = practitioner_client.get(reverse("clients:detail", args=[alma.pk])).content.decode()
    [pain_table] = re.findall(r'<table class="[^"]*pain-table">.*?</table>', page, flags=re.S)
    rows = re.sub(r"\s+", "", pain_table)
    assert "<td>7</td><td>4</td>" in rows
    assert "<td>9</td><td>9</td>" not in rows
    assert "Draft</span>" in page and "Signed</span>" in page
