"""Ops view of the email deliveries (R27): what was sent, what is retrying, what failed."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from notification.api.deps import UowDep
from notification.api.schemas import DeliveryList, DeliveryOut
from notification.service_layer import deliveries
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/notification/deliveries", tags=["ops: deliveries"])


@router.get("", response_model=DeliveryList)
async def list_deliveries(
    uow: UowDep,
    ops: OpsOnly,
    state: Literal["pending", "sent", "failed"] | None = None,
    template: str | None = None,
    member_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryList:
    """Deliveries newest first; ``state=failed`` lists the emails that used every attempt."""
    async with uow:
        page = await deliveries.list_deliveries(
            uow=uow,
            state=state,
            template=template,
            member_id=member_id,
            event_id=event_id,
            limit=limit,
            cursor=cursor,
        )
    return DeliveryList(items=[DeliveryOut.of(d) for d in page.items], next_cursor=page.next_cursor)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
async def retry(uow: UowDep, ops: OpsOnly, delivery_id: uuid.UUID) -> DeliveryOut:
    """Send a failed email again once its cause is fixed; audited (R29)."""
    async with uow:
        delivery = await deliveries.retry_delivery(
            uow=uow, delivery_id=delivery_id, actor=ops.subject
        )
    return DeliveryOut.of(delivery)
