"""deploy/postgres/init-databases.sh (Compose's PostgreSQL init script), run
against the real test server: one role and one database per service, each role
shut out of every other database, and able to migrate its own one."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from devrun.plan import SERVICES

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "init-databases.sh"
MAINTENANCE = ("postgres", "template1")


def role_dsn(server: str, role: str, database: str) -> str:
    parts = urlsplit(server)
    return f"postgresql://{role}:{role}-pw@{parts.hostname}:{parts.port or 5432}/{database}"


@pytest.fixture(scope="module")
async def initialised(infra: Any) -> AsyncIterator[str]:
    """Run the init script with a run-unique name prefix; undo it afterwards."""
    prefix = f"t{infra.run_id}_"
    admin = await asyncpg.connect(infra.postgres_dsn)
    public_could_connect = {
        name: await admin.fetchval("SELECT has_database_privilege('public', $1, 'CONNECT')", name)
        for name in MAINTENANCE
    }
    parts = urlsplit(infra.postgres_dsn)
    env = {
        **os.environ,
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGPASSWORD": parts.password or "",
        "POSTGRES_USER": parts.username or "postgres",
        "BIZMALL_DB_PREFIX": prefix,
        "BIZMALL_SERVICES": " ".join(SERVICES),
        **{f"{s.upper()}_DB_PASSWORD": f"{prefix}{s}-pw" for s in SERVICES},
    }
    try:
        process = await asyncio.create_subprocess_exec(
            "bash", str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE
        )
        _, errors = await process.communicate()
        assert process.returncode == 0, errors.decode()
        yield prefix
    finally:
        for service in SERVICES:
            await admin.execute(f'DROP DATABASE IF EXISTS "{prefix}{service}" WITH (FORCE)')
            await admin.execute(f'DROP ROLE IF EXISTS "{prefix}{service}"')
        # Give the shared test server back its default privileges.
        for name, could in public_could_connect.items():
            if could:
                await admin.execute(f'GRANT CONNECT ON DATABASE "{name}" TO PUBLIC')
        await admin.close()


async def test_each_service_role_connects_to_its_own_database_only(
    infra: Any, initialised: str
) -> None:
    for service in SERVICES:
        role = f"{initialised}{service}"
        own = await asyncpg.connect(role_dsn(infra.postgres_dsn, role, role))
        assert await own.fetchval("SELECT current_user") == role
        await own.close()
        others = [f"{initialised}{s}" for s in SERVICES if s != service]
        for database in [*others, *MAINTENANCE]:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await asyncpg.connect(role_dsn(infra.postgres_dsn, role, database))


async def test_each_service_role_migrates_its_own_database(infra: Any, initialised: str) -> None:
    async def migrate(service: str) -> str:
        role = f"{initialised}{service}"
        url = role_dsn(infra.postgres_dsn, role, role).replace("postgresql", "postgresql+asyncpg")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", service, "migrate",
            env={**os.environ, f"{service.upper()}_DATABASE_URL": url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        if process.returncode != 0:
            return output.decode(errors="replace")[-2000:]
        own = await asyncpg.connect(role_dsn(infra.postgres_dsn, role, role))
        try:
            return str(
                await own.fetchval(
                    "SELECT tableowner FROM pg_tables WHERE tablename = 'alembic_version'"
                )
            )
        finally:
            await own.close()

    # The five migrations run side by side, as Compose starts them.
    owners = await asyncio.gather(*(migrate(service) for service in SERVICES))
    assert dict(zip(SERVICES, owners, strict=True)) == {s: f"{initialised}{s}" for s in SERVICES}
