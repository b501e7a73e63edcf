"""Recording the emails to send: one delivery per (event, template) (R27), and ops'
view of them.

A delivery is recorded in the transaction that handles its event; the SMTP send
happens later, after commit, in the sender (``service_layer.sender``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from notification.domain.delivery import Attachment, Delivery, DeliveryNotFound
from notification.domain.emails import TRACE_KEY
from notification.service_layer.unit_of_work import NotificationUnitOfWork
from servicekit import tracing
from servicekit.pagination import Page


async def record_delivery(
    *,
    uow: NotificationUnitOfWork,
    event_id: uuid.UUID,
    event_type: str,
    template: str,
    member_id: uuid.UUID | None,
    recipient: str | None,
    language: str | None,
    payload: dict[str, Any],
    attachments: Sequence[Attachment] = (),
) -> bool:
    """Record one email to send (pending); False when this (event, template) already was.

    ``payload`` must be JSON data holding nothing secret in clear: a token goes
    in sealed, exactly as the event carried it. ``attachments`` are mailed with it.
    """
    traceparent = tracing.current_traceparent()
    if traceparent is not None:
        payload = {**payload, TRACE_KEY: traceparent}
    delivery = Delivery.queue(
        event_id=event_id,
        event_type=event_type,
        template=template,
        member_id=member_id,
        recipient=recipient,
        language=language,
        payload=payload,
        at=uow.now(),
        attachments=attachments,
    )
    return await uow.deliveries.add(delivery)


async def list_deliveries(
    *,
    uow: NotificationUnitOfWork,
    state: str | None,
    template: str | None,
    member_id: uuid.UUID | None,
    event_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> Page[Delivery]:
    """A page of deliveries, newest first; ``state="failed"`` lists those ops must see."""
    return await uow.deliveries.page(
        state=state,
        template=template,
        member_id=member_id,
        event_id=event_id,
        limit=limit,
        cursor=cursor,
    )


async def retry_delivery(
    *, uow: NotificationUnitOfWork, delivery_id: uuid.UUID, actor: str
) -> Delivery:
    """Ops send a failed delivery again with a fresh set of attempts, once its cause is
    fixed; audited (R29)."""
    delivery = await uow.deliveries.get(delivery_id, for_update=True)
    if delivery is None:
        raise DeliveryNotFound
    delivery.retry(at=uow.now())
    await uow.deliveries.wake_sender()
    uow.audit(
        actor=actor,
        action="delivery.retried",
        target=str(delivery.id),
        member_id=delivery.member_id,
    )
    await uow.commit()
    return delivery
