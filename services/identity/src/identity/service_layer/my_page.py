"""My Page: the member's own profile, contact email and password (R8, R9)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from identity.adapters.passwords import Passwords
from identity.config import Settings
from identity.domain.errors import LinkTokenRefused, WrongCurrentPassword
from identity.domain.member import Member
from identity.domain.tokens import EMAIL_CHANGE
from identity.service_layer.members import (
    audit_own_action,
    caller,
    consume_link,
    issue_sealed_link,
    member_by_id,
)
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.crypto import SecretBox


async def get_me(*, uow: IdentityUnitOfWork, member_id: uuid.UUID) -> Member:
    """The caller's profile."""
    async with uow:
        return await caller(uow, member_id)


async def update_me(
    *,
    uow: IdentityUnitOfWork,
    event_box: SecretBox,
    settings: Settings,
    member_id: uuid.UUID,
    changes: Mapping[str, str | None],
    contact_email: str | None = None,
) -> Member:
    """Apply profile changes; a new contact email waits for its confirmation link."""
    async with uow:
        member = await caller(uow, member_id, lock=True)
        member.update_profile(changes)
        if contact_email is not None and member.wants_contact_email(contact_email):
            sealed, expires_at = await issue_sealed_link(
                uow,
                event_box,
                purpose=EMAIL_CHANGE,
                member_id=member.id,
                ttl_seconds=settings.email_change_token_ttl_seconds,
                payload=contact_email,
            )
            member.request_email_change(contact_email, sealed_token=sealed, expires_at=expires_at)
            audit_own_action(
                uow, member.id, "member.email_change_requested", new_email=contact_email
            )
        await uow.commit()
        return member


async def confirm_email_change(*, uow: IdentityUnitOfWork, token: str) -> Member:
    """Make the confirmed address the contact email; the login ID stays (R8)."""
    async with uow:
        link = await consume_link(uow, token=token, purpose=EMAIL_CHANGE)
        member = await member_by_id(uow, link.member_id, lock=True)
        if link.payload is None:
            raise LinkTokenRefused("invalid")
        member.confirm_email_change(link.payload)
        audit_own_action(uow, member.id, "member.email_changed", new_email=link.payload)
        await uow.commit()
        return member


async def change_password(
    *,
    uow: IdentityUnitOfWork,
    passwords: Passwords,
    member_id: uuid.UUID,
    session_id: str | None,
    current: str,
    new: str,
) -> None:
    """Change the password (current one required); other sessions are revoked (R9)."""
    async with uow:
        member = await caller(uow, member_id, lock=True)
        if not await passwords.verify(member.password_hash, current):
            raise WrongCurrentPassword()
        member.check_new_password(new)
        member.change_password_hash(await passwords.hash(new))
        keep = uuid.UUID(session_id) if session_id else None
        await uow.sessions.revoke(member_id=member.id, keep_family=keep, now=uow.now())
        audit_own_action(uow, member.id, "member.password_changed")
        await uow.commit()
