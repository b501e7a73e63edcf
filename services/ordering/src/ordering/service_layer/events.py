"""Integration events built from the ordering aggregates (names and fields: SPEC §5)."""

from __future__ import annotations

from typing import Any

from bizmall_events import (
    ActivationNoticeDue,
    BusinessDaysBeforeStart,
    ContractActivated,
    ContractCancelled,
    OnActivation,
    OrderAccepted,
    OrderOnHold,
    OrderPlaced,
    OrderRejected,
)
from ordering.domain.contract import Contract
from ordering.domain.order import Order


def _order_fields(order: Order) -> dict[str, Any]:
    return {
        "aggregate_version": order.version,
        "order_id": order.id,
        "member_id": order.member_id,
        "service_id": order.service_id,
        "service_name": order.service_name,
        "plan_id": order.plan_id,
        "plan_version_id": order.plan_version_id,
        "plan_name": order.plan_name,
        "quantity": order.quantity,
        "planned_start_date": order.planned_start_date,
    }


def order_placed(order: Order) -> OrderPlaced:
    """The order was placed: notification sends the confirmation (R16, R19)."""
    return OrderPlaced(
        **_order_fields(order),
        status=order.status,
        monthly_fee=order.terms.monthly_fee,
        initial_fee=order.terms.initial_fee,
        inquiry_reference=order.inquiry_reference,
        placed_at=order.created_at,
    )


def order_accepted(order: Order) -> OrderAccepted:
    """Ops accepted the order."""
    return OrderAccepted(**_order_fields(order))


def order_on_hold(order: Order) -> OrderOnHold:
    """Ops put the order on hold with a reason the member sees (R17)."""
    assert order.reason is not None
    return OrderOnHold(**_order_fields(order), reason=order.reason)


def order_rejected(order: Order) -> OrderRejected:
    """The order was rejected, with its reason."""
    assert order.reason is not None
    return OrderRejected(**_order_fields(order), reason=order.reason)


def _contract_fields(contract: Contract) -> dict[str, Any]:
    return {
        "aggregate_version": contract.version,
        "contract_id": contract.id,
        "order_id": contract.order_id,
        "member_id": contract.member_id,
        "service_id": contract.service_id,
        "service_name": contract.service_name,
        "plan_id": contract.plan_id,
        "plan_name": contract.plan_name,
        "quantity": contract.quantity,
    }


def contract_activated(contract: Contract) -> ContractActivated:
    """The contract started: billing starts billing under its recorded terms."""
    return ContractActivated(
        **_contract_fields(contract),
        planned_start_date=contract.planned_start_date,
        start_date=contract.start_date,
        terms=contract.terms,
    )


def contract_cancelled(contract: Contract) -> ContractCancelled:
    """The member cancelled mid-term: billing bills the fee on the final invoice (R20)."""
    assert contract.end_date is not None and contract.early_termination_fee is not None
    return ContractCancelled(
        **_contract_fields(contract),
        end_date=contract.end_date,
        early_termination_fee=contract.early_termination_fee,
    )


def activation_notice_due(order: Order, contract: Contract | None) -> ActivationNoticeDue:
    """The activation notice of ``order`` is due (R18)."""
    timing: OnActivation | BusinessDaysBeforeStart = (
        BusinessDaysBeforeStart(business_days=order.notice_business_days_before)
        if order.notice_business_days_before is not None
        else OnActivation()
    )
    return ActivationNoticeDue(
        aggregate_version=order.version,
        order_id=order.id,
        contract_id=contract.id if contract is not None else None,
        member_id=order.member_id,
        service_id=order.service_id,
        service_name=order.service_name,
        plan_name=order.plan_name,
        quantity=order.quantity,
        planned_start_date=order.planned_start_date,
        timing=timing,
    )
