"""The ordering service's tables (its own database; names unique across services).

Local copies: ``ordering_catalog_copy`` keeps every version of every service
as catalog published it, ``ordering_catalog_current`` points at each service's
newest version; ``member_copy`` (with the names ops lists show, R30) and
``member_document`` keep what ordering needs to know about members. Then the
orders, the idempotency keys of ``POST /orders``, the contracts and the
activation notices already issued.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


class CatalogServiceVersion(SQLModel, table=True):
    """One version of a service, the whole snapshot (R28: older orders keep theirs)."""

    __tablename__ = "ordering_catalog_copy"

    service_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    snapshot: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    received_at: datetime = Field(sa_column=_utc_column())


class CatalogServiceCurrent(SQLModel, table=True):
    """Which version of a service is current: the newest one catalog published."""

    __tablename__ = "ordering_catalog_current"

    service_id: uuid.UUID = Field(primary_key=True)
    version: int


class MemberCopy(SQLModel, table=True):
    """A member as identity last described them (entity type and account state)."""

    __tablename__ = "member_copy"

    member_id: uuid.UUID = Field(primary_key=True)
    aggregate_version: int
    entity_type: str = Field(max_length=30)
    status: str = Field(max_length=30)
    withdrawn: bool = False
    #: The person and the organization ops lists name (R30); null in copies made before.
    name: str | None = None
    organization_name: str | None = None


class MemberDocument(SQLModel, table=True):
    """One reviewed identity document of a sole proprietor (R12)."""

    __tablename__ = "member_document"

    document_id: uuid.UUID = Field(primary_key=True)
    member_id: uuid.UUID = Field(index=True)
    aggregate_version: int
    decision: str = Field(max_length=20)
    reviewed_at: datetime = Field(sa_column=_utc_column())


class OrderRow(SQLModel, table=True):
    """An order with the plan version, price and terms in force when it was placed (R28)."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_member_created", "member_id", "created_at", "id"),
        sa.Index("ix_orders_status_created", "status", "created_at", "id"),
        sa.Index("ix_orders_service_created", "service_id", "created_at", "id"),
        sa.Index("ix_orders_created", "created_at", "id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_version: int
    service_name: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    plan_id: uuid.UUID
    plan_version_id: uuid.UUID
    plan_name: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    quantity: int
    options: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    desired_start_date: date
    planned_start_date: date
    terms: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    notice_business_days_before: int | None = None
    withdrawal_requires_contracts_ended: bool
    inquiry_reference: str = Field(max_length=40, unique=True)
    status: str = Field(max_length=30)
    version: int
    reason: str | None = None
    held_from: str | None = Field(default=None, max_length=30)
    status_history: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class OrderRequestKey(SQLModel, table=True):
    """An ``Idempotency-Key`` of ``POST /orders``: one order per member and key (24 h)."""

    __tablename__ = "order_request_key"

    member_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=200)
    body_hash: str = Field(max_length=64)
    order_id: uuid.UUID | None = None
    created_at: datetime = Field(sa_column=_utc_column())


class ContractRow(SQLModel, table=True):
    """A contract opened by an activated order."""

    __tablename__ = "contracts"
    __table_args__ = (
        sa.Index("ix_contracts_member_created", "member_id", "created_at", "id"),
        sa.Index("ix_contracts_created", "created_at", "id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    order_id: uuid.UUID = Field(unique=True)
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    plan_id: uuid.UUID
    plan_name: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    quantity: int
    planned_start_date: date
    start_date: date
    terms: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    withdrawal_requires_contracts_ended: bool
    version: int
    end_date: date | None = None
    early_termination_fee: int | None = None
    cancelled_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    cancelled_by: str | None = Field(default=None, max_length=10)
    cancellation_reason: str | None = None
    created_at: datetime = Field(sa_column=_utc_column())


class ActivationNoticeIssued(SQLModel, table=True):
    """An activation notice already published: one per order, by its primary key (R18)."""

    __tablename__ = "activation_notice_issued"

    order_id: uuid.UUID = Field(primary_key=True)
    issued_at: datetime = Field(sa_column=_utc_column())
