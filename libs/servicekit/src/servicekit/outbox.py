"""The transactional outbox: events stored with the state change that caused them.

A unit of work adds :class:`OutboxRecord` rows in the same transaction as its
business change and sends ``NOTIFY`` on :data:`OUTBOX_CHANNEL`; the relay
(:mod:`servicekit.relay`) publishes the rows and marks them sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

from bizmall_events import Envelope
from servicekit.clock import system_clock

OUTBOX_CHANNEL = "servicekit_outbox"


class OutboxRecord(SQLModel, table=True):
    """An event waiting to be (or already) published."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "ix_outbox_unpublished",
            "created_at",
            postgresql_where=sa.text("published_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    type: str = Field(max_length=200)
    envelope: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        default_factory=system_clock, sa_column=Column(sa.DateTime(timezone=True), nullable=False)
    )
    published_at: datetime | None = Field(
        default=None, sa_column=Column(sa.DateTime(timezone=True), nullable=True)
    )

    @classmethod
    def of(cls, envelope: Envelope, headers: dict[str, Any] | None = None) -> OutboxRecord:
        """The outbox row for ``envelope``."""
        return cls(
            id=envelope.id,
            type=envelope.type,
            envelope=envelope.model_dump(mode="json"),
            headers=headers or {},
            created_at=system_clock(),
        )
