"""What several membership commands share: finding the member, link tokens, and
auditing what members do to their own accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from identity.domain.errors import LinkTokenRefused, MemberNotFound
from identity.domain.member import Member
from identity.domain.tokens import LinkToken, digest
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.audit import entity_of
from servicekit.context import request_id_var
from servicekit.crypto import SecretBox
from servicekit.uow import AuditEntry


async def member_by_id(
    uow: IdentityUnitOfWork, member_id: uuid.UUID, *, lock: bool = False
) -> Member:
    """The member, or 404 ``member.not_found``."""
    member = await uow.members.get(member_id, lock=lock)
    if member is None:
        raise MemberNotFound()
    return member


async def caller(uow: IdentityUnitOfWork, member_id: uuid.UUID, *, lock: bool = False) -> Member:
    """The member an access token names, refused once withdrawn (R11)."""
    member = await member_by_id(uow, member_id, lock=lock)
    member.check_session()
    return member


async def issue_sealed_link(
    uow: IdentityUnitOfWork,
    event_box: SecretBox,
    *,
    purpose: str,
    member_id: uuid.UUID,
    ttl_seconds: int,
    payload: str | None = None,
) -> tuple[str, datetime]:
    """A new link token for ``purpose`` (earlier unused ones stop working), sealed for
    the event that carries it to notification, and its expiry."""
    link, token = LinkToken.issue(
        purpose=purpose,
        member_id=member_id,
        ttl_seconds=ttl_seconds,
        now=uow.now(),
        payload=payload,
    )
    await uow.link_tokens.replace(link)
    return event_box.seal(token), link.expires_at


async def consume_link(
    uow: IdentityUnitOfWork, *, token: str, purpose: str, resend_path: str | None = None
) -> LinkToken:
    """Use ``token`` up; 400 ``token.invalid|expired|used`` when it cannot be."""
    link = await uow.link_tokens.find(digest(token), purpose=purpose)
    if link is None:
        raise LinkTokenRefused("invalid", resend_path=resend_path)
    link.consume(now=uow.now(), resend_path=resend_path)
    return link


def audit_own_action(
    uow: IdentityUnitOfWork,
    member_id: uuid.UUID,
    action: str,
    *,
    target: str | None = None,
    **details: Any,
) -> None:
    """R34: a security event of a member's own account (login, lockout, password or
    email change, withdrawal request): the member is both the actor and the subject."""
    uow.audit(
        actor=str(member_id),
        action=action,
        target=target or f"member:{member_id}",
        member_id=member_id,
        **details,
    )


def own_action_entry(
    member_id: uuid.UUID, action: str, *, at: datetime, **details: Any
) -> AuditEntry:
    """The entry :func:`audit_own_action` records, for a change written without a unit of
    work (a member's login, ``adapters/login_store.py``)."""
    return AuditEntry(
        actor=str(member_id),
        action=action,
        target=f"member:{member_id}",
        at=at,
        entity=entity_of(action),
        member_id=uuid.UUID(str(member_id)),
        details=details,
        request_id=request_id_var.get(),
    )
