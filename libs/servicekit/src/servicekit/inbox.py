"""The idempotent inbox: which events a consumer has already handled.

The consumer records ``(consumer, event_id)`` in the same transaction as the
handler's effect; a redelivered event finds its row and is skipped.

Rows are kept ``<NAME>_INBOX_RETENTION_DAYS`` (30 by default) and then pruned
by the worker (:func:`prune`, hourly, next to the outbox pruning). A duplicate
arrives within seconds to minutes of the original (a relay republishing after
a crash, a redelivery after a lost ack, retries of at most a few minutes), and
the outbox keeps published rows only 7 days, so no copy of an event can
arrive once its inbox row is gone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import Column, Field, SQLModel, col

from servicekit.clock import system_clock


class InboxRecord(SQLModel, table=True):
    """One handled event of one consumer."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=200)
    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(
        default_factory=system_clock, sa_column=Column(sa.DateTime(timezone=True), nullable=False)
    )


async def claim(
    session: AsyncSession, *, consumer: str, event_id: uuid.UUID, event_type: str
) -> bool:
    """Record the event as handled by ``consumer``; False when it already was.

    Runs inside the handler's transaction: if the handler fails, the claim is
    rolled back with it. A concurrent duplicate waits on the primary key and
    then sees the conflict.
    """
    statement = (
        insert(InboxRecord)
        .values(
            consumer=consumer, event_id=event_id, event_type=event_type, processed_at=system_clock()
        )
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(col(InboxRecord.event_id))
    )
    result = await session.execute(statement)
    return result.first() is not None


#: Rows deleted per statement when pruning: short transactions, no long locks.
PRUNE_CHUNK = 5_000


async def prune(sessions: async_sessionmaker[AsyncSession], *, older_than: timedelta) -> int:
    """Delete inbox rows processed longer ago than ``older_than``; returns how many."""
    cutoff = system_clock() - older_than
    statement = sa.text(
        "DELETE FROM inbox WHERE ctid IN "
        "(SELECT ctid FROM inbox WHERE processed_at < :cutoff LIMIT :chunk)"
    )
    total = 0
    while True:
        async with sessions() as session, session.begin():
            result = await session.execute(statement, {"cutoff": cutoff, "chunk": PRUNE_CHUNK})
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < PRUNE_CHUNK:
            return total
