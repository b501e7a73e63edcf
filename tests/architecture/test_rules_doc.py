"""Every product rule cited in the repository resolves in ``docs/rules.md``.

Code, tests and documents cite rules as ``R17`` (and test names as ``test_r17_...``).
The specification they come from is not in the repository, so ``docs/rules.md`` says
what each rule means here and which tests prove it. These checks need no servers.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
#: Files whose text may cite a rule.
SUFFIXES = (".py", ".ts", ".tsx", ".md")
#: Folders that hold no project text (installed packages, builds, caches).
SKIPPED = {
    "node_modules",
    ".venv",
    "dist",
    ".git",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}

CITATION = re.compile(r"\bR(\d+)\b")
TEST_NAME = re.compile(r"\btest_r(\d+)_")
ENTRY = re.compile(r"^#{2,4} R(\d+)\b", re.MULTILINE)
#: A repository path named in the page (in backquotes), e.g. `tests/e2e/test_x.py`.
NAMED_PATH = re.compile(r"`((?:tests|services|libs|gateway|web|testkit|devrun)/[^`\s]+)`")


def _project_files() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [s for s in subfolders if s not in SKIPPED]
        found += [Path(folder, f) for f in files if f.endswith(SUFFIXES)]
    return found


def _citations() -> dict[int, set[str]]:
    """Rule number → the files citing it."""
    cited: dict[int, set[str]] = defaultdict(set)
    for path in _project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = str(path.relative_to(ROOT))
        for number in (*CITATION.findall(text), *TEST_NAME.findall(text)):
            cited[int(number)].add(where)
    return cited


def _entries() -> dict[int, str]:
    """Rule number → the text of its entry in docs/rules.md (up to the next heading)."""
    text = RULES.read_text(encoding="utf-8")
    headings = list(re.finditer(r"^#{1,4} ", text, re.MULTILINE))
    entries: dict[int, str] = {}
    for match in ENTRY.finditer(text):
        following = [h.start() for h in headings if h.start() > match.start()]
        entries[int(match.group(1))] = text[match.start() : min(following, default=len(text))]
    return entries


def test_every_rule_cited_in_the_repository_has_an_entry_in_docs_rules_md() -> None:
    entries = _entries()
    missing = {
        f"R{number}": sorted(files)[:5]
        for number, files in sorted(_citations().items())
        if number not in entries
    }
    assert not missing, f"rules cited but not in docs/rules.md: {missing}"


def test_the_rules_page_has_r1_to_r41_each_once() -> None:
    text = RULES.read_text(encoding="utf-8")
    numbers = [int(n) for n in ENTRY.findall(text)]
    assert sorted(numbers) == list(range(1, 42)), numbers


def test_every_entry_names_tests_that_exist() -> None:
    for number, entry in sorted(_entries().items()):
        named = NAMED_PATH.findall(entry)
        tests = [p for p in named if "/test_" in p or p.startswith("tests/")]
        assert tests, f"R{number} names no test"
        absent = [p for p in named if not (ROOT / p).exists()]
        assert not absent, f"R{number} names files that do not exist: {absent}"


def test_the_scan_sees_citations_and_entries() -> None:
    # The checks above would pass vacuously on an empty scan: show they read something.
    cited = _citations()
    assert "services/ordering/src/ordering/service_layer/cancellation.py" in cited[20]
    assert "tests/e2e/test_e2e_back_office_contracts.py" in cited[32]
    assert "docs/rules.md" in cited[41]
    assert "Tests:" in _entries()[1]


def test_the_architecture_page_points_to_the_rules_page() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "docs/rules.md" in text or "(rules.md)" in text
    assert "`SPEC.md`" not in text
