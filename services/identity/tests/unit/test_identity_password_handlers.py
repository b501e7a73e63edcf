"""R5, R9, R10: password rules, change and reset, run with a fake unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bizmall_events.identity import PasswordResetRequested
from identity.domain.errors import FieldsInvalid, LinkTokenRefused, WrongCurrentPassword
from identity.domain.tokens import digest
from identity.service_layer import my_page, password_reset

from .world import NOW, PASSWORD, World, registration_of

NEW = "a brand new secret 9"


async def _request_reset(world: World, email: str) -> None:
    await world.request_reset(email)


async def _reset_token(world: World, email: str) -> str:
    await _request_reset(world, email)
    return world.unseal(world.uow.events_of(PasswordResetRequested)[-1].sealed_reset_token)


async def _confirm(world: World, token: str, new_password: str = NEW) -> None:
    await password_reset.confirm_password_reset(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        token=token,
        new_password=new_password,
    )


async def test_r10_a_reset_link_valid_one_hour_is_sent_to_an_active_member() -> None:
    world = World()
    member = await world.verified_member()
    await _request_reset(world, member.login_id.upper())
    [event] = world.uow.events_of(PasswordResetRequested)
    assert event.member_id == member.id
    assert event.token_expires_at == NOW + timedelta(hours=1)
    assert digest(world.unseal(event.sealed_reset_token)) in world.uow.link_tokens.items


async def test_r10_unknown_unverified_or_operator_emails_get_no_link() -> None:
    world = World()
    unverified = await world.register()
    await _request_reset(world, "nobody@example.com")
    await _request_reset(world, unverified.login_id)
    assert world.uow.events_of(PasswordResetRequested) == []


async def test_r10_the_reset_sets_the_password_and_revokes_every_session() -> None:
    world = World()
    member = await world.verified_member()
    await world.session_of(member)
    await world.session_of(member)
    await _confirm(world, await _reset_token(world, member.login_id))
    assert member.password_hash == f"hash:{NEW}"
    assert world.uow.sessions.live_families(member.id) == set()


async def test_r34_a_password_reset_is_audited_as_the_members_own_security_event() -> None:
    world = World()
    member = await world.verified_member()
    await _confirm(world, await _reset_token(world, member.login_id))
    [entry] = world.uow.audited("member.password_reset")
    assert (entry.actor, entry.member_id, entry.entity) == (str(member.id), member.id, "member")
    assert entry.target == f"member:{member.id}" and entry.details == {}


async def test_r10_a_reset_link_works_once() -> None:
    world = World()
    member = await world.verified_member()
    token = await _reset_token(world, member.login_id)
    await _confirm(world, token)
    with pytest.raises(LinkTokenRefused) as refused:
        await _confirm(world, token, "yet another secret 7")
    assert refused.value.code == "token.used" and "resend" not in refused.value.extra
    assert member.password_hash == f"hash:{NEW}"


async def test_r10_a_reset_link_expires_after_an_hour() -> None:
    world = World()
    member = await world.verified_member()
    token = await _reset_token(world, member.login_id)
    world.later(hours=1)
    with pytest.raises(LinkTokenRefused) as refused:
        await _confirm(world, token)
    assert refused.value.code == "token.expired"
    assert member.password_hash == f"hash:{PASSWORD}"


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [("short-pw", "12"), ("password1234", "common"), ("x" * 129, "128")],
)
async def test_r5_a_new_password_follows_the_password_rules(new_password: str, reason: str) -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(FieldsInvalid) as refused:
        await _confirm(world, await _reset_token(world, member.login_id), new_password)
    [error] = refused.value.errors or []
    assert error["field"] == "new_password" and reason in error["message"]
    assert refused.value.code == "request.invalid"


async def test_r5_a_new_password_is_neither_the_login_id_nor_the_contact_email() -> None:
    world = World()
    member = await world.verified_member(registration_of("Someone.Long@example.co.jp"))
    for candidate in ("someone.long@example.co.jp", "SOMEONE.LONG@EXAMPLE.CO.JP"):
        with pytest.raises(FieldsInvalid, match="invalid fields"):
            await _confirm(world, await _reset_token(world, member.login_id), candidate)


async def _change(world: World, member_id, session_id, current: str, new: str) -> None:  # type: ignore[no-untyped-def]
    await my_page.change_password(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        member_id=member_id,
        session_id=session_id,
        current=current,
        new=new,
    )


async def test_r9_a_password_change_needs_the_current_password() -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(WrongCurrentPassword) as refused:
        await _change(world, member.id, None, "not the password", NEW)
    assert refused.value.code == "auth.current_password_wrong"
    assert member.password_hash == f"hash:{PASSWORD}"


async def test_r9_a_password_change_keeps_this_session_and_revokes_the_others() -> None:
    world = World()
    member = await world.verified_member()
    this = await world.session_of(member)
    await world.session_of(member)
    this_family = world.uow.sessions.items[digest(this.refresh_token)].family_id
    await _change(world, member.id, str(this_family), PASSWORD, NEW)
    assert member.password_hash == f"hash:{NEW}"
    assert world.uow.sessions.live_families(member.id) == {this_family}


async def test_r9_a_weak_new_password_is_refused_in_my_page_too() -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(FieldsInvalid):
        await _change(world, member.id, None, PASSWORD, "password1234")
