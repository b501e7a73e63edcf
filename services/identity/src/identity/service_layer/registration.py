"""Registration and email verification (R2, R5–R7, and R10's rule applied to sign-up)."""

from __future__ import annotations

from bizmall_events.identity import RegistrationAttemptedExisting
from identity.adapters.answer_floor import AnswerFloor
from identity.adapters.passwords import Passwords
from identity.adapters.throttle import MailCooldown
from identity.config import Settings
from identity.domain.errors import RESEND_PATH, ResendTooSoon
from identity.domain.member import Member, Registration
from identity.domain.tokens import VERIFY
from identity.service_layer.members import consume_link, issue_sealed_link, member_by_id
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.crypto import SecretBox


async def register(
    *,
    uow: IdentityUnitOfWork,
    passwords: Passwords,
    event_box: SecretBox,
    settings: Settings,
    registration: Registration,
    password: str,
) -> None:
    """Create an unverified member and queue the verification email; an existing
    login ID gets a notice to its owner instead. The caller always answers 202.

    Accounts are per person (R7): colleagues register separately, one email each.
    """
    # Hash first, whatever happens next, so both paths cost the same time.
    password_hash = await passwords.hash(password)
    async with uow:
        existing = await uow.members.by_login_id(registration.email)
        # A withdrawn account released its login ID: the address registers anew, under
        # a new member id; the old account and its records stay as they were (R8).
        if existing is not None and existing.holds_login_id:
            uow.publish(
                RegistrationAttemptedExisting(member_id=existing.id, attempted_at=uow.now())
            )
            await uow.commit()
            return
        member = Member.register(
            registration,
            password_hash=password_hash,
            privacy_policy_version=settings.privacy_policy_version,
            now=uow.now(),
        )
        if not await uow.members.add_unless_taken(member):
            return  # a concurrent registration of the same email won the race
        await _send_verification(uow, event_box, settings, member)
        await uow.commit()


async def _send_verification(
    uow: IdentityUnitOfWork, event_box: SecretBox, settings: Settings, member: Member
) -> None:
    sealed, expires_at = await issue_sealed_link(
        uow,
        event_box,
        purpose=VERIFY,
        member_id=member.id,
        ttl_seconds=settings.verification_token_ttl_seconds,
    )
    member.send_verification(sealed_token=sealed, expires_at=expires_at)


async def resend_verification(
    *,
    uow: IdentityUnitOfWork,
    event_box: SecretBox,
    settings: Settings,
    floor: AnswerFloor,
    cooldown: MailCooldown,
    email: str,
) -> None:
    """A fresh verification link for an unverified member (earlier links of the member
    stop working); silently nothing for any other address (R6, R10).

    One address gets at most one link per cooldown and a few a day, counted whether
    or not it is a member's: a request beyond that is refused (``ResendTooSoon``, 429)
    for a member's address and a stranger's alike. Both paths run one transaction and
    end no sooner than the answer floor, so neither the answer nor its time tells
    which (issue 19 item 3).
    """
    async with floor.held():
        wait = await cooldown.reserve(VERIFY, email)
        if wait:
            raise ResendTooSoon(wait)
        async with uow:
            member = await uow.members.by_login_id(email, lock=True)
            if member is not None and member.awaiting_verification:
                await _send_verification(uow, event_box, settings, member)
            await uow.commit()


async def verify_email(*, uow: IdentityUnitOfWork, token: str) -> None:
    """Complete the registration the token belongs to (R6)."""
    async with uow:
        link = await consume_link(uow, token=token, purpose=VERIFY, resend_path=RESEND_PATH)
        member = await member_by_id(uow, link.member_id, lock=True)
        member.verify(now=uow.now())
        await uow.commit()
