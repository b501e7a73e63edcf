"""Identity's tables: members, signing keys, one-time tokens, refresh-token sessions,
identity documents and withdrawal requests.

Columns carry the names of the domain fields they store: the repositories map
rows to aggregates and back by name (``adapters/repository.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel


def _ts(nullable: bool = False) -> Column:
    return Column(sa.DateTime(timezone=True), nullable=nullable)


class MemberRow(SQLModel, table=True):
    """A member or an operator. ``login_id`` is the sign-up email and never changes (R8).

    A login ID is unique among accounts not withdrawn (a partial unique index,
    migration identity_0006): withdrawal releases it for a new registration while the
    withdrawn row keeps it, with its id and records, as history."""

    __tablename__ = "members"
    __table_args__ = (
        sa.Index(
            "uq_members_live_login_id",
            "login_id",
            unique=True,
            postgresql_where=sa.text("status <> 'withdrawn'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    login_id: str = Field(max_length=320, index=True)
    password_hash: str
    kind: str = Field(default="member", max_length=16)  # member | ops
    status: str = Field(default="pending_verification", max_length=32)
    version: int = Field(default=1)
    entity_type: str | None = Field(default=None, max_length=32)
    corporate_number: str | None = Field(default=None, max_length=13)
    name: str = Field(max_length=200)
    name_kana: str | None = Field(default=None, max_length=200)
    organization_name: str = Field(default="", max_length=200)
    department: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(default="", max_length=7)
    address: str = Field(default="", max_length=500)
    phone: str = Field(default="", max_length=20)
    contact_email: str = Field(max_length=320)
    pending_contact_email: str | None = Field(default=None, max_length=320)
    language: str = Field(default="ja", max_length=2)
    privacy_policy_version: str | None = Field(default=None, max_length=40)
    privacy_policy_accepted_at: datetime | None = Field(default=None, sa_column=_ts(True))
    totp_secret: str | None = Field(default=None, max_length=400)
    totp_enrolled: bool = Field(default=False)
    created_at: datetime = Field(sa_column=_ts())
    verified_at: datetime | None = Field(default=None, sa_column=_ts(True))
    #: The folded text the customer directory searches (R30, ``domain/directory.py``),
    #: kept by ``MemberRepository``; trigram-indexed by migration identity_0004.
    search_text: str = Field(
        default="", sa_column=Column(sa.Text, nullable=False, server_default="")
    )


class SigningKeyRow(SQLModel, table=True):
    """An Ed25519 token-signing key; the private half is encrypted with a settings key."""

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=40)
    public_jwk: str
    encrypted_private_key: str
    created_at: datetime = Field(sa_column=_ts())
    #: Set when a newer key took over: the key keeps verifying until its tokens expire.
    retired_at: datetime | None = Field(default=None, sa_column=_ts(True))


class OneTimeTokenRow(SQLModel, table=True):
    """A link token (verification, password reset, email change), stored as its SHA-256."""

    __tablename__ = "one_time_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=32, index=True)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True)
    #: The new contact email an email-change token confirms.
    payload: str | None = Field(default=None, max_length=320)
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(True))
    created_at: datetime = Field(sa_column=_ts())


class RefreshTokenRow(SQLModel, table=True):
    """One refresh token of a session family; rotating it marks it used (R4 sessions)."""

    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    family_id: uuid.UUID = Field(index=True)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True)
    roles: str = Field(max_length=100)
    expires_at: datetime = Field(sa_column=_ts())
    rotated_at: datetime | None = Field(default=None, sa_column=_ts(True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(True))
    created_at: datetime = Field(sa_column=_ts())


class IdentityDocumentRow(SQLModel, table=True):
    """A sole proprietor's identity document (R12); the file is deleted 90 days after
    its review, this record is kept."""

    __tablename__ = "identity_documents"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True)
    document_type: str = Field(max_length=40)
    content_type: str = Field(max_length=40)
    size_bytes: int
    status: str = Field(default="pending", max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1)
    uploaded_at: datetime = Field(sa_column=_ts())
    reviewed_at: datetime | None = Field(default=None, sa_column=_ts(True))
    reviewed_by: str | None = Field(default=None, max_length=100)
    file_deleted_at: datetime | None = Field(default=None, sa_column=_ts(True))


class WithdrawalRequestRow(SQLModel, table=True):
    """A member's withdrawal request (R11): ``checking`` until ordering answered,
    then ``refused`` (naming what blocks it), ``pending`` (awaiting ops) or ``withdrawn``."""

    __tablename__ = "withdrawal_requests"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True)
    status: str = Field(default="checking", max_length=16, index=True)
    blocking_items: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False)
    )
    reason: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1)
    requested_at: datetime = Field(sa_column=_ts())
    decided_at: datetime | None = Field(default=None, sa_column=_ts(True))
    decided_by: str | None = Field(default=None, max_length=100)


IDENTITY_TABLES = (MemberRow, SigningKeyRow, OneTimeTokenRow, RefreshTokenRow)
DOCUMENT_TABLES = (IdentityDocumentRow, WithdrawalRequestRow)
