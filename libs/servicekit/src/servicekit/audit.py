"""The audit log (SPEC R29): who did what, when — written with the change it records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

from servicekit.clock import system_clock


class AuditRecord(SQLModel, table=True):
    """One audited action."""

    __tablename__ = "audit_log"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    actor: str = Field(max_length=200, index=True)
    action: str = Field(max_length=200, index=True)
    target: str = Field(max_length=200)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    request_id: str | None = Field(default=None, max_length=100)
    at: datetime = Field(
        default_factory=system_clock, sa_column=Column(sa.DateTime(timezone=True), nullable=False)
    )
