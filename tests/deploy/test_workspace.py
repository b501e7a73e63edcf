"""The workspace holds together: every service loads beside every other in one process.

All table models register on one SQLModel metadata (each service still
migrates only its own tables into its own database), so two services must
never define a table of the same name; the test suite imports them all at once.
"""

import importlib

import pytest
from sqlmodel import SQLModel

SERVICES = ["identity", "catalog", "ordering", "billing", "notification"]


@pytest.mark.parametrize("service", SERVICES)
def test_service_composition_root_imports(service: str) -> None:
    module = importlib.import_module(f"{service}.bootstrap")
    assert module.SERVICE.name == service


def test_all_services_load_together_without_table_clashes() -> None:
    for service in SERVICES:
        importlib.import_module(f"{service}.entrypoints.app")
    names = list(SQLModel.metadata.tables)
    assert len(names) == len(set(names))
