"""R4, R6, R11, R29: login, lockout, sessions and operators' second factor, run with
a fake unit of work, a fake throttle and a fake key ring (no database, no Redis)."""

from __future__ import annotations

import pyotp
import pytest

from identity.domain.errors import (
    AccountWithdrawn,
    EmailUnverified,
    InvalidCredentials,
    LoginLocked,
    RefreshTokenReused,
    SessionInvalid,
    TotpInvalid,
)
from identity.domain.member import Member
from identity.domain.tokens import digest
from identity.service_layer import sessions

from .world import NOW, PASSWORD, World


async def _operator(world: World, email: str = "ops@bizmall.example") -> Member:
    operator = Member.operator(login_id=email, password_hash=f"hash:{PASSWORD}", now=NOW)
    world.uow.members.put(operator)
    return operator


async def test_r4_a_member_login_opens_a_session_family_with_the_member_role() -> None:
    world = World()
    member = await world.verified_member()
    session = await world.session_of(member)
    assert session.access_token == f"access:{member.id}:member"
    assert session.expires_in == world.settings.access_token_ttl_seconds
    stored = world.uow.sessions.items[digest(session.refresh_token)]
    assert stored.member_id == member.id and stored.roles == "member"
    claims = world.keys.claims[-1]
    assert claims["email_verified"] is True and claims["sid"] == str(stored.family_id)


async def test_r4_wrong_password_and_unknown_login_id_are_refused_alike() -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(InvalidCredentials) as wrong:
        await world.login(member.login_id, "wrong password 123")
    with pytest.raises(InvalidCredentials) as unknown:
        await world.login("nobody@example.com", "wrong password 123")
    assert (wrong.value.code, wrong.value.en) == (unknown.value.code, unknown.value.en)


async def test_r4_the_fifth_failure_from_one_address_locks_the_login_id_there() -> None:
    world = World()
    member = await world.verified_member()
    for _ in range(world.settings.login_max_failures_per_account_address - 1):
        with pytest.raises(InvalidCredentials):
            await world.login(member.login_id, "wrong password 123")
    with pytest.raises(LoginLocked) as locked:
        await world.login(member.login_id, "wrong password 123")
    assert locked.value.retry_after == world.settings.login_lockout_seconds
    with pytest.raises(LoginLocked):
        await world.login(member.login_id, PASSWORD)


async def test_r4_a_locked_login_id_is_refused_before_its_password_is_checked() -> None:
    world = World()
    member = await world.verified_member()
    world.throttle.locked[("account", member.login_id)] = 30
    with pytest.raises(LoginLocked) as locked:
        await world.login(member.login_id, PASSWORD)
    assert locked.value.retry_after == 30 and world.passwords.verified_in_transaction == []


async def test_r4_unknown_login_ids_are_locked_out_like_known_ones() -> None:
    world = World()
    limit = world.settings.login_max_failures_per_account_address
    answers = []
    for _ in range(limit):
        try:
            await world.login("ghost@example.com", "whatever password")
        except (InvalidCredentials, LoginLocked) as exc:
            answers.append(type(exc))
    assert answers == [InvalidCredentials] * (limit - 1) + [LoginLocked]


async def test_r4_a_correct_password_forgets_the_earlier_failures() -> None:
    world = World()
    member = await world.verified_member()
    for _ in range(world.settings.login_max_failures_per_account_address - 1):
        with pytest.raises(InvalidCredentials):
            await world.login(member.login_id, "wrong password 123")
    await world.session_of(member)
    with pytest.raises(InvalidCredentials):
        await world.login(member.login_id, "wrong password 123")


async def test_r4_the_password_is_verified_outside_any_transaction() -> None:
    """argon2id takes tens of milliseconds: no connection is held meanwhile (issue 9)."""
    world = World()
    member = await world.verified_member()
    await world.session_of(member)
    with pytest.raises(InvalidCredentials):
        await world.login(member.login_id, "wrong password 123")
    assert world.passwords.verified_in_transaction == [False, False]


async def test_r4_a_hash_with_old_parameters_is_upgraded_at_login() -> None:
    world = World()
    member = await world.verified_member()
    member.password_hash = f"old:{PASSWORD}"
    await world.session_of(member)
    assert member.password_hash == f"hash:{PASSWORD}"


async def test_r6_an_unverified_account_cannot_log_in_even_with_the_right_password() -> None:
    world = World()
    member = await world.register()
    with pytest.raises(EmailUnverified) as refused:
        await world.login(member.login_id)
    assert refused.value.extra["resend"] == "/api/v1/auth/verify-email/resend"
    assert len(world.uow.sessions) == 0


async def test_r11_a_withdrawn_account_cannot_log_in() -> None:
    world = World()
    member = await world.verified_member()
    member.withdraw()
    with pytest.raises(AccountWithdrawn):
        await world.login(member.login_id)


async def test_r4_refresh_rotates_the_token_within_its_family() -> None:
    world = World()
    member = await world.verified_member()
    first = await world.session_of(member)
    second = await world.refresh(first.refresh_token)
    old = world.uow.sessions.items[digest(first.refresh_token)]
    new = world.uow.sessions.items[digest(second.refresh_token)]
    assert old.rotated_at == NOW and new.family_id == old.family_id
    assert new.expires_at == old.expires_at


async def test_r4_a_reused_refresh_token_revokes_its_whole_family() -> None:
    world = World()
    member = await world.verified_member()
    first = await world.session_of(member)
    second = await world.refresh(first.refresh_token)
    world.later(seconds=world.settings.refresh_grace_seconds)
    commits = world.uow.committed
    with pytest.raises(RefreshTokenReused):
        await world.refresh(first.refresh_token)
    assert world.uow.committed == commits + 1, "the revocation is kept despite the 401"
    assert world.uow.sessions.items[digest(second.refresh_token)].revoked_at == world.uow.now()
    with pytest.raises(SessionInvalid):
        await world.refresh(second.refresh_token)


async def test_r11_a_withdrawn_member_cannot_refresh() -> None:
    world = World()
    member = await world.verified_member()
    session = await world.session_of(member)
    member.withdraw()
    with pytest.raises(SessionInvalid):
        await world.refresh(session.refresh_token)


async def test_r4_logout_revokes_the_session_family() -> None:
    world = World()
    member = await world.verified_member()
    kept = await world.session_of(member)
    gone = await world.session_of(member)
    await sessions.logout(uow=world.uow, token=gone.refresh_token)
    assert world.uow.sessions.live_families(member.id) == {
        world.uow.sessions.items[digest(kept.refresh_token)].family_id
    }


async def test_r29_an_operator_gets_a_totp_challenge_and_enrols_once() -> None:
    world = World()
    operator = await _operator(world)
    first = await world.login(operator.login_id)
    assert isinstance(first, sessions.OpsChallenge) and first.totp_enrollment is not None
    assert first.totp_enrollment.provisioning_uri.startswith("otpauth://totp/")
    assert operator.totp_secret is not None
    assert world.secret_box.open(operator.totp_secret) == first.totp_enrollment.secret
    assert world.uow.sessions.items == {}, "no session before the second factor"
    second = await world.login(operator.login_id)
    assert isinstance(second, sessions.OpsChallenge)
    assert second.totp_enrollment is not None, "enrolment is done by the first TOTP login"


async def _totp_login(world: World, challenge: str, code: str) -> sessions.Session:
    return await world.login_totp(challenge, code)


async def test_r29_the_totp_code_completes_an_audited_login_with_the_ops_role() -> None:
    world = World()
    operator = await _operator(world)
    challenge = await world.login(operator.login_id)
    assert isinstance(challenge, sessions.OpsChallenge) and challenge.totp_enrollment
    code = pyotp.TOTP(challenge.totp_enrollment.secret).now()
    session = await _totp_login(world, challenge.challenge_token, code)
    assert session.access_token == f"access:{operator.id}:ops"
    assert operator.totp_enrolled is True
    [entry] = world.uow.audited("ops.login")
    assert entry.target == f"member:{operator.id}"
    again = await world.login(operator.login_id)
    assert isinstance(again, sessions.OpsChallenge) and again.totp_enrollment is None


async def test_r29_a_wrong_code_or_unknown_challenge_is_refused() -> None:
    world = World()
    operator = await _operator(world)
    challenge = await world.login(operator.login_id)
    assert isinstance(challenge, sessions.OpsChallenge) and challenge.totp_enrollment
    right = pyotp.TOTP(challenge.totp_enrollment.secret).now()
    wrong = "000000" if right != "000000" else "111111"
    with pytest.raises(TotpInvalid):
        await _totp_login(world, challenge.challenge_token, wrong)
    with pytest.raises(TotpInvalid):
        await _totp_login(world, "no-such-challenge", right)
    assert operator.totp_enrolled is False and world.uow.audited("ops.login") == []


async def test_r29_a_totp_code_is_good_for_one_login_only() -> None:
    world = World()
    operator = await _operator(world)
    first = await world.login(operator.login_id)
    assert isinstance(first, sessions.OpsChallenge) and first.totp_enrollment
    code = pyotp.TOTP(first.totp_enrollment.secret).now()
    await _totp_login(world, first.challenge_token, code)
    second = await world.login(operator.login_id)
    assert isinstance(second, sessions.OpsChallenge)
    with pytest.raises(TotpInvalid):
        await _totp_login(world, second.challenge_token, code)


async def test_r29_a_member_cannot_take_the_ops_route() -> None:
    world = World()
    member = await world.verified_member()
    challenge = await world.challenges.open(member.id, ttl_seconds=300)
    with pytest.raises(TotpInvalid):
        await _totp_login(world, challenge, "123456")


async def test_issue20_a_member_login_writes_its_session_and_audit_row_in_one_statement() -> None:
    """The common login takes no unit of work: the login store writes the session
    family and its audit row together, off the cores' other work."""
    world = World()
    member = await world.verified_member()
    commits = world.uow.committed
    session = await world.login(member.login_id, ip="198.51.100.7")
    assert isinstance(session, sessions.Session)
    assert world.logins.opened == 1 and world.uow.committed == commits
    stored = world.uow.sessions.items[digest(session.refresh_token)]
    assert stored.member_id == member.id and stored.roles == "member"
    [entry] = world.uow.audited("member.login")
    assert (entry.actor, entry.target, entry.entity) == (
        str(member.id),
        f"member:{member.id}",
        "member",
    )
    assert entry.member_id == member.id and entry.details == {"ip": "198.51.100.7"}


async def test_issue20_a_password_changed_while_it_was_checked_is_refused() -> None:
    world = World()
    member = await world.verified_member()
    world.logins.change_before_write = lambda: setattr(member, "password_hash", "hash:other one")
    with pytest.raises(InvalidCredentials):
        await world.login(member.login_id)
    assert world.logins.refused == 1 and len(world.uow.sessions) == 0
    assert world.uow.audited("member.login") == []


async def test_issue20_an_account_withdrawn_while_its_password_was_checked_is_refused() -> None:
    world = World()
    member = await world.verified_member()
    world.logins.change_before_write = member.withdraw
    with pytest.raises(AccountWithdrawn):
        await world.login(member.login_id)
    assert len(world.uow.sessions) == 0


async def test_issue20_a_login_reads_the_signing_key_only_when_the_cached_one_is_due() -> None:
    world = World()
    member = await world.verified_member()
    world.keys.key_stale = True  # a new process, or the once-a-minute re-check
    first = await world.session_of(member)
    second = await world.session_of(member)
    assert world.keys.key_reads == 1
    assert first.access_token == second.access_token == f"access:{member.id}:member"
    assert world.logins.opened == 2
