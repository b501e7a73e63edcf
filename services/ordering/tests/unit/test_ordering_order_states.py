"""The order's guarded state machine (R12, R17, R19): every move checked and recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from bizmall_events import ContractTerms, LocalizedText
from ordering.domain.order import InvalidTransition, Order

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def new_order(*, awaiting_documents: bool = False) -> Order:
    name = LocalizedText(ja="名前", en="Name")
    return Order.place(
        awaiting_documents=awaiting_documents,
        at=T0,
        id=uuid.uuid4(),
        member_id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        service_version=1,
        service_name=name,
        plan_id=uuid.uuid4(),
        plan_version_id=uuid.uuid4(),
        plan_name=name,
        quantity=1,
        options={},
        desired_start_date=date(2026, 6, 10),
        planned_start_date=date(2026, 6, 10),
        terms=ContractTerms.model_validate(
            {
                "service_version": 1,
                "plan_version_id": uuid.uuid4(),
                "monthly_fee": 1000,
                "initial_fee": 0,
                "free_first_month": False,
                "allows_account_transfer": True,
                "cancellable_on_site": False,
                "early_termination": {"kind": "none"},
                "minimum_term_months": 0,
            }
        ),
        notice_business_days_before=None,
        withdrawal_requires_contracts_ended=False,
        inquiry_reference="ref",
    )


def test_happy_path_records_every_step_and_bumps_the_version() -> None:
    order = new_order()
    for step, move in enumerate(
        (
            lambda at: order.accept(at=at),
            lambda at: order.start_provisioning(at=at),
            lambda at: order.activate(at=at),
        ),
        start=1,
    ):
        move(T0 + timedelta(hours=step))
    assert [c.status for c in order.status_history] == [
        "received",
        "accepted",
        "provisioning",
        "active",
    ]
    assert order.version == 4
    assert not order.is_open


def test_r12_sole_proprietor_order_waits_for_documents_then_goes_to_review() -> None:
    order = new_order(awaiting_documents=True)
    assert order.status == "awaiting_documents"
    with pytest.raises(InvalidTransition):
        order.accept(at=T0)
    order.release_documents(at=T0)
    assert order.status == "received"


def test_r17_hold_shows_reason_and_release_returns_with_a_later_start() -> None:
    order = new_order()
    order.accept(at=T0)
    order.hold(reason="設置場所の住所が不完全です", at=T0)
    assert (order.status, order.reason) == ("on_hold", "設置場所の住所が不完全です")
    assert order.status_history[-1].reason == "設置場所の住所が不完全です"
    order.release(at=T0, planned_start_date=date(2026, 6, 20))
    assert (order.status, order.reason, order.planned_start_date) == (
        "accepted",
        None,
        date(2026, 6, 20),
    )


def test_active_and_rejected_orders_are_final() -> None:
    rejected = new_order()
    rejected.reject(reason="不備", at=T0)
    active = new_order()
    active.accept(at=T0)
    active.activate(at=T0)
    for order in (rejected, active):
        with pytest.raises(InvalidTransition):
            order.reject(reason="x", at=T0)
        with pytest.raises(InvalidTransition):
            order.hold(reason="x", at=T0)


def test_an_order_cannot_skip_review() -> None:
    order = new_order()
    with pytest.raises(InvalidTransition):
        order.activate(at=T0)
    with pytest.raises(InvalidTransition):
        order.start_provisioning(at=T0)
    assert order.version == 1
