"""``/api/v1/ops/ordering/orders``: ops find, review and move orders forward (R17, R18, R29,
R31)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from bizmall_events import OrderStatus
from ordering.api.deps import ClockDep, UowDep
from ordering.api.schemas import (
    ActivateBody,
    ActivationView,
    ContractView,
    OpsOrderDetailView,
    OpsOrderPage,
    OpsOrderSummary,
    OpsOrderView,
    ReasonBody,
    ReleaseBody,
)
from ordering.service_layer import progression, queries
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/ordering/orders", tags=["ops: orders"])


@router.get("", response_model=OpsOrderPage)
async def orders(
    ops: OpsOnly,
    uow: UowDep,
    member_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    placed_from: Annotated[
        date | None, Query(description="Ordered on or after this Japan date")
    ] = None,
    placed_to: Annotated[
        date | None, Query(description="Ordered on or before this Japan date")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsOrderPage:
    """Orders by member, service, state and order date (R31), newest first, each naming
    its member (R30)."""
    async with uow:
        page = await queries.ops_orders_page(
            uow=uow,
            member_id=member_id,
            service_id=service_id,
            status=status,
            placed_from=placed_from,
            placed_to=placed_to,
            limit=limit,
            cursor=cursor,
        )
    return OpsOrderPage(
        items=[OpsOrderSummary.of_ops(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.get("/{order_id}", response_model=OpsOrderDetailView)
async def order(order_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> OpsOrderDetailView:
    """One order, whoever placed it (R31): the member, the order fields as entered with
    their labels, plan, quantity, fees, dates, hold reason and status history."""
    async with uow:
        found = await queries.ops_order(uow=uow, order_id=order_id)
    return OpsOrderDetailView.of_detail(found)


@router.post("/{order_id}/accept", response_model=OpsOrderView)
async def accept(order_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> OpsOrderView:
    """Accept a received order after review."""
    async with uow:
        done = await progression.accept(uow=uow, order_id=order_id, actor=ops.subject)
    return OpsOrderView.of(done)


@router.post("/{order_id}/hold", response_model=OpsOrderView)
async def hold(order_id: uuid.UUID, body: ReasonBody, ops: OpsOnly, uow: UowDep) -> OpsOrderView:
    """Put an order on hold awaiting the customer; the member sees the reason (R17)."""
    async with uow:
        done = await progression.hold(
            uow=uow, order_id=order_id, reason=body.reason, actor=ops.subject
        )
    return OpsOrderView.of(done)


@router.post("/{order_id}/release", response_model=OpsOrderView)
async def release(
    order_id: uuid.UUID, ops: OpsOnly, uow: UowDep, body: ReleaseBody | None = None
) -> OpsOrderView:
    """Release a held order, moving its planned start date if needed (R17)."""
    async with uow:
        done = await progression.release(
            uow=uow,
            order_id=order_id,
            planned_start_date=body.planned_start_date if body else None,
            actor=ops.subject,
        )
    return OpsOrderView.of(done)


@router.post("/{order_id}/start-provisioning", response_model=OpsOrderView)
async def start_provisioning(order_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> OpsOrderView:
    """Start setting up an accepted order."""
    async with uow:
        done = await progression.start_provisioning(uow=uow, order_id=order_id, actor=ops.subject)
    return OpsOrderView.of(done)


@router.post("/{order_id}/activate", response_model=ActivationView)
async def activate(
    order_id: uuid.UUID, body: ActivateBody, ops: OpsOnly, uow: UowDep, clock: ClockDep
) -> ActivationView:
    """Activate an order on its actual start date; its contract starts."""
    async with uow:
        done, contract = await progression.activate(
            uow=uow, order_id=order_id, start_date=body.start_date, actor=ops.subject
        )
    return ActivationView(
        order=OpsOrderView.of(done),
        contract=ContractView.of(contract, today=clock.today_in_japan()),
    )


@router.post("/{order_id}/reject", response_model=OpsOrderView)
async def reject(order_id: uuid.UUID, body: ReasonBody, ops: OpsOnly, uow: UowDep) -> OpsOrderView:
    """Reject an order, with the reason the member reads."""
    async with uow:
        done = await progression.reject(
            uow=uow, order_id=order_id, reason=body.reason, actor=ops.subject
        )
    return OpsOrderView.of(done)
