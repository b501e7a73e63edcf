"""Membership commands: registration, verification, login, sessions, My Page, reset.

Each command runs in one unit of work; events go to the outbox with the change.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pyotp
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bizmall_events.identity import (
    MemberEmailChangeRequested,
    MemberProfile,
    MemberProfileChanged,
    MemberRegistered,
    MemberVerified,
    PasswordResetRequested,
    RegistrationAttemptedExisting,
)
from identity.adapters.tables import Member
from identity.domain.rules import check_password
from identity.service_layer import problems
from identity.service_layer.context import IdentityContext
from identity.service_layer.tokens import (
    consume_link_token,
    family_of,
    issue_link_token,
    revoke_families,
    rotate,
    start_family,
)
from servicekit.clock import system_clock
from servicekit.problems import Problem
from servicekit.redis import Namespaced
from servicekit.uow import UnitOfWork

VERIFY, RESET, EMAIL_CHANGE = "verify_email", "password_reset", "email_change"

#: Profile fields a member may change in My Page (R9); never the login ID (R8).
EDITABLE_FIELDS = (
    "name",
    "organization_name",
    "department",
    "postal_code",
    "address",
    "phone",
    "language",
)


@dataclass
class Session:
    """What a successful login or refresh hands out."""

    access_token: str
    expires_in: int
    refresh_token: str


def profile_of(member: Member) -> MemberProfile:
    return MemberProfile(
        status=member.status,
        entity_type=member.entity_type,
        name=member.name,
        organization_name=member.organization_name,
        department=member.department,
        postal_code=member.postal_code,
        address=member.address,
        contact_email=member.contact_email,
        language=member.language,
    )


async def _by_login_id(uow: UnitOfWork, login_id: str, *, lock: bool = False) -> Member | None:
    query = sa.select(Member).where(col(Member.login_id) == login_id.strip().lower())
    if lock:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


async def _by_id(uow: UnitOfWork, member_id: uuid.UUID | str, *, lock: bool = False) -> Member:
    query = sa.select(Member).where(col(Member.id) == uuid.UUID(str(member_id)))
    if lock:
        query = query.with_for_update()
    member = (await uow.session.execute(query)).scalar_one_or_none()
    if member is None:
        raise problems.member_not_found()
    return member


async def _caller(uow: UnitOfWork, member_id: uuid.UUID | str, *, lock: bool = False) -> Member:
    """The member an access token names, refused once withdrawn (R11): the token
    may outlive the withdrawal by its lifetime, the account may not."""
    member = await _by_id(uow, member_id, lock=lock)
    if member.status == "withdrawn":
        raise problems.session_invalid()
    return member


# --- registration (R2, R5, R6) --------------------------------------------------


async def register(ctx: IdentityContext, *, fields: dict[str, Any], password: str) -> None:
    """Create an unverified member and queue the verification email; an existing
    login ID gets a notice to its owner instead. The caller always answers 202."""
    # Hash first, whatever happens next, so both paths cost the same time.
    password_hash = await ctx.passwords.hash(password)
    login_id = fields["email"].lower()
    async with ctx.runtime.uow() as uow:
        existing = await _by_login_id(uow, login_id)
        if existing is not None:
            uow.publish(
                RegistrationAttemptedExisting(member_id=existing.id, attempted_at=system_clock())
            )
            await uow.commit()
            return
        member = Member(
            login_id=login_id,
            password_hash=password_hash,
            contact_email=fields["email"],
            privacy_policy_version=ctx.settings.privacy_policy_version,
            privacy_policy_accepted_at=system_clock(),
            **{k: v for k, v in fields.items() if k != "email"},
        )
        uow.session.add(member)
        try:
            await uow.session.flush()
        except IntegrityError:
            # A concurrent registration of the same email won the race.
            await uow.rollback()
            return
        await _publish_verification(ctx, uow, member)
        await uow.commit()


async def _publish_verification(ctx: IdentityContext, uow: UnitOfWork, member: Member) -> None:
    token, expires_at = await issue_link_token(
        uow.session,
        purpose=VERIFY,
        member_id=member.id,
        ttl_seconds=ctx.settings.verification_token_ttl_seconds,
    )
    uow.publish(
        MemberRegistered(
            member_id=member.id,
            aggregate_version=member.version,
            contact_email=member.contact_email,
            language=member.language,
            name=member.name,
            sealed_verification_token=ctx.event_box.seal(token),
            token_expires_at=expires_at,
        )
    )


async def resend_verification(ctx: IdentityContext, *, email: str) -> None:
    """A fresh verification link for an unverified member; silently nothing otherwise."""
    async with ctx.runtime.uow() as uow:
        member = await _by_login_id(uow, email, lock=True)
        if member is None or member.status != "pending_verification":
            return
        await _publish_verification(ctx, uow, member)
        await uow.commit()


async def verify_email(ctx: IdentityContext, *, token: str) -> None:
    """Complete the registration the token belongs to (R6)."""
    async with ctx.runtime.uow() as uow:
        row = await consume_link_token(
            uow.session, token=token, purpose=VERIFY, resend_path=problems.RESEND_PATH
        )
        member = await _by_id(uow, row.member_id, lock=True)
        if member.status != "pending_verification":
            raise problems.token_problem("used")
        member.status = "active"
        member.verified_at = system_clock()
        member.version += 1
        uow.publish(
            MemberVerified(
                member_id=member.id, aggregate_version=member.version, profile=profile_of(member)
            )
        )
        await uow.commit()


# --- login and sessions (R4, R8, R29) --------------------------------------------


def _claims(member: Member, roles: list[str], family: uuid.UUID) -> dict[str, Any]:
    return {
        "sub": str(member.id),
        "roles": roles,
        "entity_type": member.entity_type,
        "email_verified": member.status == "active",
        "sid": str(family),
    }


async def _open_session(
    ctx: IdentityContext, uow: UnitOfWork, member: Member, roles: list[str]
) -> Session:
    refresh, family = await start_family(
        uow.session,
        member_id=member.id,
        roles=",".join(roles),
        ttl_seconds=ctx.settings.refresh_token_ttl_seconds,
    )
    access = await ctx.keys.access_token(uow.session, _claims(member, roles, family))
    return Session(access, ctx.settings.access_token_ttl_seconds, refresh)


async def login(
    ctx: IdentityContext, *, login_id: str, password: str, ip: str
) -> Session | dict[str, Any]:
    """A session for a member, or a TOTP challenge for an operator.

    Wrong passwords and unknown login IDs are answered alike and counted
    alike by the throttle; only a correct password learns the account state.
    """
    wait = await ctx.throttle.locked_for(login_id, ip)
    if wait:
        raise problems.locked(wait)
    # The password is checked outside any transaction: argon2id takes tens of
    # milliseconds of CPU, and a pooled connection held meanwhile would make every
    # other request of the process queue behind the logins (issue 9 profile).
    async with ctx.runtime.uow() as uow:
        found = await _by_login_id(uow, login_id)
        stored = found.password_hash if found else None
    ok = await ctx.passwords.verify(stored, password)
    if stored is None or not ok:
        locked_for = await ctx.throttle.failed(login_id, ip)
        raise problems.locked(locked_for) if locked_for else problems.invalid_credentials()
    await ctx.throttle.succeeded(login_id)
    async with ctx.runtime.uow() as uow:
        member = await _by_login_id(uow, login_id)
        if member is None or member.password_hash != stored:
            # The password changed (or the account went) between the check and now.
            raise problems.invalid_credentials()
        if member.status == "pending_verification":
            raise problems.email_unverified()
        if member.status == "withdrawn":
            raise problems.withdrawn()
        if ctx.passwords.needs_rehash(member.password_hash):
            member.password_hash = await ctx.passwords.hash(password)
        if member.kind == "ops":
            challenge = await _ops_challenge(ctx, member)
            await uow.commit()
            return challenge
        session = await _open_session(ctx, uow, member, ["member"])
        await uow.commit()
        return session


def _challenge_key(ctx: IdentityContext, challenge: str) -> str:
    return Namespaced(ctx.settings.redis_namespace)("login", "challenge", challenge)


async def _ops_challenge(ctx: IdentityContext, member: Member) -> dict[str, Any]:
    """A short-lived challenge an operator completes with a TOTP code (R29).
    At first login the TOTP secret is created and its provisioning URI returned."""
    answer: dict[str, Any] = {"mfa_required": True}
    if not member.totp_enrolled:
        secret = pyotp.random_base32()
        member.totp_secret = ctx.secret_box.seal(secret)
        answer["totp_enrollment"] = {
            "secret": secret,
            "provisioning_uri": pyotp.TOTP(secret).provisioning_uri(
                name=member.login_id, issuer_name=ctx.settings.totp_issuer
            ),
        }
    challenge = secrets.token_urlsafe(32)
    ttl = ctx.settings.login_challenge_ttl_seconds
    await ctx.runtime.redis.set(_challenge_key(ctx, challenge), str(member.id).encode(), ex=ttl)
    answer.update({"challenge_token": challenge, "expires_in": ttl})
    return answer


async def login_totp(ctx: IdentityContext, *, challenge: str, code: str) -> Session:
    """Complete an operator's login with the TOTP code; the ``ops`` role needs both factors."""
    redis = ctx.runtime.redis
    member_id = await redis.get(_challenge_key(ctx, challenge))
    if member_id is None:
        raise problems.totp_invalid()
    async with ctx.runtime.uow() as uow:
        member = await _by_id(uow, member_id.decode(), lock=True)
        if member.kind != "ops" or member.totp_secret is None:
            raise problems.totp_invalid()
        totp = pyotp.TOTP(ctx.secret_box.open(member.totp_secret))
        if not totp.verify(code, valid_window=1):
            raise problems.totp_invalid()
        # A code is good for one login only, even within its 30-second step.
        used = Namespaced(ctx.settings.redis_namespace)("login", "totp_used", str(member.id), code)
        if not await redis.set(used, b"1", ex=120, nx=True):
            raise problems.totp_invalid()
        await redis.delete(_challenge_key(ctx, challenge))
        member.totp_enrolled = True
        session = await _open_session(ctx, uow, member, ["ops"])
        uow.audit(actor=str(member.id), action="ops.login", target=f"member:{member.id}")
        await uow.commit()
        return session


async def refresh(ctx: IdentityContext, *, token: str) -> Session:
    """Rotate a refresh token; a reused one revokes its family (401)."""
    async with ctx.runtime.uow() as uow:
        try:
            row, successor = await rotate(uow.session, token)
        except Problem:
            await uow.commit()  # keeps a family revocation caused by a reuse
            raise
        member = await _by_id(uow, row.member_id)
        if member.status == "withdrawn":
            raise problems.session_invalid()
        access = await ctx.keys.access_token(
            uow.session, _claims(member, row.roles.split(","), row.family_id)
        )
        await uow.commit()
        return Session(access, ctx.settings.access_token_ttl_seconds, successor)


async def logout(ctx: IdentityContext, *, token: str) -> None:
    """Revoke the session family of ``token`` (unknown tokens are ignored)."""
    async with ctx.runtime.uow() as uow:
        row = await family_of(uow.session, token)
        if row is not None:
            await revoke_families(uow.session, member_id=row.member_id, family=row.family_id)
            await uow.commit()


# --- password reset (R10) ---------------------------------------------------------


async def request_password_reset(ctx: IdentityContext, *, email: str) -> None:
    """Queue a reset link for a known active member; nothing otherwise (answer is 202)."""
    async with ctx.runtime.uow() as uow:
        member = await _by_login_id(uow, email)
        if member is None or member.status != "active" or member.kind != "member":
            return
        token, expires_at = await issue_link_token(
            uow.session,
            purpose=RESET,
            member_id=member.id,
            ttl_seconds=ctx.settings.password_reset_token_ttl_seconds,
        )
        uow.publish(
            PasswordResetRequested(
                member_id=member.id,
                sealed_reset_token=ctx.event_box.seal(token),
                token_expires_at=expires_at,
            )
        )
        await uow.commit()


async def confirm_password_reset(ctx: IdentityContext, *, token: str, new_password: str) -> None:
    """Set the new password and revoke every session of the member."""
    async with ctx.runtime.uow() as uow:
        row = await consume_link_token(uow.session, token=token, purpose=RESET)
        member = await _by_id(uow, row.member_id, lock=True)
        _check_new_password(new_password, member)
        member.password_hash = await ctx.passwords.hash(new_password)
        await revoke_families(uow.session, member_id=member.id)
        await uow.commit()


def _check_new_password(password: str, member: Member) -> None:
    try:
        check_password(password, email=member.login_id)
        if password.lower() == member.contact_email.lower():
            raise ValueError("the password must not be the email address")
    except ValueError as exc:
        raise problems.field_invalid([("new_password", str(exc))]) from None


# --- My Page (R8, R9) ---------------------------------------------------------------


def me_view(member: Member) -> dict[str, Any]:
    """The member's own profile as My Page shows it."""
    return {
        "id": str(member.id),
        "login_id": member.login_id,
        "status": member.status,
        "entity_type": member.entity_type,
        "corporate_number": member.corporate_number,
        "name": member.name,
        "name_kana": member.name_kana,
        "organization_name": member.organization_name,
        "department": member.department,
        "postal_code": member.postal_code,
        "address": member.address,
        "phone": member.phone,
        "language": member.language,
        "contact_email": member.contact_email,
        "pending_contact_email": member.pending_contact_email,
        "privacy_policy_version": member.privacy_policy_version,
        "privacy_policy_accepted_at": member.privacy_policy_accepted_at,
        "version": member.version,
    }


async def get_me(ctx: IdentityContext, *, member_id: str) -> dict[str, Any]:
    """The caller's profile."""
    async with ctx.runtime.uow() as uow:
        return me_view(await _caller(uow, member_id))


async def update_me(
    ctx: IdentityContext, *, member_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply profile changes; a new contact email waits for its confirmation link."""
    async with ctx.runtime.uow() as uow:
        member = await _caller(uow, member_id, lock=True)
        new_email = changes.pop("contact_email", None)
        changed = False
        for name, value in changes.items():
            if name in EDITABLE_FIELDS and getattr(member, name) != value:
                setattr(member, name, value)
                changed = True
        if changed:
            member.version += 1
            if member.kind == "member":
                uow.publish(
                    MemberProfileChanged(
                        member_id=member.id,
                        aggregate_version=member.version,
                        profile=profile_of(member),
                    )
                )
        if new_email is not None and new_email.lower() != member.contact_email.lower():
            member.pending_contact_email = new_email
            token, expires_at = await issue_link_token(
                uow.session,
                purpose=EMAIL_CHANGE,
                member_id=member.id,
                ttl_seconds=ctx.settings.email_change_token_ttl_seconds,
                payload=new_email,
            )
            uow.publish(
                MemberEmailChangeRequested(
                    member_id=member.id,
                    new_email=new_email,
                    sealed_confirmation_token=ctx.event_box.seal(token),
                    token_expires_at=expires_at,
                )
            )
        await uow.commit()
        return me_view(member)


async def confirm_email_change(ctx: IdentityContext, *, token: str) -> dict[str, Any]:
    """Make the confirmed address the contact email; the login ID stays (R8)."""
    async with ctx.runtime.uow() as uow:
        row = await consume_link_token(uow.session, token=token, purpose=EMAIL_CHANGE)
        member = await _by_id(uow, row.member_id, lock=True)
        if row.payload is None or member.pending_contact_email != row.payload:
            raise problems.token_problem("invalid")
        member.contact_email = row.payload
        member.pending_contact_email = None
        member.version += 1
        uow.publish(
            MemberProfileChanged(
                member_id=member.id, aggregate_version=member.version, profile=profile_of(member)
            )
        )
        await uow.commit()
        return me_view(member)


async def change_password(
    ctx: IdentityContext, *, member_id: str, session_id: str | None, current: str, new: str
) -> None:
    """Change the password (current one required); other sessions are revoked (R9)."""
    async with ctx.runtime.uow() as uow:
        member = await _caller(uow, member_id, lock=True)
        if not await ctx.passwords.verify(member.password_hash, current):
            raise problems.wrong_current_password()
        _check_new_password(new, member)
        member.password_hash = await ctx.passwords.hash(new)
        keep = uuid.UUID(session_id) if session_id else None
        await revoke_families(uow.session, member_id=member.id, keep_family=keep)
        await uow.commit()
