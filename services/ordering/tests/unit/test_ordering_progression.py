"""Ops moving orders (R12, R17, R18, R29) with a fake unit of work: states, events, audit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from bizmall_events import (
    ActivationNoticeDue,
    ContractActivated,
    OnActivation,
    OrderAccepted,
    OrderOnHold,
    OrderRejected,
)
from ordering.domain.errors import (
    InvalidTransition,
    NotABusinessDay,
    OrderNotFound,
    StartDateOutOfRange,
)
from ordering.domain.order import Order
from ordering.service_layer import progression
from servicekit.errors import Conflict, NotFound
from services.ordering.tests.unit.fakes import NOW, FakeOrderingUnitOfWork, make_order

OPS = "ops-1"


def seeded(uow: FakeOrderingUnitOfWork, *, status: str = "received", **overrides: object) -> Order:
    order = make_order(at=NOW, awaiting_documents=status == "awaiting_documents", **overrides)
    if status in ("accepted", "provisioning", "active", "on_hold"):
        order.accept(at=NOW)
    if status == "provisioning":
        order.start_provisioning(at=NOW)
    if status == "active":
        order.activate(at=NOW)
    if status == "on_hold":
        order.hold(reason="住所の不備", at=NOW)
    order.collect_events()
    return uow.orders.seed(order)


async def stored(uow: FakeOrderingUnitOfWork, order: Order) -> Order:
    found = await uow.orders.get(order.id)
    assert found is not None
    return found


async def test_ops_accept_moves_a_received_order_on_audits_it_and_publishes_order_accepted(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow)
    done = await progression.accept(uow=uow, order_id=order.id, actor=OPS)
    assert (await stored(uow, order)).status == "accepted"
    [event] = uow.events_of(OrderAccepted)
    assert (event.order_id, event.aggregate_version) == (order.id, done.version)
    [entry] = uow.audited("order.accept")
    assert (entry.actor, entry.target, entry.at) == (OPS, str(order.id), NOW)


async def test_r12_ops_cannot_accept_an_order_still_awaiting_documents(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="awaiting_documents")
    with pytest.raises(InvalidTransition) as refused:
        await progression.accept(uow=uow, order_id=order.id, actor=OPS)
    assert isinstance(refused.value, Conflict)
    assert refused.value.extra == {"status": "awaiting_documents"}
    assert (uow.committed, uow.audit_log) == (0, [])
    assert (await stored(uow, order)).status == "awaiting_documents"


async def test_r17_hold_shows_the_reason_to_the_member_and_publishes_order_on_hold(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="accepted")
    await progression.hold(uow=uow, order_id=order.id, reason="設置住所が不完全です", actor=OPS)
    held = await stored(uow, order)
    assert (held.status, held.reason, held.held_from) == (
        "on_hold",
        "設置住所が不完全です",
        "accepted",
    )
    [event] = uow.events_of(OrderOnHold)
    assert event.reason == "設置住所が不完全です"
    assert uow.audited("order.hold")[0].details == {"reason": "設置住所が不完全です"}


async def test_r17_release_returns_to_the_held_state_and_may_move_the_start_later(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="on_hold")
    later = date(2026, 6, 22)
    await progression.release(uow=uow, order_id=order.id, planned_start_date=later, actor=OPS)
    released = await stored(uow, order)
    assert (released.status, released.reason, released.planned_start_date) == (
        "accepted",
        None,
        later,
    )
    assert uow.audited("order.release")[0].details == {"planned_start_date": "2026-06-22"}
    assert uow.events == []


async def test_r17_release_to_a_date_that_is_not_a_business_day_is_refused(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="on_hold")
    with pytest.raises(NotABusinessDay) as refused:
        await progression.release(
            uow=uow, order_id=order.id, planned_start_date=date(2026, 6, 20), actor=OPS
        )
    assert refused.value.errors == [
        {
            "field": "planned_start_date",
            "code": "not_a_business_day",
            "ja": "営業日ではありません。",
            "en": "Not a business day.",
        }
    ]
    assert (await stored(uow, order)).status == "on_hold"


async def test_r17_only_a_held_order_can_be_released(uow: FakeOrderingUnitOfWork) -> None:
    order = seeded(uow, status="accepted")
    with pytest.raises(InvalidTransition):
        await progression.release(uow=uow, order_id=order.id, planned_start_date=None, actor=OPS)


async def test_ops_reject_publishes_the_reason_the_member_reads(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="provisioning")
    await progression.reject(uow=uow, order_id=order.id, reason="回線工事ができません", actor=OPS)
    rejected = await stored(uow, order)
    assert (rejected.status, rejected.reason) == ("rejected", "回線工事ができません")
    [event] = uow.events_of(OrderRejected)
    assert event.reason == "回線工事ができません"
    assert len(uow.audited("order.reject")) == 1


@pytest.mark.parametrize("status", ["active", "rejected"])
async def test_r19_an_active_or_rejected_order_is_final(
    uow: FakeOrderingUnitOfWork, status: str
) -> None:
    order = seeded(uow, status="active" if status == "active" else "received")
    if status == "rejected":
        await progression.reject(uow=uow, order_id=order.id, reason="不備", actor=OPS)
    for move in (
        progression.hold(uow=uow, order_id=order.id, reason="x", actor=OPS),
        progression.reject(uow=uow, order_id=order.id, reason="x", actor=OPS),
        progression.accept(uow=uow, order_id=order.id, actor=OPS),
    ):
        with pytest.raises(InvalidTransition):
            await move


async def test_an_unknown_order_is_not_found(uow: FakeOrderingUnitOfWork) -> None:
    with pytest.raises(OrderNotFound) as refused:
        await progression.accept(uow=uow, order_id=uuid.uuid4(), actor=OPS)
    assert isinstance(refused.value, NotFound)
    assert (refused.value.code, refused.value.ja) == (
        "order.not_found",
        "指定された注文は見つかりません。",
    )


async def test_activation_opens_the_contract_under_the_recorded_terms(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="provisioning", quantity=3)
    done, contract = await progression.activate(
        uow=uow, order_id=order.id, start_date=date(2026, 6, 8), actor=OPS
    )
    assert done.status == "active"
    assert (contract.order_id, contract.quantity, contract.terms) == (order.id, 3, order.terms)
    assert await uow.contracts.of_order(order.id) is not None
    [event] = uow.events_of(ContractActivated)
    assert (event.contract_id, event.start_date, event.terms) == (
        contract.id,
        date(2026, 6, 8),
        order.terms,
    )
    assert uow.audited("order.activate")[0].details == {"start_date": "2026-06-08"}


async def test_r18_an_on_activation_notice_is_issued_with_the_activation(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="accepted")
    _, contract = await progression.activate(
        uow=uow, order_id=order.id, start_date=date(2026, 6, 8), actor=OPS
    )
    [notice] = uow.events_of(ActivationNoticeDue)
    assert (notice.order_id, notice.contract_id) == (order.id, contract.id)
    assert notice.timing == OnActivation()
    assert uow.committed == 1


async def test_r18_a_service_noticing_before_the_start_issues_nothing_at_activation(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="accepted", notice_business_days_before=3)
    await progression.activate(uow=uow, order_id=order.id, start_date=date(2026, 6, 8), actor=OPS)
    assert uow.events_of(ActivationNoticeDue) == []


@pytest.mark.parametrize(
    "start_date",
    [NOW.date() - timedelta(days=93), NOW.date() + timedelta(days=32)],
)
async def test_an_activation_dated_too_far_back_or_ahead_is_refused(
    uow: FakeOrderingUnitOfWork, start_date: date
) -> None:
    order = seeded(uow, status="accepted")
    with pytest.raises(StartDateOutOfRange) as refused:
        await progression.activate(uow=uow, order_id=order.id, start_date=start_date, actor=OPS)
    assert refused.value.errors == [{"field": "body.start_date", "code": "out_of_range"}]
    assert "2026-03-01" in refused.value.en and "2026-07-02" in refused.value.en
    assert (await stored(uow, order)).status == "accepted"
    assert len(uow.contracts) == 0


async def test_an_order_cannot_be_activated_before_review(uow: FakeOrderingUnitOfWork) -> None:
    order = seeded(uow)
    with pytest.raises(InvalidTransition):
        await progression.activate(
            uow=uow, order_id=order.id, start_date=date(2026, 6, 8), actor=OPS
        )
    assert len(uow.contracts) == 0


async def test_provisioning_is_a_step_between_acceptance_and_activation(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = seeded(uow, status="accepted")
    await progression.start_provisioning(uow=uow, order_id=order.id, actor=OPS)
    assert (await stored(uow, order)).status == "provisioning"
    assert len(uow.audited("order.start_provisioning")) == 1
    assert uow.events == []
