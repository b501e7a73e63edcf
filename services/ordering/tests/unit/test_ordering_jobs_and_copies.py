"""The scheduled jobs (R12's 30 days, R18's notices) and the local copies (R11, R12, R28),
with a fake unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bizmall_events import (
    ActivationNoticeDue,
    BusinessDaysBeforeStart,
    DocumentReviewed,
    Envelope,
    OrderRejected,
    ServiceSnapshot,
    ServiceUpdated,
    WithdrawalDecided,
)
from jpcalendar import JST, subtract_business_days
from ordering.domain.order import Order
from ordering.service_layer import local_copies, notices
from services.ordering.tests.unit.fakes import (
    NOW,
    FakeOrderingUnitOfWork,
    make_contract,
    make_order,
)

ENVELOPE = Envelope.model_construct()


async def status_of(uow: FakeOrderingUnitOfWork, order: Order) -> str:
    found = await uow.orders.get(order.id)
    assert found is not None
    return found.status


def review(member_id: uuid.UUID, decision: str, *, version: int = 2) -> DocumentReviewed:
    return DocumentReviewed(
        document_id=uuid.uuid4(),
        aggregate_version=version,
        member_id=member_id,
        document_type="drivers_license",
        decision=decision,  # type: ignore[arg-type]
        reason=None if decision == "approved" else "不鮮明です",
        reviewed_at=datetime.now(UTC),
    )


# --- R12: the 30-day document rule -------------------------------------------------


async def test_r12_an_order_still_waiting_30_days_after_ordering_is_rejected_with_the_reason(
    uow: FakeOrderingUnitOfWork,
) -> None:
    waiting = uow.orders.seed(make_order(at=NOW, awaiting_documents=True))
    uow.clock.pin(NOW + timedelta(days=30))
    assert await notices.reject_orders_without_documents(uow=uow, wait_days=30) == 1
    assert await status_of(uow, waiting) == "rejected"
    [event] = uow.events_of(OrderRejected)
    assert (event.order_id, event.reason) == (waiting.id, notices.DOCUMENT_TIMEOUT_REASON)


async def test_r12_an_order_waiting_less_than_30_days_keeps_waiting(
    uow: FakeOrderingUnitOfWork,
) -> None:
    waiting = uow.orders.seed(make_order(at=NOW, awaiting_documents=True))
    received = uow.orders.seed(make_order(at=NOW - timedelta(days=60)))
    uow.clock.pin(NOW + timedelta(days=30) - timedelta(minutes=1))
    assert await notices.reject_orders_without_documents(uow=uow, wait_days=30) == 0
    assert await status_of(uow, waiting) == "awaiting_documents"
    assert await status_of(uow, received) == "received"
    assert uow.events == []


async def test_r12_an_approved_document_releases_the_members_waiting_orders_to_review(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    mine = uow.orders.seed(make_order(at=NOW, awaiting_documents=True, member_id=member_id))
    others = uow.orders.seed(make_order(at=NOW, awaiting_documents=True))
    await local_copies.on_document_reviewed(
        review(member_id, "approved"), uow=uow, envelope=ENVELOPE
    )
    assert await status_of(uow, mine) == "received"
    assert await status_of(uow, others) == "awaiting_documents"
    assert uow.members.locked == [member_id]
    assert await uow.members.has_approved_document(member_id)


async def test_r12_a_rejected_document_leaves_the_orders_waiting_for_another(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    order = uow.orders.seed(make_order(at=NOW, awaiting_documents=True, member_id=member_id))
    await local_copies.on_document_reviewed(
        review(member_id, "rejected"), uow=uow, envelope=ENVELOPE
    )
    assert await status_of(uow, order) == "awaiting_documents"
    assert not await uow.members.has_approved_document(member_id)


# --- R18: activation notices N business days before the start ------------------------


def noticed_order(uow: FakeOrderingUnitOfWork, start: date, days: int = 3) -> Order:
    order = make_order(
        at=NOW, notice_business_days_before=days, planned_start_date=start, desired_start_date=start
    )
    order.accept(at=NOW)
    order.collect_events()
    return uow.orders.seed(order)


async def test_r18_a_notice_before_the_start_is_not_issued_before_its_due_day(
    uow: FakeOrderingUnitOfWork,
) -> None:
    start = date(2026, 6, 22)
    noticed_order(uow, start)
    day_before = subtract_business_days(start, 3) - timedelta(days=1)
    uow.clock.pin(datetime(day_before.year, day_before.month, day_before.day, 9, tzinfo=JST))
    assert await notices.issue_due_activation_notices(uow=uow) == 0
    assert uow.events == []


async def test_r18_a_notice_before_the_start_is_issued_once_on_its_due_day(
    uow: FakeOrderingUnitOfWork,
) -> None:
    start = date(2026, 6, 22)
    order = noticed_order(uow, start)
    due = subtract_business_days(start, 3)
    for day in (due, due + timedelta(days=1)):
        uow.clock.pin(datetime(day.year, day.month, day.day, 9, tzinfo=JST))
        await notices.issue_due_activation_notices(uow=uow)
    [notice] = uow.events_of(ActivationNoticeDue)
    assert (notice.order_id, notice.contract_id, notice.planned_start_date) == (
        order.id,
        None,
        start,
    )
    assert notice.timing == BusinessDaysBeforeStart(business_days=3)


async def test_r18_a_worker_that_was_down_catches_up_after_the_start_date(
    uow: FakeOrderingUnitOfWork,
) -> None:
    noticed_order(uow, date(2026, 6, 8), days=2)
    uow.clock.pin(datetime(2026, 6, 10, 9, tzinfo=JST))
    assert await notices.issue_due_activation_notices(uow=uow) == 1


async def test_r18_the_notice_of_an_active_order_names_its_contract(
    uow: FakeOrderingUnitOfWork,
) -> None:
    order = noticed_order(uow, date(2026, 6, 8), days=2)
    contract = make_contract(at=NOW, start_date=date(2026, 6, 8), id=order.id)
    uow.contracts.seed(contract)
    uow.clock.pin(datetime(2026, 6, 8, 9, tzinfo=JST))
    await notices.issue_due_activation_notices(uow=uow)
    [notice] = uow.events_of(ActivationNoticeDue)
    assert notice.contract_id == contract.id


async def test_r18_orders_not_yet_accepted_get_no_notice(uow: FakeOrderingUnitOfWork) -> None:
    uow.orders.seed(make_order(at=NOW, notice_business_days_before=1))
    uow.clock.pin(datetime(2026, 6, 30, 9, tzinfo=JST))
    assert await notices.issue_due_activation_notices(uow=uow) == 0


# --- the copies: versions only move forward -----------------------------------------


async def test_r28_a_late_older_catalog_event_does_not_hide_the_newer_version(
    uow: FakeOrderingUnitOfWork, snapshot_factory: Callable[..., ServiceSnapshot]
) -> None:
    newer = snapshot_factory(service_version=3)
    older = snapshot_factory(service_id=newer.service_id, service_version=2)
    for snapshot in (newer, older):
        await local_copies.on_service_changed(
            ServiceUpdated(
                service_id=snapshot.service_id,
                aggregate_version=snapshot.service_version,
                snapshot=snapshot,
            ),
            uow=uow,
            envelope=ENVELOPE,
        )
    current = await uow.catalog.current(newer.service_id)
    assert current is not None and current.service_version == 3


async def test_r11_a_withdrawal_decision_marks_the_member_copy_withdrawn(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    await uow.members.store(member_id=member_id, version=1, entity_type="corporation", status="a")
    for decision in ("refused", "withdrawn"):
        event = WithdrawalDecided.model_construct(member_id=member_id, decision=decision)
        await local_copies.on_withdrawal_decided(event, uow=uow, envelope=ENVELOPE)
        copy = await uow.members.get(member_id)
        assert copy is not None and copy.withdrawn is (decision == "withdrawn")
