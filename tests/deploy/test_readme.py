"""README.md stays true: the settings tables match the settings classes, and
every command and local-mode variable it names exists."""

from __future__ import annotations

import re
from pathlib import Path

from devrun import settings_doc

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def test_readme_lists_every_setting_with_its_default() -> None:
    assert settings_doc.current_block(README) == settings_doc.tables(), (
        "README.md's settings tables are out of date: run `make settings-doc`"
    )


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "docker compose up --build" in first_block
    assert "make test" in first_block


def test_every_make_command_in_the_readme_is_a_makefile_target() -> None:
    targets = set(re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"\bmake ([a-z][\w-]*)", README))
    assert named and named <= targets


def test_readme_documents_exactly_the_variables_local_mode_reads() -> None:
    source = "\n".join(p.read_text() for p in (REPO / "devrun" / "src").rglob("*.py"))
    read = set(re.findall(r"DEVRUN_[A-Z_]+", source))
    documented = set(re.findall(r"DEVRUN_[A-Z_]+", README))
    assert read == documented
