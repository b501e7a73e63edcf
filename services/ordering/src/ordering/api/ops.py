"""``/api/v1/ops/ordering/orders``: ops review and move orders forward (R17, R18, R29)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from bizmall_events import OrderStatus
from ordering.adapters import repository
from ordering.api.deps import ClockDep, RuntimeDep
from ordering.api.schemas import (
    ActivateBody,
    ActivationView,
    ContractView,
    OpsOrderPage,
    OpsOrderView,
    ReasonBody,
    ReleaseBody,
)
from ordering.service_layer import progression
from servicekit.auth import OpsOnly
from servicekit.clock import japan_today
from servicekit.problems import refusing_invalid_cursors

router = APIRouter(prefix="/api/v1/ops/ordering/orders", tags=["ops: orders"])


@router.get("", response_model=OpsOrderPage)
async def orders(
    ops: OpsOnly,
    runtime: RuntimeDep,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsOrderPage:
    """Orders in one state (or all), newest first."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            found, next_cursor = await repository.list_orders(
                session=session, status=status, limit=limit, cursor=cursor
            )
    return OpsOrderPage(items=[OpsOrderView.of(o) for o in found], next_cursor=next_cursor)


@router.get("/{order_id}", response_model=OpsOrderView)
async def order(order_id: uuid.UUID, ops: OpsOnly, runtime: RuntimeDep) -> OpsOrderView:
    """One order, whoever placed it."""
    async with runtime.sessions() as session:
        found = await repository.get_order(session=session, order_id=order_id)
    if found is None:
        raise progression.order_not_found()
    return OpsOrderView.of(found)


@router.post("/{order_id}/accept", response_model=OpsOrderView)
async def accept(
    order_id: uuid.UUID, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> OpsOrderView:
    """Accept a received order after review."""
    async with runtime.uow() as uow:
        done = await progression.accept(order_id, uow=uow, actor=ops.subject, clock=clock)
    return OpsOrderView.of(done)


@router.post("/{order_id}/hold", response_model=OpsOrderView)
async def hold(
    order_id: uuid.UUID, body: ReasonBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> OpsOrderView:
    """Put an order on hold awaiting the customer; the member sees the reason (R17)."""
    async with runtime.uow() as uow:
        done = await progression.hold(
            order_id, reason=body.reason, uow=uow, actor=ops.subject, clock=clock
        )
    return OpsOrderView.of(done)


@router.post("/{order_id}/release", response_model=OpsOrderView)
async def release(
    order_id: uuid.UUID,
    ops: OpsOnly,
    runtime: RuntimeDep,
    clock: ClockDep,
    body: ReleaseBody | None = None,
) -> OpsOrderView:
    """Release a held order, moving its planned start date if needed (R17)."""
    async with runtime.uow() as uow:
        done = await progression.release(
            order_id,
            planned_start_date=body.planned_start_date if body else None,
            uow=uow,
            actor=ops.subject,
            clock=clock,
        )
    return OpsOrderView.of(done)


@router.post("/{order_id}/start-provisioning", response_model=OpsOrderView)
async def start_provisioning(
    order_id: uuid.UUID, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> OpsOrderView:
    """Start setting up an accepted order."""
    async with runtime.uow() as uow:
        done = await progression.start_provisioning(
            order_id, uow=uow, actor=ops.subject, clock=clock
        )
    return OpsOrderView.of(done)


@router.post("/{order_id}/activate", response_model=ActivationView)
async def activate(
    order_id: uuid.UUID, body: ActivateBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> ActivationView:
    """Activate an order on its actual start date; its contract starts."""
    async with runtime.uow() as uow:
        done, contract = await progression.activate(
            order_id, start_date=body.start_date, uow=uow, actor=ops.subject, clock=clock
        )
    return ActivationView(
        order=OpsOrderView.of(done),
        contract=ContractView.of(contract, today=japan_today(clock())),
    )


@router.post("/{order_id}/reject", response_model=OpsOrderView)
async def reject(
    order_id: uuid.UUID, body: ReasonBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> OpsOrderView:
    """Reject an order, with the reason the member reads."""
    async with runtime.uow() as uow:
        done = await progression.reject(
            order_id, reason=body.reason, uow=uow, actor=ops.subject, clock=clock
        )
    return OpsOrderView.of(done)
