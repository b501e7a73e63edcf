"""The workspace holds together: every service loads beside every other in one process.

All table models register on one SQLModel metadata (each service still
migrates only its own tables into its own database), so two services must
never define a table of the same name; the test suite imports them all at once.
"""

import asyncio
import importlib
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from servicekit.db import create_engine
from servicekit.testing.service import migrate_with_cli

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


async def test_replicas_migrating_one_database_at_once_both_succeed(infra: Any) -> None:
    """Init containers of several replicas start together; the migration lock orders them."""
    from ordering.bootstrap import SERVICE

    settings = await infra.service_settings(SERVICE.settings_class)
    await asyncio.gather(*(migrate_with_cli(SERVICE, settings) for _ in range(3)))
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            versions = (
                await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            ).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
