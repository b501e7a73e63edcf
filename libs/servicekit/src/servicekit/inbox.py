"""The idempotent inbox: which events a consumer has already handled.

The consumer records ``(consumer, event_id)`` in the same transaction as the
handler's effect; a redelivered event finds its row and is skipped.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
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
