"""The two statements of a member's login, outside the unit of work: who holds the login
ID, and the session opened with its audit row. Each is one round trip on a connection
of a small asyncpg pool of the login's own, in no transaction block.

A login is argon2id plus a little bookkeeping, and the bookkeeping runs on the same
cores as the hashes. Through the unit of work it was two ORM sessions, two pool
check-outs whose pre-ping is three round trips each (BEGIN, ``;``, ROLLBACK), a BEGIN
and a ROLLBACK, two SELECTs mapped through the identity map, a flush of two INSERTs and
a COMMIT: about 5 ms of the event loop's CPU per login, against 0.4 ms for these two
statements (issue 20, measured one login after the other). Operators, accounts not
active, hashes due for an upgrade and accounts changed during the check still take the
unit of work (``service_layer/sessions.py``); they are rare.

Why a pool of its own: the engine's pool pings every check-out (those three round
trips). An asyncpg connection the server closed is replaced when next acquired
(asyncpg sees the end of the stream), and a connection lost in the middle of a
statement is retried once on another; both statements may run twice safely (the
lookup reads; the write skips a token already stored and reports it as stored).
A released connection is not reset: the statements leave no session state behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from identity.adapters.repository import login_id_holder
from identity.adapters.tables import MemberRow
from identity.domain.member import Member, normalised_login_id
from identity.domain.tokens import RefreshToken
from servicekit.uow import AuditEntry

T = TypeVar("T")

#: Connections of the pool: a login holds one for one statement (well under a
#: millisecond), so a few serve every login a process can hash; the engine's pool, no
#: longer used by logins, stays as small as the process's other requests keep it.
MAX_CONNECTIONS = 3
#: Keyword arguments SQLAlchemy's dialect takes for itself, not asyncpg's ``connect``.
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")
#: A connection gone under a statement (a restart, a failover): tried once more.
_CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    ConnectionError,
)

_MEMBER_FIELDS = tuple(f.name for f in dataclasses.fields(Member))
_HOLDER = login_id_holder(
    sa.bindparam("login_id"), *(col(getattr(MemberRow, name)) for name in _MEMBER_FIELDS)
).compile(dialect=asyncpg_dialect.dialect())

# The session's token and its audit row, written only while the account still has the
# hash the password was checked against and the state the answer was built from (the
# old second transaction re-read the member for that). A token stored by an earlier
# try of the same statement counts as written: the main query's snapshot predates the
# CTEs' own inserts, so the second EXISTS sees only that earlier row.
_OPEN_SESSION = """
WITH holder AS (
    SELECT id FROM members
    WHERE id = $1 AND password_hash = $2 AND status = $3 AND kind = $4
      AND entity_type IS NOT DISTINCT FROM $5
), opened AS (
    INSERT INTO refresh_tokens (token_hash, family_id, member_id, roles, expires_at, created_at)
    SELECT $6, $7, id, $8, $9, $10 FROM holder
    ON CONFLICT (token_hash) DO NOTHING
    RETURNING member_id
), audited AS (
    INSERT INTO audit_log (id, actor, action, entity, target, member_id, details, request_id, at)
    SELECT $11, $12, $13, $14, $15, $16, $17::jsonb, $18, $19 FROM opened
)
SELECT EXISTS (SELECT FROM opened) OR EXISTS (SELECT FROM refresh_tokens WHERE token_hash = $6)
"""


async def _keep(connection: asyncpg.Connection) -> None:
    """The pool's reset: nothing to undo (see the module docs)."""
    del connection


class LoginStore:
    """The login's statements on a pool opened at the first login (see the module docs)."""

    def __init__(self, engine: AsyncEngine) -> None:
        # The engine's own connect arguments: the same server, database, user and TLS.
        _, arguments = engine.dialect.create_connect_args(engine.url)
        self._connect: dict[str, Any] = {
            name: value for name, value in arguments.items() if name not in _DIALECT_ONLY
        }
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _opened(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    min_size=1, max_size=MAX_CONNECTIONS, reset=_keep, **self._connect
                )
            return self._pool

    async def _run(self, statement: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        pool = self._pool or await self._opened()
        try:
            async with pool.acquire() as connection:
                return await statement(connection)
        except _CONNECTION_LOST:
            async with pool.acquire() as connection:
                return await statement(connection)

    def checked_out(self) -> int:
        """Connections lent out right now (a login holds none while hashing)."""
        if self._pool is None:
            return 0
        return self._pool.get_size() - self._pool.get_idle_size()

    async def close(self) -> None:
        """Close the pool (the app's shutdown)."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def holder(self, login_id: str) -> Member | None:
        """The account holding ``login_id``, as ``MemberRepository.by_login_id`` finds it."""
        values = {**_HOLDER.params, "login_id": normalised_login_id(login_id)}
        arguments = [values[name] for name in _HOLDER.positiontup or ()]
        row = await self._run(lambda c: c.fetchrow(_HOLDER.string, *arguments))
        if row is None:
            return None
        # asyncpg's UUID subclass made the plain one the ORM hands out.
        return Member(**{**dict(row.items()), "id": uuid.UUID(int=row["id"].int)})

    async def open_session(self, token: RefreshToken, holder: Member, audit: AuditEntry) -> bool:
        """Store ``token`` and ``audit`` together if ``holder`` still has the password hash,
        status, kind and entity type it was read with; False (nothing stored) if not."""
        arguments = (
            holder.id,
            holder.password_hash,
            holder.status,
            holder.kind,
            holder.entity_type,
            token.token_hash,
            token.family_id,
            token.roles,
            token.expires_at,
            token.created_at,
            uuid.uuid4(),
            audit.actor,
            audit.action,
            audit.entity,
            audit.target,
            audit.member_id,
            json.dumps(audit.details),
            audit.request_id,
            audit.at,
        )
        return bool(await self._run(lambda c: c.fetchval(_OPEN_SESSION, *arguments)))
