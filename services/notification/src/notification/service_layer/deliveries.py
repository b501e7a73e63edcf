"""Recording the emails to send: one ``delivery`` row per (event, template) (R27).

The row is written in the transaction that handles the event; the SMTP send
happens later, after commit, in the sender (``service_layer.sender``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from notification.adapters.tables import Delivery
from notification.domain.emails import TEMPLATES
from servicekit import tracing
from servicekit.clock import system_clock

#: Committing a delivery NOTIFYs this channel, so the sender wakes at once.
DELIVERY_CHANNEL = "notification_delivery"
#: Payload key keeping the trace the delivery was recorded in (tracing on only),
#: so the SMTP send joins that trace; removed before rendering.
TRACE_KEY = "_traceparent"


async def record_delivery(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    event_type: str,
    template: str,
    member_id: uuid.UUID | None,
    recipient: str | None,
    language: str | None,
    payload: dict[str, Any],
) -> bool:
    """Record one email to send (pending); False when this (event, template) already was.

    ``payload`` must be JSON data holding nothing secret in clear: a token goes
    in sealed, exactly as the event carried it.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    now = system_clock()
    traceparent = tracing.current_traceparent()
    if traceparent is not None:
        payload = {**payload, TRACE_KEY: traceparent}
    statement = (
        insert(Delivery)
        .values(
            id=uuid.uuid4(),
            event_id=event_id,
            event_type=event_type,
            template=template,
            member_id=member_id,
            recipient=recipient,
            language=language,
            payload=payload,
            state="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_delivery_event_id")
        .returning(col(Delivery.id))
    )
    created = (await session.execute(statement)).first() is not None
    if created:
        # Delivered at commit only: the sender never wakes for a row it cannot see yet.
        await session.execute(text(f"NOTIFY {DELIVERY_CHANNEL}"))
    return created


class DeliveryNotFound(LookupError):
    """No such delivery."""


class DeliveryNotFailed(Exception):
    """Only a failed delivery can be sent again by ops."""


async def list_deliveries(
    session: AsyncSession,
    *,
    state: str | None,
    template: str | None,
    member_id: uuid.UUID | None,
    event_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Delivery], str | None]:
    """A page of deliveries, newest first, and the next cursor; ``ValueError`` on a bad cursor."""
    query = select(Delivery).order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
    for column, value in (
        (Delivery.state, state),
        (Delivery.template, template),
        (Delivery.member_id, member_id),
        (Delivery.event_id, event_id),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if cursor:
        at_text, _, id_text = cursor.partition("|")
        at, last_id = datetime.fromisoformat(at_text), uuid.UUID(id_text)
        query = query.where(
            sa.tuple_(col(Delivery.created_at), col(Delivery.id)) < sa.tuple_(at, last_id)
        )
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    next_cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if more and rows else None
    return rows, next_cursor


async def retry_delivery(session: AsyncSession, *, delivery_id: uuid.UUID) -> Delivery:
    """Put a failed delivery back to pending with a fresh set of attempts (ops, once the
    cause is fixed); the caller audits and commits."""
    row = await session.get(Delivery, delivery_id, with_for_update=True)
    if row is None:
        raise DeliveryNotFound
    if row.state != "failed":
        raise DeliveryNotFailed
    row.state, row.attempts, row.next_attempt_at = "pending", 0, system_clock()
    await session.execute(text(f"NOTIFY {DELIVERY_CHANNEL}"))
    return row
