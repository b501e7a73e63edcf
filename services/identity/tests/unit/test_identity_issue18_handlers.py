"""Issue 18 on the fake unit of work: re-registration after withdrawal (R8), the kana
reading and department (R5), the resend cooldown (R6, R10) and operators' second
factor: enrolled in the terminal, reset by another operator (R29)."""

from __future__ import annotations

import pyotp
import pytest

from bizmall_events.identity import MemberRegistered, RegistrationAttemptedExisting
from identity.domain.errors import OperatorNotFound, OwnSecondFactor, ResendTooSoon
from identity.domain.member import Member
from identity.domain.tokens import digest
from identity.service_layer import my_page, operators, sessions

from .world import NOW, PASSWORD, World, registration_of


async def _operator(world: World, email: str) -> Member:
    operator = Member.operator(login_id=email, password_hash=f"hash:{PASSWORD}", now=NOW)
    world.uow.members.put(operator)
    return operator


async def _enrolled_session(world: World, operator: Member) -> sessions.Session:
    challenge = await world.login(operator.login_id)
    assert isinstance(challenge, sessions.OpsChallenge) and challenge.totp_enrollment
    code = pyotp.TOTP(challenge.totp_enrollment.secret).now()
    return await world.login_totp(challenge.challenge_token, code)


# --- R8: withdrawal releases the login ID ---------------------------------------------------


async def test_r8_a_withdrawn_members_address_registers_again_under_a_new_member_id() -> None:
    world = World()
    old = await world.verified_member(registration_of("again@example.co.jp", department="総務部"))
    old.withdraw()
    world.later(days=3)
    new = await world.register(registration_of("again@example.co.jp", department="情報システム部"))
    assert new.id != old.id and new.login_id == old.login_id
    assert (old.status, new.status) == ("withdrawn", "pending_verification")
    assert old.department == "総務部", "the withdrawn account's record is untouched"
    assert [e.member_id for e in world.uow.events_of(MemberRegistered)][-1] == new.id
    assert world.uow.events_of(RegistrationAttemptedExisting) == []
    async with world.uow:
        assert await world.uow.members.by_login_id("AGAIN@example.co.jp") is new


async def test_r8_a_live_account_keeps_its_login_id_from_a_second_registration() -> None:
    world = World()
    first = await world.verified_member(registration_of("taken@example.co.jp"))
    await world.register(registration_of("taken@example.co.jp", name="別人"))
    assert [m.id for m in world.uow.members] == [first.id]
    [attempt] = world.uow.events_of(RegistrationAttemptedExisting)
    assert attempt.member_id == first.id


# --- R5: kana reading and department --------------------------------------------------------


async def test_r5_kana_and_department_are_stored_and_the_kana_can_be_corrected() -> None:
    world = World()
    member = await world.verified_member(
        registration_of(name_kana="ヤマダ タロウ", department="経理部")
    )
    assert (member.name_kana, member.department) == ("ヤマダ タロウ", "経理部")
    await my_page.update_me(
        uow=world.uow,
        event_box=world.event_box,
        settings=world.settings,
        member_id=member.id,
        changes={"name": "山田 花子", "name_kana": "ヤマダ ハナコ"},
    )
    assert (member.name, member.name_kana) == ("山田 花子", "ヤマダ ハナコ")


# --- R6/R10: the resend cooldown ----------------------------------------------------------


async def test_r6_a_resend_within_the_cooldown_is_refused_alike_for_any_address() -> None:
    world = World()
    member = await world.register()
    refusals = []
    for email in (member.login_id, "stranger@example.com", "verified@example.co.jp"):
        await world.resend_verification(email)
        with pytest.raises(ResendTooSoon) as refused:
            await world.resend_verification(email)
        refusals.append((refused.value.code, refused.value.retry_after))
    assert len(set(refusals)) == 1, refusals
    assert refusals[0] == (
        "auth.resend_too_soon",
        world.settings.verification_resend_cooldown_seconds,
    )


# --- R29: operators' second factor ----------------------------------------------------------


async def test_r29_an_operator_enrolled_in_the_terminal_is_asked_for_a_code_at_once() -> None:
    world = World()
    enrollment = await operators.create_operator_enrolled(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        secret_box=world.secret_box,
        issuer="bizmall",
        email="First.Ops@bizmall.example",
        password=PASSWORD,
    )
    assert enrollment is not None
    assert enrollment.provisioning_uri.startswith("otpauth://totp/bizmall:first.ops%40")
    challenge = await world.login("first.ops@bizmall.example")
    assert isinstance(challenge, sessions.OpsChallenge)
    assert challenge.totp_enrollment is None, "the secret is never shown on the web"
    code = pyotp.TOTP(enrollment.secret).now()
    session = await world.login_totp(challenge.challenge_token, code)
    assert session.access_token.endswith(":ops")
    [created] = world.uow.audited("ops.account_created")
    assert created.details["second_factor"] == "enrolled_in_terminal"
    again = await operators.create_operator_enrolled(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        secret_box=world.secret_box,
        issuer="bizmall",
        email="first.ops@bizmall.example",
        password=PASSWORD,
    )
    assert again is None


async def test_r29_an_operator_resets_anothers_second_factor_audited_and_sessions_end() -> None:
    world = World()
    alice = await _operator(world, "alice@bizmall.example")
    bob = await _operator(world, "bob@bizmall.example")
    await _enrolled_session(world, alice)
    bob_session = await _enrolled_session(world, bob)
    assert bob.totp_enrolled
    reset = await operators.reset_second_factor(uow=world.uow, actor=alice.id, operator_id=bob.id)
    assert reset is bob and (bob.totp_enrolled, bob.totp_secret) == (False, None)
    assert world.uow.sessions.items[digest(bob_session.refresh_token)].revoked_at == NOW
    [entry] = world.uow.audited("ops.second_factor_reset")
    assert (entry.actor, entry.target) == (str(alice.id), f"member:{bob.id}")
    again = await world.login(bob.login_id)
    assert isinstance(again, sessions.OpsChallenge) and again.totp_enrollment is not None
    listed = await operators.list_operators(uow=world.uow)
    assert sorted(o.login_id for o in listed) == ["alice@bizmall.example", "bob@bizmall.example"]


async def test_r29_nobody_resets_their_own_second_factor_or_a_members() -> None:
    world = World()
    alice = await _operator(world, "alice@bizmall.example")
    await _enrolled_session(world, alice)
    member = await world.verified_member()
    with pytest.raises(OwnSecondFactor):
        await operators.reset_second_factor(uow=world.uow, actor=alice.id, operator_id=alice.id)
    with pytest.raises(OperatorNotFound):
        await operators.reset_second_factor(uow=world.uow, actor=alice.id, operator_id=member.id)
    assert alice.totp_enrolled and alice.totp_secret is not None
    assert world.uow.audited("ops.second_factor_reset") == []
