"""One-time link tokens (stored as SHA-256) and refresh-token families."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from identity.adapters.tables import OneTimeToken, RefreshToken
from identity.service_layer import problems
from servicekit.clock import system_clock


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_link_token(
    session: AsyncSession,
    *,
    purpose: str,
    member_id: uuid.UUID,
    ttl_seconds: int,
    payload: str | None = None,
) -> tuple[str, datetime]:
    """A new token for ``purpose``; earlier unused tokens of that purpose stop working."""
    now = system_clock()
    await session.execute(
        sa.update(OneTimeToken)
        .where(
            col(OneTimeToken.member_id) == member_id,
            col(OneTimeToken.purpose) == purpose,
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=ttl_seconds)
    session.add(
        OneTimeToken(
            token_hash=digest(token),
            purpose=purpose,
            member_id=member_id,
            payload=payload,
            expires_at=expires_at,
        )
    )
    return token, expires_at


async def consume_link_token(
    session: AsyncSession, *, token: str, purpose: str, resend_path: str | None = None
) -> OneTimeToken:
    """Mark ``token`` used and return it; 400 ``token.invalid|expired|used`` otherwise."""
    row = (
        await session.execute(
            sa.select(OneTimeToken)
            .where(
                col(OneTimeToken.token_hash) == digest(token),
                col(OneTimeToken.purpose) == purpose,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise problems.token_problem("invalid", resend_path=resend_path)
    if row.used_at is not None:
        raise problems.token_problem("used", resend_path=resend_path)
    if row.expires_at <= system_clock():
        raise problems.token_problem("expired", resend_path=resend_path)
    row.used_at = system_clock()
    return row


async def start_family(
    session: AsyncSession, *, member_id: uuid.UUID, roles: str, ttl_seconds: int
) -> tuple[str, uuid.UUID]:
    """A refresh token opening a new session family."""
    family = uuid.uuid4()
    token = await _add_refresh(
        session,
        family=family,
        member_id=member_id,
        roles=roles,
        expires_at=system_clock() + timedelta(seconds=ttl_seconds),
    )
    return token, family


async def _add_refresh(
    session: AsyncSession,
    *,
    family: uuid.UUID,
    member_id: uuid.UUID,
    roles: str,
    expires_at: datetime,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=digest(token),
            family_id=family,
            member_id=member_id,
            roles=roles,
            expires_at=expires_at,
        )
    )
    return token


async def rotate(session: AsyncSession, token: str) -> tuple[RefreshToken, str]:
    """The rotated row and its successor token.

    Presenting an already rotated token means it was stolen or replayed: the
    whole family is revoked (the revocation is flushed; the caller commits it
    before answering 401).
    """
    row = (
        await session.execute(
            sa.select(RefreshToken)
            .where(col(RefreshToken.token_hash) == digest(token))
            .with_for_update()
        )
    ).scalar_one_or_none()
    now = system_clock()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise problems.session_invalid()
    if row.rotated_at is not None:
        await revoke_families(session, member_id=row.member_id, family=row.family_id)
        raise problems.session_invalid()
    row.rotated_at = now
    successor = await _add_refresh(
        session,
        family=row.family_id,
        member_id=row.member_id,
        roles=row.roles,
        expires_at=row.expires_at,
    )
    return row, successor


async def revoke_families(
    session: AsyncSession,
    *,
    member_id: uuid.UUID,
    family: uuid.UUID | None = None,
    keep_family: uuid.UUID | None = None,
) -> None:
    """Revoke one family, or every family of the member (except ``keep_family``)."""
    where = [col(RefreshToken.member_id) == member_id, col(RefreshToken.revoked_at).is_(None)]
    if family is not None:
        where.append(col(RefreshToken.family_id) == family)
    if keep_family is not None:
        where.append(col(RefreshToken.family_id) != keep_family)
    await session.execute(sa.update(RefreshToken).where(*where).values(revoked_at=system_clock()))


async def family_of(session: AsyncSession, token: str) -> RefreshToken | None:
    """The refresh-token row of ``token`` (any state)."""
    return (
        await session.execute(
            sa.select(RefreshToken).where(col(RefreshToken.token_hash) == digest(token))
        )
    ).scalar_one_or_none()
