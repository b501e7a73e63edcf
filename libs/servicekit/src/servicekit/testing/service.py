"""A check every service's own tests run: it stands on the platform as it should."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from typing import Any

import httpx
import sqlalchemy as sa

from servicekit.cli import ServiceDefinition
from servicekit.db import create_engine
from servicekit.migrations import PLATFORM_TABLES
from servicekit.testing.tokens import TokenIssuer


async def migrate_with_cli(definition: ServiceDefinition, settings: Any) -> None:
    """Run ``python -m <service> migrate`` against ``settings.database_url``."""
    prefix = definition.settings_class.model_config.get("env_prefix", "")
    env = dict(os.environ)
    env[f"{prefix}DATABASE_URL"] = settings.database_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        definition.name,
        "migrate",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()


async def check_service_platform(
    definition: ServiceDefinition, infra: Any, tokens: TokenIssuer
) -> None:
    """Migrate a fresh database with the CLI, then probe the app and its ops routes."""
    settings = await infra.service_settings(definition.settings_class, jwks_url=tokens.jwks_url)
    await migrate_with_cli(definition, settings)

    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            guards = set(
                (
                    await conn.execute(
                        sa.text(
                            "SELECT tgname FROM pg_trigger"
                            " WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
                        )
                    )
                ).scalars()
            )
    finally:
        await engine.dispose()
    expected = {m.__tablename__ for m in PLATFORM_TABLES}  # type: ignore[attr-defined]
    assert expected <= tables, f"missing platform tables: {expected - tables}"
    assert version, "no Alembic revision recorded"
    # R34: the audit trail is append-only.
    assert guards == {"audit_log_append_only", "audit_log_no_truncate"}, guards

    module, _, factory = definition.app_factory.partition(":")
    app = getattr(importlib.import_module(module), factory)(settings)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            alive = await client.get("/healthz")
            assert alive.status_code == 200, alive.text
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            # Not the broker: an API writes to its outbox (issue 19, item 14).
            assert set(ready.json()["checks"]) == {"database", "redis"}
            dead_letters = f"/api/v1/ops/{definition.name}/dead-letters"
            anonymous = await client.get(dead_letters)
            assert anonymous.status_code == 401
            assert anonymous.headers["content-type"].startswith("application/problem+json")
            member = await client.get(dead_letters, headers=tokens.member())
            assert member.status_code == 403
            ops = await client.get(dead_letters, headers=tokens.ops())
            assert ops.status_code == 200, ops.text
            assert ops.json() == {"items": [], "next_cursor": None}
            audit_log = f"/api/v1/ops/{definition.name}/audit-log"
            assert (await client.get(audit_log)).status_code == 401
            assert (await client.get(audit_log, headers=tokens.member())).status_code == 403
            trail = await client.get(audit_log, headers=tokens.ops())
            assert trail.status_code == 200, trail.text
            assert trail.json() == {"items": [], "next_cursor": None}
    finally:
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()
