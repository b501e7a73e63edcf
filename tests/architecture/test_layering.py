"""The one shape of every service (issue 15, docs/architecture.md), checked.

The import contracts of ``pyproject.toml`` run in ``make lint`` (lint-imports); these
tests show that they fail on a deliberate violation, and check what an import graph
cannot see: SQL or HTTP problems written in the wrong layer.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "catalog", "ordering", "billing", "notification")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _package(service: str) -> Path:
    return ROOT / "services" / service / "src" / service


def _lint_imports(*, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_with(tmp_path: Path, service: str, module: str, line: str) -> Path:
    """A copy of ``service``'s package with ``line`` added on top of ``module``."""
    copy = tmp_path / service
    shutil.copytree(_package(service), copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(f"{line}\n{target.read_text()}")
    return tmp_path


def test_the_layering_contracts_hold_on_the_code_as_it_is() -> None:
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("service", "module", "line", "broken"),
    [
        (
            "catalog",
            "domain/model.py",
            "import sqlalchemy  # noqa",
            "catalog: the domain is pure",
        ),
        (
            "ordering",
            "service_layer/placing.py",
            "from ordering.adapters import tables  # noqa",
            "ordering: the service layer touches no table",
        ),
        (
            "billing",
            "domain/charges.py",
            "import ordering  # noqa",
            "no service imports another",
        ),
    ],
)
def test_a_deliberate_violation_breaks_its_contract(
    tmp_path: Path, service: str, module: str, line: str, broken: str
) -> None:
    result = _lint_imports(pythonpath=_copy_with(tmp_path, service, module, line))
    assert result.returncode != 0
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout


_SQL_OR_SESSION = re.compile(r"\bselect\(|\bsession\.|\bsqlalchemy\b|adapters\.tables\b")


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_layer_writes_no_sql_and_opens_no_session(service: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
        for path in sorted((_package(service) / "service_layer").rglob("*.py"))
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if _SQL_OR_SESSION.search(text)
    ]
    assert found == []


_PROBLEM = re.compile(r"\bProblem\(")


@pytest.mark.parametrize("service", SERVICES)
def test_http_problems_are_raised_only_at_the_edge(service: str) -> None:
    package = _package(service)
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] not in {"api", "migrations"}
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if _PROBLEM.search(text)
    ]
    assert found == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_one_shape(service: str) -> None:
    package = _package(service)
    for part in ("domain", "service_layer", "adapters", "api", "entrypoints", "migrations"):
        assert (package / part / "__init__.py").exists() or (package / part).is_dir(), part
    for module in (
        "api/deps.py",
        "api/schemas.py",
        "api/errors.py",
        "entrypoints/app.py",
        "entrypoints/subscriptions.py",
        "entrypoints/jobs.py",
        "bootstrap.py",
    ):
        assert (package / module).is_file(), module
    assert (ROOT / "services" / service / "README.md").is_file()
    assert (ROOT / "services" / service / "tests" / "unit").is_dir()
