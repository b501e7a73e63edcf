"""Notification's copy of each member's contact (R16), kept current by identity's events."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from notification.adapters.tables import MemberContact
from servicekit.clock import system_clock
from servicekit.consumer import RetryLater


async def save_contact(
    session: AsyncSession,
    *,
    member_id: uuid.UUID,
    email: str,
    language: str,
    name: str,
    status: str,
    version: int,
) -> bool:
    """Store the member's contact at ``version`` unless the copy is already as new;
    returns whether it was stored (an older or equal version is dropped)."""
    values = {
        "member_id": member_id,
        "email": email,
        "language": language,
        "name": name,
        "status": status,
        "aggregate_version": version,
        "updated_at": system_clock(),
    }
    insert_row = insert(MemberContact).values(**values)
    statement = insert_row.on_conflict_do_update(
        index_elements=["member_id"],
        set_={k: insert_row.excluded[k] for k in values if k != "member_id"},
        where=col(MemberContact.aggregate_version) < insert_row.excluded.aggregate_version,
    ).returning(col(MemberContact.member_id))
    return (await session.execute(statement)).first() is not None


async def contact_of(session: AsyncSession, member_id: uuid.UUID) -> MemberContact:
    """The member's contact; ``RetryLater`` while identity's events have not brought it yet
    (the email waits for it instead of being dropped)."""
    contact = await session.get(MemberContact, member_id)
    if contact is None:
        raise RetryLater(f"no contact copy of member {member_id} yet")
    return contact
