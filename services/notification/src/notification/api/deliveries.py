"""Ops view of the email deliveries (R27): what was sent, what is retrying, what failed."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from notification.api.deps import RuntimeDep
from notification.api.schemas import DeliveryList, DeliveryOut
from notification.service_layer import deliveries
from servicekit.auth import OpsOnly
from servicekit.problems import Problem, refusing_invalid_cursors

router = APIRouter(prefix="/api/v1/ops/notification/deliveries", tags=["ops: deliveries"])


@router.get("", response_model=DeliveryList)
async def list_deliveries(
    runtime: RuntimeDep,
    ops: OpsOnly,
    state: Literal["pending", "sent", "failed"] | None = None,
    template: str | None = None,
    member_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryList:
    """Deliveries newest first; ``state=failed`` lists the emails that used every attempt."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            rows, next_cursor = await deliveries.list_deliveries(
                session,
                state=state,
                template=template,
                member_id=member_id,
                event_id=event_id,
                limit=limit,
                cursor=cursor,
            )
    return DeliveryList(items=[DeliveryOut.of(row) for row in rows], next_cursor=next_cursor)


@router.post("/{delivery_id}/retry", response_model=DeliveryOut)
async def retry(runtime: RuntimeDep, ops: OpsOnly, delivery_id: uuid.UUID) -> DeliveryOut:
    """Send a failed email again once its cause is fixed; audited (R29)."""
    async with runtime.uow() as uow:
        try:
            row = await deliveries.retry_delivery(uow.session, delivery_id=delivery_id)
        except deliveries.DeliveryNotFound:
            raise Problem(
                404, "delivery.not_found", ja="配信記録が見つかりません。", en="No such delivery."
            ) from None
        except deliveries.DeliveryNotFailed:
            raise Problem(
                409,
                "delivery.not_failed",
                ja="失敗した配信のみ再送できます。",
                en="Only a failed delivery can be sent again.",
            ) from None
        uow.audit(actor=ops.subject, action="delivery.retried", target=str(row.id))
        await uow.commit()
    return DeliveryOut.of(row)
