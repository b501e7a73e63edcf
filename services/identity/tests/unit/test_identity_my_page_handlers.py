"""R8, R9, R11: My Page's profile and contact email, run with a fake unit of work."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from bizmall_events.identity import MemberEmailChangeRequested, MemberProfileChanged
from identity.domain.errors import LinkTokenRefused, MemberNotFound, SessionInvalid
from identity.service_layer import my_page

from .world import World


async def _update(world: World, member_id, changes=None, contact_email=None):  # type: ignore[no-untyped-def]
    return await my_page.update_me(
        uow=world.uow,
        event_box=world.event_box,
        settings=world.settings,
        member_id=member_id,
        changes=changes or {},
        contact_email=contact_email,
    )


def _last_confirmation_token(world: World) -> str:
    event = world.uow.events_of(MemberEmailChangeRequested)[-1]
    return world.unseal(event.sealed_confirmation_token)


async def test_r9_a_profile_change_publishes_the_whole_profile_with_its_version() -> None:
    world = World()
    member = await world.verified_member()
    await _update(
        world, member.id, {"name": "山田 花子", "postal_code": "1500001", "language": "en"}
    )
    [event] = world.uow.events_of(MemberProfileChanged)
    assert event.aggregate_version == 3  # registered 1, verified 2, changed 3
    assert (event.profile.name, event.profile.postal_code, event.profile.language) == (
        "山田 花子",
        "1500001",
        "en",
    )
    assert event.profile.address == member.address, "the whole profile, not the change"


async def test_r9_an_unchanged_profile_publishes_nothing_and_keeps_its_version() -> None:
    world = World()
    member = await world.verified_member()
    await _update(world, member.id, {"name": member.name})
    assert world.uow.events_of(MemberProfileChanged) == [] and member.version == 2


async def test_r8_the_login_id_is_not_among_the_fields_a_member_changes() -> None:
    world = World()
    member = await world.verified_member()
    login_id = member.login_id
    await _update(world, member.id, {"login_id": "other@example.com"})
    assert member.login_id == login_id and member.version == 2


async def test_r9_a_new_contact_email_waits_for_the_link_sent_to_it() -> None:
    world = World()
    member = await world.verified_member()
    new_email = "new-" + member.login_id
    shown = await _update(world, member.id, contact_email=new_email)
    assert shown.contact_email == member.login_id and shown.pending_contact_email == new_email
    [event] = world.uow.events_of(MemberEmailChangeRequested)
    assert event.new_email == new_email
    assert event.token_expires_at == world.uow.now() + timedelta(hours=24)
    assert world.uow.events_of(MemberProfileChanged) == []


async def test_r8_confirming_changes_the_contact_email_but_never_the_login_id() -> None:
    world = World()
    member = await world.verified_member()
    login_id, new_email = member.login_id, "new-" + member.login_id
    await _update(world, member.id, contact_email=new_email)
    confirmed = await my_page.confirm_email_change(
        uow=world.uow, token=_last_confirmation_token(world)
    )
    assert confirmed.contact_email == new_email and confirmed.login_id == login_id
    assert confirmed.pending_contact_email is None
    [event] = world.uow.events_of(MemberProfileChanged)
    assert event.profile.contact_email == new_email and event.aggregate_version == 3


async def test_r9_only_the_latest_email_change_link_confirms() -> None:
    world = World()
    member = await world.verified_member()
    await _update(world, member.id, contact_email="first@example.com")
    first = _last_confirmation_token(world)
    await _update(world, member.id, contact_email="second@example.com")
    with pytest.raises(LinkTokenRefused) as refused:
        await my_page.confirm_email_change(uow=world.uow, token=first)
    assert refused.value.code == "token.used"
    assert member.contact_email == member.login_id


async def test_r9_the_same_address_as_now_asks_for_no_confirmation() -> None:
    world = World()
    member = await world.verified_member()
    await _update(world, member.id, contact_email=member.contact_email.upper())
    assert world.uow.events_of(MemberEmailChangeRequested) == []
    assert member.pending_contact_email is None


async def test_r11_a_withdrawn_members_token_no_longer_reaches_my_page() -> None:
    world = World()
    member = await world.verified_member()
    member.withdraw()
    with pytest.raises(SessionInvalid):
        await my_page.get_me(uow=world.uow, member_id=member.id)
    with pytest.raises(SessionInvalid):
        await _update(world, member.id, {"name": "x"})


async def test_r9_my_page_of_an_unknown_member_is_not_found() -> None:
    world = World()
    with pytest.raises(MemberNotFound):
        await my_page.get_me(uow=world.uow, member_id=uuid.uuid4())
