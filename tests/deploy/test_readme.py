"""README.md and the pages it sends readers to stay true: the README is short and
starts with the two commands, every link and `make` command it names exists, the
settings tables of docs/configuration.md match the settings classes (under the
variable names the processes really read), and every local-mode variable is
documented there."""

from __future__ import annotations

import re
from pathlib import Path

from devrun import settings_doc

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
CONFIGURATION = (REPO / "docs" / "configuration.md").read_text()
MAKE_TARGETS = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))


def test_configuration_lists_every_setting_with_its_default() -> None:
    assert settings_doc.current_block(CONFIGURATION) == settings_doc.tables(), (
        "docs/configuration.md's settings tables are out of date: run `make settings-doc`"
    )


def test_aliased_settings_are_listed_under_the_variable_read() -> None:
    # identity reads its demo operator from BIZMALL_DEMO_OPS_* (a validation alias),
    # not from IDENTITY_DEMO_OPS_*: the table must name what a reader has to set.
    assert "`BIZMALL_DEMO_OPS_EMAIL`" in CONFIGURATION
    assert "IDENTITY_DEMO_OPS_" not in CONFIGURATION


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "docker compose up --build" in first_block
    assert "make test" in first_block


def test_readme_is_short_enough_to_read_in_five_minutes() -> None:
    words = len(README.split())
    assert words < 1200, f"README.md has {words} words; move detail to docs/"


def test_every_make_command_named_is_a_makefile_target() -> None:
    for name, text in {"README.md": README, "docs/configuration.md": CONFIGURATION}.items():
        named = set(re.findall(r"\bmake ([a-z][\w-]*)", text))
        assert named <= MAKE_TARGETS, f"{name} names {named - MAKE_TARGETS}"
    assert set(re.findall(r"\bmake ([a-z][\w-]*)", README))


def test_every_relative_link_of_the_readme_and_docs_resolves() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_configuration_documents_exactly_the_variables_local_mode_reads() -> None:
    source = "\n".join(p.read_text() for p in (REPO / "devrun" / "src").rglob("*.py"))
    read = set(re.findall(r"DEVRUN_[A-Z_]+", source))
    documented = set(re.findall(r"DEVRUN_[A-Z_]+", CONFIGURATION))
    assert read == documented
