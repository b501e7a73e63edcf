"""The web client's user guide answers every question of the original guide, ja and en (issue 18).

``web/src/pages/help.tsx`` holds one entry per question, each with a stable id. The list
below names every question of the original user guide by its section there, so a question
dropped from the page (or left in one language) fails here. The contact center's hours
shown anywhere say the days it is closed (R14), from one source: the services' settings
start from ``servicekit.contact_center`` and the web's copy must say the same words.
These checks read files only; they need no servers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from notification.config import Settings as NotificationSettings
from ordering.config import Settings as OrderingSettings
from servicekit.contact_center import (
    CONTACT_CENTER_HOURS_EN,
    CONTACT_CENTER_HOURS_JA,
    CONTACT_CENTER_PHONE,
)

ROOT = Path(__file__).resolve().parents[2]
HELP = ROOT / "web" / "src" / "pages" / "help.tsx"
WEB_CONTACT_CENTER = ROOT / "web" / "src" / "contact-center.ts"
#: The original guide, kept beside the repository where the project was started (not shipped).
ORIGINAL_GUIDE = ROOT.parent / "shared" / "seed" / "000_46b25b86f5f76466.txt"

#: Every question of the original guide: (help entry id, the guide's section, what it asks).
GUIDE_QUESTIONS: list[tuple[str, str, str]] = [
    ("about-site", "About the site / overview", "what the site is"),
    ("order-flow", "About the site / overview", "the steps of an order"),
    ("site-hours", "About the site / overview", "when the site can be used"),
    ("personal-data", "About the site / overview", "what registered details are used for"),
    ("browsers", "About the site / environment", "recommended browsers"),
    ("how-to-register", "Registration / new member", "how to register"),
    ("no-corporate-number", "Registration / new member", "no corporate number"),
    ("time-to-start", "Registration / new member", "time from registering to using the site"),
    ("several-users", "Registration / new member", "several users in one company"),
    ("order-without-account", "Registration / new member", "ordering without registering"),
    ("change-details", "Registration / changes", "changing registered details"),
    ("change-login-id-password", "Registration / changes", "changing login ID or password"),
    ("forgot-password", "Registration / changes", "a forgotten password"),
    ("withdraw", "Registration / withdrawal", "how to withdraw"),
    ("login-id", "Ordering", "what the login ID is"),
    ("over-maximum", "Ordering", "a quantity over the per-order maximum"),
    ("purchase-history", "Ordering", "where to see the order history"),
    ("colleagues-orders", "Ordering", "seeing colleagues' orders"),
    ("several-addresses", "Ordering", "confirmations to several addresses"),
    ("confirmation-missing", "Ordering", "a missing order confirmation"),
    ("start-date", "Ordering", "when the service starts after ordering"),
    ("activation-missing", "Ordering", "a missing activation notice"),
    ("change-cancel-order", "Ordering / changes and cancellation", "changing or cancelling"),
    ("payment-methods", "Payment / methods", "which payment methods"),
    ("credit-card", "Payment / methods", "paying by credit card"),
    ("invoice-per-service", "Payment / invoices", "one invoice per service, consolidated mailing"),
    ("invoice-timing", "Payment / invoices", "when invoices are issued"),
    ("receipt", "Payment / invoices", "receipts: stamped invoice, the transfer notice"),
    ("cancel-midterm", "Cancellation", "cancelling during the term"),
    ("termination-fee", "Cancellation", "early-termination fees"),
]

_TEXT = r'(?:"(?:[^"\\]|\\.)*"|`[^`]*`)'
ENTRY = re.compile(
    r'\{\s*id: "(?P<id>[a-z-]+)",\s*'
    rf"q: \{{\s*ja: (?P<qja>{_TEXT}),\s*en: (?P<qen>{_TEXT}),?\s*\}},\s*"
    rf"a: \{{\s*ja: (?P<aja>{_TEXT}),\s*en: (?P<aen>{_TEXT}),?\s*\}},?\s*\}}",
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _entries() -> dict[str, re.Match[str]]:
    return {match["id"]: match for match in ENTRY.finditer(HELP.read_text(encoding="utf-8"))}


def test_the_guides_question_list_has_no_duplicates() -> None:
    ids = [entry_id for entry_id, _, _ in GUIDE_QUESTIONS]
    assert len(ids) == len(set(ids)) == 30


@pytest.mark.parametrize(("entry_id", "section", "asks"), GUIDE_QUESTIONS)
def test_help_page_answers_each_question_of_the_guide_in_ja_and_en(
    entry_id: str, section: str, asks: str
) -> None:
    entry = _entries().get(entry_id)
    assert entry is not None, f"help.tsx has no entry {entry_id!r} ({section}: {asks})"
    for part in ("qja", "aja"):
        assert JAPANESE.search(entry[part]), f"{entry_id}: {part} is not Japanese"
    for part in ("qen", "aen"):
        assert len(entry[part]) > 10 and not JAPANESE.search(entry[part]), (
            f"{entry_id}: {part} is not English"
        )


def test_help_page_has_no_entry_outside_the_list() -> None:
    """A new entry is added to GUIDE_QUESTIONS too, so the list stays the page's index."""
    assert set(_entries()) == {entry_id for entry_id, _, _ in GUIDE_QUESTIONS}


@pytest.mark.parametrize("entry_id", ["over-maximum", "cancel-midterm"])
def test_r14_help_entries_sending_the_member_to_the_contact_center_give_its_hours(
    entry_id: str,
) -> None:
    entry = _entries()[entry_id]
    assert "${CC.ja}" in entry["aja"] and "${CC.en}" in entry["aen"]


def test_r14_the_web_contact_center_says_the_services_hours_with_the_closed_days() -> None:
    text = WEB_CONTACT_CENTER.read_text(encoding="utf-8")
    for words in (CONTACT_CENTER_PHONE, CONTACT_CENTER_HOURS_JA, CONTACT_CENTER_HOURS_EN):
        assert f'"{words}"' in text
    assert "年末年始" in CONTACT_CENTER_HOURS_JA and "土曜" in CONTACT_CENTER_HOURS_JA
    assert "year-end break" in CONTACT_CENTER_HOURS_EN and "Saturdays" in CONTACT_CENTER_HOURS_EN


@pytest.mark.parametrize("settings", [OrderingSettings, NotificationSettings])
def test_r14_each_services_default_contact_center_is_the_shared_one(settings: type) -> None:
    fields = settings.model_fields
    assert fields["contact_center_phone"].default == CONTACT_CENTER_PHONE
    assert fields["contact_center_hours_ja"].default == CONTACT_CENTER_HOURS_JA
    assert fields["contact_center_hours_en"].default == CONTACT_CENTER_HOURS_EN


#: The old wording gave the hours as bare weekdays, without the closed days (R14).
OLD_HOURS = re.compile(r"平日\s*9:00|9:00\s*[-–]\s*17:00 on business days")
SKIPPED = {"node_modules", ".venv", "dist", ".git", "__pycache__", ".mypy_cache", ".ruff_cache"}


def test_r14_no_text_gives_the_contact_centers_hours_as_bare_weekdays() -> None:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED]
        for name in files:
            if name.endswith((".py", ".ts", ".tsx", ".md", ".txt", ".html", ".yaml", ".yml")):
                path = Path(folder, name)
                if path != Path(__file__) and OLD_HOURS.search(path.read_text(errors="ignore")):
                    found.append(str(path.relative_to(ROOT)))
    assert found == []


def _japanese_only(text: str) -> str:
    return re.sub(r"[\s\x00-\x7f]", "", text)


@pytest.mark.skipif(not ORIGINAL_GUIDE.exists(), reason="the original guide is not beside the repo")
def test_help_page_is_in_the_projects_own_words() -> None:
    """No run of 12 Japanese characters is copied from the original guide."""
    guide = _japanese_only(ORIGINAL_GUIDE.read_text(encoding="utf-8"))
    page = _japanese_only(HELP.read_text(encoding="utf-8"))
    size = 12
    runs = {guide[i : i + size] for i in range(len(guide) - size + 1)}
    copied = {page[i : i + size] for i in range(len(page) - size + 1)} & runs
    assert copied == set()
