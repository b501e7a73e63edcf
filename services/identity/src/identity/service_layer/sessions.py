"""Login, the operators' second factor, refresh-token rotation and logout (R4, R6,
R11, R29), and the published signing keys."""

from __future__ import annotations

from dataclasses import dataclass

from identity.adapters.keys import KeyRing
from identity.adapters.login_challenges import LoginChallenges
from identity.adapters.login_store import LoginStore
from identity.adapters.passwords import Passwords
from identity.adapters.recent_rotations import RecentRotations, RotatedPair
from identity.adapters.throttle import LoginThrottle
from identity.config import Settings
from identity.domain.errors import (
    InvalidCredentials,
    LoginLocked,
    RefreshTokenReused,
    SessionInvalid,
    TotpInvalid,
)
from identity.domain.member import ACTIVE, Member, TotpEnrollment
from identity.domain.operators import totp_accepts
from identity.domain.tokens import RefreshToken, digest
from identity.service_layer.members import audit_own_action, member_by_id, own_action_entry
from identity.service_layer.unit_of_work import IdentityUnitOfWork
from servicekit.crypto import SecretBox


@dataclass(frozen=True)
class Session:
    """What a successful login or refresh hands out."""

    access_token: str
    expires_in: int
    refresh_token: str


@dataclass(frozen=True)
class OpsChallenge:
    """An operator's password was right: the TOTP code must follow (R29)."""

    challenge_token: str
    expires_in: int
    #: The secret to enrol, at the first login only.
    totp_enrollment: TotpEnrollment | None = None


async def _open_session(
    uow: IdentityUnitOfWork, keys: KeyRing, settings: Settings, member: Member, roles: list[str]
) -> Session:
    first, refresh_token = RefreshToken.open_family(
        member_id=member.id,
        roles=roles,
        ttl_seconds=settings.refresh_token_ttl_seconds,
        now=uow.now(),
    )
    uow.sessions.add(first)
    access = await keys.access_token(uow.signing_keys, member.claims(roles, first.family_id))
    return Session(access, settings.access_token_ttl_seconds, refresh_token)


async def login(
    *,
    uow: IdentityUnitOfWork,
    logins: LoginStore,
    passwords: Passwords,
    throttle: LoginThrottle,
    challenges: LoginChallenges,
    keys: KeyRing,
    secret_box: SecretBox,
    settings: Settings,
    login_id: str,
    password: str,
    ip: str,
) -> Session | OpsChallenge:
    """A session for a member, or a TOTP challenge for an operator.

    Wrong passwords and unknown login IDs are answered alike and counted
    alike by the throttle; only a correct password learns the account state.
    The attempt is reserved before the password is checked, so parallel guesses
    cannot pass the limit together (issue 19 item 1).
    """
    wait = await throttle.reserve(login_id, ip)
    if wait:
        raise LoginLocked(wait)
    # The password is checked outside any transaction: argon2id takes tens of
    # milliseconds of CPU, and a pooled connection held meanwhile would make every
    # other request of the process queue behind the logins (issue 9 profile).
    found = await logins.holder(login_id)
    ok = await passwords.verify(found.password_hash if found else None, password)
    if found is None or not ok:
        locked_for = await throttle.failed(login_id, ip)
        if locked_for and found is not None:
            await _record_lockout(uow, found, seconds=locked_for, ip=ip)
        raise LoginLocked(locked_for) if locked_for else InvalidCredentials()
    await throttle.succeeded(login_id, ip)
    # The common login, an active member's with a current hash, is one statement
    # without a unit of work; an operator, an account not active, a hash to upgrade or
    # an account changed since it was read take the transaction.
    common = found.status == ACTIVE and not found.is_operator
    if common and not passwords.needs_rehash(found.password_hash):
        session = await _open_member_session(uow, logins, keys, settings, found, ip=ip)
        if session is not None:
            return session
    return await _log_in_checked(
        uow=uow,
        passwords=passwords,
        challenges=challenges,
        keys=keys,
        secret_box=secret_box,
        settings=settings,
        login_id=login_id,
        password=password,
        stored=found.password_hash,
        ip=ip,
    )


async def _open_member_session(
    uow: IdentityUnitOfWork,
    logins: LoginStore,
    keys: KeyRing,
    settings: Settings,
    member: Member,
    *,
    ip: str,
) -> Session | None:
    """A member's session and its audit row in one statement, stored only if the account
    is still as it was read; None (nothing stored) when it changed meanwhile.

    Whatever a login does besides argon2id runs on the cores the hashes need: through
    the unit of work this part took most of the event loop's time per login (two ORM
    transactions and their pool pings), and logins reached 76% of the bare hash rate
    (issue 20). The signing key is the process's cached one; a transaction reads it
    only when it is due (the first login, then once a minute)."""
    now = uow.now()
    first, refresh_token = RefreshToken.open_family(
        member_id=member.id,
        roles=["member"],
        ttl_seconds=settings.refresh_token_ttl_seconds,
        now=now,
    )
    claims = member.claims(["member"], first.family_id)
    access = keys.cached_access_token(claims)
    if access is None:
        async with uow:
            access = await keys.access_token(uow.signing_keys, claims)
            await uow.commit()
    audit = own_action_entry(member.id, "member.login", at=now, ip=ip)
    if not await logins.open_session(first, member, audit):
        return None
    return Session(access, settings.access_token_ttl_seconds, refresh_token)


async def _log_in_checked(
    *,
    uow: IdentityUnitOfWork,
    passwords: Passwords,
    challenges: LoginChallenges,
    keys: KeyRing,
    secret_box: SecretBox,
    settings: Settings,
    login_id: str,
    password: str,
    stored: str,
    ip: str,
) -> Session | OpsChallenge:
    """The rest of a login whose password matched ``stored``, in a transaction: an
    operator's challenge, a refusal of an account not active, a hash upgraded, or a
    session when the account changed since it was read."""
    async with uow:
        member = await uow.members.by_login_id(login_id)
        if member is None or member.password_hash != stored:
            # The password changed (or the account went) between the check and now.
            raise InvalidCredentials()
        member.check_may_log_in()
        if passwords.needs_rehash(member.password_hash):
            member.change_password_hash(await passwords.hash(password))
        if member.is_operator:
            challenge = await _ops_challenge(challenges, secret_box, settings, member)
            await uow.commit()
            return challenge
        session = await _open_session(uow, keys, settings, member, ["member"])
        audit_own_action(uow, member.id, "member.login", ip=ip)
        await uow.commit()
        return session


async def _record_lockout(
    uow: IdentityUnitOfWork, member: Member, *, seconds: int, ip: str
) -> None:
    """R34: the lockout is a security event of the member whose login ID was tried."""
    async with uow:
        audit_own_action(uow, member.id, "member.login_locked", locked_seconds=seconds, ip=ip)
        await uow.commit()


async def _ops_challenge(
    challenges: LoginChallenges, secret_box: SecretBox, settings: Settings, member: Member
) -> OpsChallenge:
    """A short-lived challenge an operator completes with a TOTP code (R29).
    At first login the TOTP secret is created and its provisioning URI returned."""
    enrollment = member.start_totp_enrollment(issuer=settings.totp_issuer)
    if enrollment is not None:
        member.keep_totp_secret(secret_box.seal(enrollment.secret))
    ttl = settings.login_challenge_ttl_seconds
    challenge = await challenges.open(member.id, ttl_seconds=ttl)
    return OpsChallenge(challenge_token=challenge, expires_in=ttl, totp_enrollment=enrollment)


async def login_totp(
    *,
    uow: IdentityUnitOfWork,
    challenges: LoginChallenges,
    throttle: LoginThrottle,
    keys: KeyRing,
    secret_box: SecretBox,
    settings: Settings,
    challenge: str,
    code: str,
) -> Session:
    """Complete an operator's login with the TOTP code; the ``ops`` role needs both factors.

    Each code is counted before it is checked, on the challenge (ended after
    ``TOTP_MAX_FAILURES_PER_CHALLENGE`` codes) and on the operator (locked after
    ``TOTP_MAX_FAILURES_PER_OPERATOR`` wrong ones across challenges): the six digits
    cannot be tried from many addresses at once (issue 19 item 2).
    """
    max_codes = settings.totp_max_failures_per_challenge
    member_id = await challenges.try_code(challenge, max_codes=max_codes)
    if member_id is None:
        raise TotpInvalid()
    wait = await throttle.reserve_totp(member_id)
    if wait:
        raise LoginLocked(wait)
    async with uow:
        member = await member_by_id(uow, member_id, lock=True)
        secret = secret_box.open(member.sealed_totp_secret())
        if not totp_accepts(secret, code) or not await challenges.use_code(member.id, code):
            await challenges.wrong_code(challenge, max_codes=max_codes)
            locked_for = await throttle.totp_failed(member.id)
            raise LoginLocked(locked_for) if locked_for else TotpInvalid()
        await challenges.close(challenge)
        await throttle.totp_succeeded(member.id)
        member.complete_totp_login()
        session = await _open_session(uow, keys, settings, member, ["ops"])
        uow.audit(
            actor=str(member.id),
            action="ops.login",
            target=f"member:{member.id}",
            entity="operator",
        )
        await uow.commit()
        return session


async def refresh(
    *,
    uow: IdentityUnitOfWork,
    keys: KeyRing,
    settings: Settings,
    rotations: RecentRotations,
    token: str,
) -> Session:
    """Rotate a refresh token; a reused one revokes its family (401).

    Within ``REFRESH_GRACE_SECONDS`` of its rotation a token is answered with the
    pair it was rotated into, not taken for a stolen one: two tabs refreshing at
    once both keep the session (issue 19 item 6).
    """
    token_hash = digest(token)
    async with uow:
        current = await uow.sessions.find(token_hash, lock=True)
        if current is None:
            raise SessionInvalid()
        try:
            successor, successor_token = current.rotate(now=uow.now())
        except RefreshTokenReused:
            if current.rotated_within(rotations.grace_seconds, now=uow.now()):
                pair = await rotations.recall(token_hash)
                if pair is not None:
                    return Session(
                        pair.access_token, settings.access_token_ttl_seconds, pair.refresh_token
                    )
            # Stolen or replayed: the whole family goes, and stays gone after the 401.
            await uow.sessions.revoke(
                member_id=current.member_id, family=current.family_id, now=uow.now()
            )
            await uow.commit()
            raise
        uow.sessions.add(successor)
        member = await member_by_id(uow, current.member_id)
        member.check_session()
        access = await keys.access_token(
            uow.signing_keys, member.claims(current.role_list, current.family_id)
        )
        # Before the commit ends the row lock: a second refresh of the same token
        # waits for the lock and then finds the pair.
        await rotations.remember(token_hash, RotatedPair(access, successor_token))
        await uow.commit()
        return Session(access, settings.access_token_ttl_seconds, successor_token)


async def logout(*, uow: IdentityUnitOfWork, token: str) -> None:
    """Revoke the session family of ``token`` (unknown tokens are ignored)."""
    async with uow:
        found = await uow.sessions.find(digest(token))
        if found is not None:
            await uow.sessions.revoke(
                member_id=found.member_id, family=found.family_id, now=uow.now()
            )
            await uow.commit()


async def published_keys(*, uow: IdentityUnitOfWork, keys: KeyRing) -> list[dict[str, str]]:
    """The public keys verifying access tokens (the first call creates the first key)."""
    async with uow:
        jwks = await keys.jwks(uow.signing_keys)
        await uow.commit()
        return jwks
