"""R11, R33: withdrawal requests checked with ordering, and the withdrawal desk where
ops confirm or refuse them, run with a fake unit of work and a fake ordering (no
database, no HTTP)."""

from __future__ import annotations

import uuid

import pytest

from bizmall_events.identity import BlockingItem, MemberProfileChanged, WithdrawalDecided
from bizmall_events.values import LocalizedText
from identity.domain.errors import (
    FieldsInvalid,
    OrderingUnreachable,
    WithdrawalBlocked,
    WithdrawalNotFound,
    WithdrawalNotPending,
)
from identity.domain.member import Member
from identity.domain.withdrawal import WithdrawalRequest
from identity.service_layer import withdrawal, withdrawal_desk

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
    return await withdrawal_desk.confirm(
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


async def test_r33_ops_confirmation_asks_ordering_again_and_is_refused_while_blocked() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    blocker = _contract()
    world.ordering.blockers[member.id] = (blocker,)
    with pytest.raises(WithdrawalBlocked) as blocked:
        await _confirm(world, request.id)
    assert blocked.value.extra["blocking_items"][0]["id"] == str(blocker.id)
    assert (request.public_status, request.stage) == ("pending", "awaiting_confirmation")
    assert member.status == "active" and world.uow.events_of(WithdrawalDecided) == []


async def test_r11_only_a_request_awaiting_ops_can_be_confirmed() -> None:
    world = World()
    member = await world.verified_member()
    world.ordering.down.add(member.id)
    checking = await _request(world, member)
    with pytest.raises(WithdrawalNotPending):
        await _confirm(world, checking.id)
    with pytest.raises(WithdrawalNotFound):
        await _confirm(world, uuid.uuid4())
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


# --- the withdrawal desk (R33) ---------------------------------------------------------


async def _desk(world: World, status: str = "pending", **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("limit", 50)
    kwargs.setdefault("cursor", None)
    return await withdrawal_desk.requests(
        uow=world.uow,
        ordering=world.ordering,  # type: ignore[arg-type]
        status=status,
        **kwargs,  # type: ignore[arg-type]
    )


async def _refuse(world: World, withdrawal_id: uuid.UUID, reason: str) -> WithdrawalRequest:
    return await withdrawal_desk.refuse(
        uow=world.uow, withdrawal_id=withdrawal_id, reason=reason, actor=OPS
    )


async def test_r33_the_desk_names_the_member_and_what_blocks_the_request_now() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    blocker = _contract()
    world.ordering.blockers[member.id] = (blocker,)
    [item] = (await _desk(world)).items
    assert item.request is request
    assert item.member is not None and item.member.name == member.name
    assert item.member.organization_name == member.organization_name
    assert item.current_blockers == (blocker,)


async def test_r33_without_ordering_s_answer_the_desk_says_the_blockers_are_unknown() -> None:
    world = World()
    member = await world.verified_member()
    await _request(world, member)
    world.ordering.down.add(member.id)
    [item] = (await _desk(world)).items
    assert item.current_blockers is None


async def test_r33_decided_requests_are_listed_without_asking_ordering() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    await _refuse(world, request.id, "契約の確認が必要です")
    asked = list(world.ordering.asked)
    [item] = (await _desk(world, "refused")).items
    assert item.current_blockers is None and world.ordering.asked == asked
    assert (await _desk(world)).items == []


async def test_r33_the_desk_pages_oldest_first() -> None:
    world = World()
    requests = []
    for _ in range(3):
        requests.append(await _request(world, await world.verified_member()))
        world.later(minutes=1)
    first = await _desk(world, limit=2)
    second = await _desk(world, limit=2, cursor=first.next_cursor)
    assert [i.request for i in first.items + second.items] == requests
    assert second.next_cursor is None


async def test_r33_ops_refuse_with_the_reason_the_member_is_sent() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    refused = await _refuse(world, request.id, "  未払いの請求があります  ")
    assert (refused.public_status, refused.reason, refused.decided_by) == (
        "refused",
        "未払いの請求があります",
        OPS,
    )
    [event] = world.uow.events_of(WithdrawalDecided)
    assert (event.decision, event.reason, event.blocking_items) == (
        "refused",
        "未払いの請求があります",
        (),
    )
    [audit] = world.uow.audited("withdrawal.refused")
    assert audit.target == f"withdrawal:{request.id}" and audit.actor == OPS
    assert member.status == "active"


async def test_r33_a_request_still_checking_can_be_refused() -> None:
    world = World()
    member = await world.verified_member()
    world.ordering.down.add(member.id)
    request = await _request(world, member)
    assert (await _refuse(world, request.id, "本人確認ができません")).public_status == "refused"


async def test_r33_a_refusal_needs_a_reason_and_an_open_request() -> None:
    world = World()
    member = await world.verified_member()
    request = await _request(world, member)
    with pytest.raises(FieldsInvalid):
        await _refuse(world, request.id, "   ")
    await _refuse(world, request.id, "理由")
    with pytest.raises(WithdrawalNotPending):
        await _refuse(world, request.id, "二度目")
    with pytest.raises(WithdrawalNotFound):
        await _refuse(world, uuid.uuid4(), "理由")
    assert len(world.uow.events_of(WithdrawalDecided)) == 1
