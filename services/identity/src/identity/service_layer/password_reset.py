"""Password reset from the login screen by an emailed one-time link (R10).

The answer never tells whether an email is registered: the route answers 202
whatever happens here.
"""

from __future__ import annotations

from identity.adapters.answer_floor import AnswerFloor
from identity.adapters.passwords import Passwords
from identity.config import Settings
from identity.domain.tokens import RESET
from identity.service_layer.members import (
    audit_own_action,
    consume_link,
    issue_sealed_link,
    member_by_id,
)
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.crypto import SecretBox


async def request_password_reset(
    *,
    uow: IdentityUnitOfWork,
    event_box: SecretBox,
    settings: Settings,
    floor: AnswerFloor,
    email: str,
) -> None:
    """Queue a reset link for a known active member; nothing otherwise.

    Both paths run one transaction and end no sooner than the answer floor, so the
    time of the answer tells nothing either (R10, issue 19 item 4).
    """
    async with floor.held(), uow:
        member = await uow.members.by_login_id(email)
        if member is not None and member.may_reset_password:
            sealed, expires_at = await issue_sealed_link(
                uow,
                event_box,
                purpose=RESET,
                member_id=member.id,
                ttl_seconds=settings.password_reset_token_ttl_seconds,
            )
            member.request_password_reset(sealed_token=sealed, expires_at=expires_at)
        await uow.commit()


async def confirm_password_reset(
    *, uow: IdentityUnitOfWork, passwords: Passwords, token: str, new_password: str
) -> None:
    """Set the new password and revoke every session of the member."""
    async with uow:
        link = await consume_link(uow, token=token, purpose=RESET)
        member = await member_by_id(uow, link.member_id, lock=True)
        member.check_new_password(new_password)
        member.change_password_hash(await passwords.hash(new_password))
        await uow.sessions.revoke(member_id=member.id, now=uow.now())
        audit_own_action(uow, member.id, "member.password_reset")
        await uow.commit()
