"""Async database access: engine, sessions and the shared table metadata.

Every table of every service registers on ``SQLModel.metadata``; table names
are unique across services (each service still migrates only its own tables
into its own database). The naming convention keeps constraint names stable
so Alembic migrations do not churn.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

metadata = SQLModel.metadata


def _ping_once(dbapi_connection: Any) -> bool:
    """Check a pooled asyncpg connection with one round trip (``;``).

    SQLAlchemy's own asyncpg ping wraps the ``;`` in BEGIN ... ROLLBACK for
    pgbouncer's transaction mode (sqlalchemy#10226): three round trips on every
    checkout, which were 3 of the 4 round trips of an order (issue 20). bizmall
    talks to PostgreSQL directly (Compose and Kubernetes run no pgbouncer), so the
    bare statement is enough. A failure is translated as the dialect's own ping
    does, so the pool still sees a disconnect, drops the connection and retries.
    """
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:
        dbapi_connection._handle_exception(error)
    return True


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An asyncpg engine whose connections are checked before use (survives a DB restart)."""
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        echo=echo,
    )
    # The pool pings through its dialect; this engine's dialect pings in one trip.
    engine.sync_engine.dialect.do_ping = _ping_once  # type: ignore[method-assign]
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
