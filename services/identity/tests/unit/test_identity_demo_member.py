"""Issue 18: the demo member the local seed creates — verified, announced to the other
services with its profile, and created once (run on a fake unit of work)."""

from __future__ import annotations

from bizmall_events.identity import MemberRegistered, MemberVerified
from identity.service_layer.demo_member import seed_demo_member
from servicekit.demo import DEFAULT_DEMO_MEMBER_EMAIL, DEMO_MEMBER_ID

from .world import World


async def _seed(world: World) -> bool:
    return await seed_demo_member(
        uow=world.uow,
        passwords=world.passwords,  # type: ignore[arg-type]
        settings=world.settings,
    )


async def test_the_seed_creates_the_demo_member_verified_under_its_fixed_id() -> None:
    world = World()
    assert await _seed(world)
    member = world.member(DEFAULT_DEMO_MEMBER_EMAIL)
    assert member.id == DEMO_MEMBER_ID and member.status == "active"
    assert member.entity_type == "corporation" and member.name_kana == "ヤマダ タロウ"
    # The other services learn of it from the verification (their copies), and no
    # verification email is asked for.
    [verified] = world.uow.events_of(MemberVerified)
    assert verified.member_id == DEMO_MEMBER_ID
    assert verified.profile.organization_name == "デモ商事株式会社"
    assert world.uow.events_of(MemberRegistered) == []


async def test_seeding_twice_adds_nothing() -> None:
    world = World()
    assert await _seed(world)
    assert not await _seed(world)
    assert len(world.uow.events_of(MemberVerified)) == 1


async def test_an_empty_demo_email_leaves_the_demo_member_out() -> None:
    world = World()
    world.settings = world.settings.model_copy(update={"demo_member_email": ""})
    assert not await _seed(world)
    assert world.uow.committed == 0
