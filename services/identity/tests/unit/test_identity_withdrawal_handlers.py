"""R11: withdrawal requests checked with ordering and confirmed by ops, run with a
fake unit of work and a fake ordering (no database, no HTTP)."""

from __future__ import annotations

import uuid

import pytest

from bizmall_events.identity import BlockingItem, MemberProfileChanged, WithdrawalDecided
from bizmall_events.values import LocalizedText
from identity.domain.errors import OrderingUnreachable, WithdrawalNotFound, WithdrawalNotPending
from identity.domain.member import Member
from identity.service_layer import withdrawal

from .world import World

OPS = "ops-1"


def _contract() -> BlockingItem:
    return BlockingItem(
        kind="contract",
        id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        service_name=LocalizedText(ja="専用サーバー", en="Dedicated server"),
    )


async def _request(world: World, member: Member):  # type: ignore[no-untyped-def]
    return await withdrawal.request_withdrawal(
        uow=world.uow,
        ordering=world.ordering,  # type: ignore[arg-type]
        member_id=member.id,
    )


async def _confirm(world: World, withdrawal_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return await withdrawal.confirm(
        uow=world.uow,
        ordering=world.ordering,  # type: ignore[arg-type]
        withdrawal_id=withdrawal_id,
        actor=OPS,
    )


async def test_r11_a_request_is_refused_at_once_naming_what_blocks_it() -> None:
    world = World()
    member = await world.verified_member()
    blocker = _contract()
    world.ordering.blockers[member.id] = (blocker,)
    request = await _request(world, member)
    assert (request.public_status, request.stage) == ("refused", None)
    assert request.blocking_items == (blocker,)
    [event] = world.uow.events_of(WithdrawalDecided)
    assert event.decision == "refused" and event.blocking_items == (blocker,)
    assert member.status == "active", "a refused member keeps the account"


async def test_r11_a_request_nothing_blocks_awaits_ops_confirmation() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    assert (request.public_status, request.stage) == ("pending", "awaiting_confirmation")
    assert world.uow.events_of(WithdrawalDecided) == []


async def test_r11_without_ordering_s_answer_the_request_waits_and_is_asked_again() -> None:
    world = World()
    member = await world.verified_member()
    world.ordering.down.add(member.id)
    request = await _request(world, member)
    assert (request.public_status, request.stage) == ("pending", "checking_orders")
    assert await withdrawal.recheck_waiting(uow=world.uow, ordering=world.ordering) == 0  # type: ignore[arg-type]
    assert request.stage == "checking_orders", "never approved without ordering's answer"
    world.ordering.down.clear()
    assert await withdrawal.recheck_waiting(uow=world.uow, ordering=world.ordering) == 1  # type: ignore[arg-type]
    assert request.stage == "awaiting_confirmation"


async def test_r11_asking_again_returns_the_open_request() -> None:
    world = World()
    member = await world.verified_member()
    first = await _request(world, member)
    second = await _request(world, member)
    assert second is first and len(world.uow.withdrawals) == 1
    assert world.ordering.asked == [member.id]


async def test_r11_ops_confirmation_withdraws_the_member_and_ends_every_session() -> None:
    world = World()
    member = await world.verified_member()
    await world.session_of(member)
    request = await _request(world, member)
    confirmed = await _confirm(world, request.id)
    assert confirmed.public_status == "withdrawn" and confirmed.decided_by == OPS
    assert member.status == "withdrawn" and member.version == 3
    assert world.uow.sessions.live_families(member.id) == set()
    [decided] = world.uow.events_of(WithdrawalDecided)
    assert decided.decision == "withdrawn"
    assert world.uow.events_of(MemberProfileChanged)[-1].profile.status == "withdrawn"
    assert [e.target for e in world.uow.audited("withdrawal.withdrawn")] == [
        f"withdrawal:{request.id}"
    ]


async def test_r11_ops_confirmation_asks_ordering_again_and_refuses_a_new_blocker() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    world.ordering.blockers[member.id] = (_contract(),)
    refused = await _confirm(world, request.id)
    assert refused.public_status == "refused" and member.status == "active"
    assert world.uow.audited("withdrawal.refused")


async def test_r11_only_a_request_awaiting_ops_can_be_confirmed() -> None:
    world = World()
    member = await world.verified_member()
    world.ordering.down.add(member.id)
    checking = await _request(world, member)
    for withdrawal_id in (checking.id, uuid.uuid4()):
        with pytest.raises(WithdrawalNotPending):
            await _confirm(world, withdrawal_id)
    assert member.status == "active"


async def test_r11_ops_confirmation_without_ordering_s_answer_is_retried_later() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    world.ordering.down.add(member.id)
    with pytest.raises(OrderingUnreachable) as unavailable:
        await _confirm(world, request.id)
    assert unavailable.value.retry_after == 30
    assert member.status == "active" and request.stage == "awaiting_confirmation"


async def test_r11_a_member_who_never_asked_has_no_withdrawal_state() -> None:
    world = World()
    member = await world.verified_member()
    with pytest.raises(WithdrawalNotFound):
        await withdrawal.latest(uow=world.uow, member_id=member.id)
