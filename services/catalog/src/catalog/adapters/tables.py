"""Tables of the catalog: one row per service, one immutable row per service version.

``catalog_service`` holds what the public reads filter and search on, plus the
current snapshot; ``catalog_service_version`` holds every snapshot ever made
and is only ever inserted into (R28). Both times are the service clock's
(``uow.clock``), set by the repository.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel


class ServiceRow(SQLModel, table=True):
    """A service as it stands now (its latest version)."""

    __tablename__ = "catalog_service"

    id: uuid.UUID = Field(primary_key=True)
    slug: str = Field(max_length=63, unique=True)
    status: str = Field(max_length=20, index=True)
    category: str = Field(max_length=40, index=True)
    current_version: int
    name_ja: str
    name_en: str
    description_ja: str
    description_en: str
    snapshot: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))


class ServiceVersionRow(SQLModel, table=True):
    """One version of a service, never changed once written."""

    __tablename__ = "catalog_service_version"

    service_id: uuid.UUID = Field(
        primary_key=True, sa_column_args=[sa.ForeignKey("catalog_service.id")]
    )
    version: int = Field(primary_key=True)
    status: str = Field(max_length=20)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
