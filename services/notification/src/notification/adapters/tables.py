"""Tables of the notification service: member contacts, deliveries, notices, inquiries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

from servicekit.clock import system_clock


def _timestamp(*, nullable: bool = False, default: bool = False) -> Any:
    column = Column(sa.DateTime(timezone=True), nullable=nullable)
    if default:
        return Field(default_factory=system_clock, sa_column=column)
    return Field(default=None, sa_column=column)


class MemberContactRow(SQLModel, table=True):
    """Notification's copy of a member's contact (R16): where and in which language to write.

    Fed by identity's member events; an event older than ``aggregate_version`` is ignored.
    """

    __tablename__ = "member_contact"

    member_id: uuid.UUID = Field(primary_key=True)
    email: str = Field(max_length=320)
    language: str = Field(max_length=2)
    name: str = Field(max_length=200)
    status: str = Field(max_length=30)
    aggregate_version: int
    #: The member's organization (R30: ops lists name it); null until a member event with
    #: the whole profile (verification, a profile change) arrived.
    organization_name: str | None = Field(default=None, max_length=200)
    updated_at: datetime = _timestamp(default=True)


class DeliveryRow(SQLModel, table=True):
    """One email to send for one event (R27): the record that makes sending effectively once.

    ``payload`` is the template's data; a one-time token in it is the sealed text
    from the event, opened only when the email is rendered for sending.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "template", name="uq_delivery_event_id"),
        sa.Index(
            "ix_delivery_due", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_id: uuid.UUID
    event_type: str = Field(max_length=200)
    template: str = Field(max_length=100)
    member_id: uuid.UUID | None = Field(default=None, index=True)
    #: None until known: an inquiry answer recorded before the member's copy arrived.
    recipient: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=2)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    state: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    next_attempt_at: datetime = _timestamp(default=True)
    created_at: datetime = _timestamp(default=True)
    sent_at: datetime | None = _timestamp(nullable=True)
    #: Whether ``delivery_attachment`` holds files for it (only then are they read).
    has_attachments: bool = Field(
        default=False, sa_column=Column(sa.Boolean, nullable=False, server_default=sa.false())
    )


class DeliveryAttachmentRow(SQLModel, table=True):
    """A file mailed with a delivery (R41: the invoice PDF of a withdrawn member)."""

    __tablename__ = "delivery_attachment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="delivery.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    content: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))


class MemberOrderRow(SQLModel, table=True):
    """Notification's copy of who placed each order (from ordering's order events): an
    inquiry's ``order_id`` must be one of the asker's orders (R19, R26)."""

    __tablename__ = "member_order"

    order_id: uuid.UUID = Field(primary_key=True)
    member_id: uuid.UUID = Field(index=True)
    recorded_at: datetime = _timestamp(default=True)


class NoticeRow(SQLModel, table=True):
    """A site notice (R1); maintenance notices carry a window and the functions it covers."""

    __tablename__ = "notice"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    category: str = Field(max_length=30)
    title_ja: str = Field(max_length=200)
    title_en: str = Field(max_length=200)
    body_ja: str = Field(sa_column=Column(sa.Text, nullable=False))
    body_en: str = Field(sa_column=Column(sa.Text, nullable=False))
    publish_at: datetime = _timestamp()
    starts_at: datetime | None = _timestamp(nullable=True)
    ends_at: datetime | None = _timestamp(nullable=True)
    functions: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    withdrawn_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp(default=True)
    updated_at: datetime = _timestamp(default=True)


class InquiryRow(SQLModel, table=True):
    """A member's inquiry (R26); ``order_id`` binds it to an order (R19)."""

    __tablename__ = "inquiry"
    __table_args__ = (sa.Index("ix_inquiry_member_created", "member_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID
    category: str = Field(max_length=30)
    subject: str = Field(max_length=200)
    body: str = Field(sa_column=Column(sa.Text, nullable=False))
    order_id: uuid.UUID | None = None
    status: str = Field(default="open", max_length=20, index=True)
    aggregate_version: int = 1
    created_at: datetime = _timestamp(default=True)
    closed_at: datetime | None = _timestamp(nullable=True)


class InquiryAnswerRow(SQLModel, table=True):
    """One answer of ops to an inquiry; each is emailed and shown in My Page (R26)."""

    __tablename__ = "inquiry_answer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    inquiry_id: uuid.UUID = Field(foreign_key="inquiry.id", index=True)
    body: str = Field(sa_column=Column(sa.Text, nullable=False))
    answered_by: str = Field(max_length=200)
    answered_at: datetime = _timestamp(default=True)
    #: ``ops`` (an answer) or ``member`` (the member's reply in the thread).
    author: str = Field(
        default="ops", sa_column=Column(sa.String(10), nullable=False, server_default="ops")
    )
