"""Alembic for every service: one environment, each service its own versions.

A service's ``migrations/env.py`` imports its tables and calls
:func:`run_env`; its first revision calls :func:`create_platform_tables` to
create the outbox, inbox, dead-letter and audit tables, and a later one calls
:func:`extend_audit_log` (R34: filterable, append-only). ``python -m <service>
migrate`` calls :func:`upgrade`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command, context
from alembic.config import Config
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from servicekit.audit import APPEND_ONLY_DDL, APPEND_ONLY_DOWNGRADE, AuditRecord
from servicekit.deadletters import DeadLetter
from servicekit.inbox import InboxRecord
from servicekit.outbox import OutboxRecord
from servicekit.settings import ServiceSettings

#: Advisory-lock key held while a database is being migrated.
MIGRATION_LOCK_KEY = 0x62697A6D616C6C  # "bizmall"

PLATFORM_TABLES = [OutboxRecord, InboxRecord, DeadLetter, AuditRecord]


def alembic_config(settings: ServiceSettings, package: str) -> Config:
    """The Alembic configuration of ``package`` (its ``migrations`` folder) and database."""
    config = Config()
    location = importlib.resources.files(package) / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", settings.database_url)
    config.attributes["settings"] = settings
    return config


async def ensure_database(database_url: str) -> bool:
    """Create the URL's database when it is missing (local mode); returns True if created.

    A database that exists is left alone without touching the server's
    ``postgres`` database, which a service's role may not be allowed to reach.
    """
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    with contextlib.suppress(asyncpg.InvalidCatalogNameError):
        conn = await asyncpg.connect(dsn, timeout=10)
        await conn.close()
        return False
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    conn = await asyncpg.connect(admin, timeout=10)
    try:
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


def upgrade(settings: ServiceSettings, package: str, revision: str = "head") -> None:
    """Apply the service's migrations up to ``revision``."""
    command.upgrade(alembic_config(settings, package), revision)


def run_env(target_metadata: Any = None) -> None:
    """Body of every service's ``env.py`` (online mode, asyncpg)."""
    config = context.config

    def do_run(connection: Connection) -> None:
        # Replicas starting together (Kubernetes init containers, compose
        # --scale) migrate one at a time; the others then find nothing to do.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {})
            or {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


def create_platform_tables() -> None:
    """Create the outbox, inbox, dead-letter and audit tables (inside a revision)."""
    from alembic import op

    bind = op.get_bind()
    for model in PLATFORM_TABLES:
        model.__table__.create(bind, checkfirst=True)  # type: ignore[attr-defined]


def drop_platform_tables() -> None:
    """Drop what :func:`create_platform_tables` created."""
    from alembic import op

    bind = op.get_bind()
    for model in reversed(PLATFORM_TABLES):
        model.__table__.drop(bind, checkfirst=True)  # type: ignore[attr-defined]


def extend_audit_log() -> None:
    """Give ``audit_log`` R34's entity and member columns and their indexes, and the
    trigger refusing UPDATE, DELETE and TRUNCATE (inside a revision; idempotent)."""
    from alembic import op

    for statement in APPEND_ONLY_DDL:
        op.execute(statement)


def reduce_audit_log() -> None:
    """Undo :func:`extend_audit_log`'s trigger (the rows and columns stay)."""
    from alembic import op

    for statement in APPEND_ONLY_DOWNGRADE:
        op.execute(statement)
