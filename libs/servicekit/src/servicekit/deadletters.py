"""Dead letters: events that failed every attempt, kept for ops to inspect and replay.

The consumer sends such messages to the service's DLQ queue; the worker's
:class:`DeadLetterCollector` moves each into the ``dead_letter`` table (the
queue is the durable hand-off, the table is what ops browse). Ops list,
inspect (secrets redacted), replay (the message goes back to the service's
queue as a first attempt; the inbox makes a replay of an already handled event
harmless) or discard them at ``/api/v1/ops/<service>/dead-letters``.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from datetime import datetime
from typing import Any, Literal

import aio_pika
import orjson
import sqlalchemy as sa
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel import Column, Field, SQLModel, col, select

from bizmall_events import Envelope
from servicekit.bus import ATTEMPT_HEADER, ERROR_HEADER, EventBus, queue_names
from servicekit.clock import system_clock

DeadLetterStatus = Literal["pending", "replayed", "discarded"]
REDACTED = "[REDACTED]"


class DeadLetter(SQLModel, table=True):
    """A message that failed every attempt."""

    __tablename__ = "dead_letter"

    id: uuid.UUID = Field(primary_key=True)
    message_id: str | None = Field(default=None, max_length=200)
    event_type: str | None = Field(default=None, max_length=200)
    origin_queue: str = Field(max_length=300)
    body: bytes = Field(sa_column=Column(sa.LargeBinary, nullable=False))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    error: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    attempts: int = 0
    status: str = Field(default="pending", max_length=20, index=True)
    dead_lettered_at: datetime = Field(
        default_factory=system_clock, sa_column=Column(sa.DateTime(timezone=True), nullable=False)
    )
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(sa.DateTime(timezone=True), nullable=True)
    )
    resolved_by: str | None = Field(default=None, max_length=200)


def _jsonable_headers(headers: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in headers.items():
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = str(value)
        clean[str(key)] = value
    return clean


def redacted_payload(body: bytes) -> dict[str, Any]:
    """The dead letter's envelope for display, secret fields replaced; raw text if unparseable."""
    try:
        return Envelope.model_validate(orjson.loads(body)).redacted()
    except Exception:
        return {"unparseable": base64.b64encode(body[:2048]).decode()}


class DeadLetterCollector:
    """Moves messages from the service's DLQ queue into its ``dead_letter`` table."""

    def __init__(self, *, service: str, bus: EventBus, sessions: Any, queue_prefix: str) -> None:
        self.service = service
        self.bus = bus
        self.sessions = sessions
        self.names = queue_names(queue_prefix, service, [])
        self.queue: AbstractQueue | None = None
        self._tag: str | None = None

    async def start(self) -> None:
        channel = await self.bus.channel()
        await channel.set_qos(prefetch_count=16)
        self.queue = await channel.declare_queue(
            self.names["dlq"], durable=True, arguments={"x-queue-type": "quorum"}
        )
        self._tag = await self.queue.consume(self.collect, no_ack=False)

    async def stop(self) -> None:
        if self.queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self.queue.cancel(self._tag)

    async def collect(self, message: AbstractIncomingMessage) -> None:
        """Store one dead-lettered message (idempotently), then ack it."""
        headers = _jsonable_headers(dict(message.headers or {}))
        failed_at = str(headers.get("x-failed-at") or headers.get("x-first-death-reason") or "")
        key = f"{self.service}|{message.message_id}|{failed_at}|{message.body[:64]!r}"
        row = {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, key),
            "message_id": message.message_id,
            "event_type": message.type,
            "origin_queue": str(headers.get("x-origin-queue") or self.names["main"]),
            "body": message.body,
            "headers": headers,
            "error": str(headers.get(ERROR_HEADER) or "rejected by the broker (delivery limit)"),
            "attempts": int(headers.get(ATTEMPT_HEADER) or 0),
            "status": "pending",
            "dead_lettered_at": system_clock(),
        }
        try:
            async with self.sessions() as session, session.begin():
                await session.execute(insert(DeadLetter).values(**row).on_conflict_do_nothing())
        except Exception:
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            return
        await message.ack()


class DeadLetterView(BaseModel):
    """A dead letter as ops see it (secrets redacted)."""

    id: uuid.UUID
    message_id: str | None
    event_type: str | None
    origin_queue: str
    error: str
    attempts: int
    status: str
    dead_lettered_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    envelope: dict[str, Any] | None = None
    headers: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: DeadLetter, *, full: bool = False) -> DeadLetterView:
        headers = {k: v for k, v in row.headers.items() if k.lower() != "authorization"}
        return cls(
            id=row.id,
            message_id=row.message_id,
            event_type=row.event_type,
            origin_queue=row.origin_queue,
            error=row.error,
            attempts=row.attempts,
            status=row.status,
            dead_lettered_at=row.dead_lettered_at,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            envelope=redacted_payload(row.body) if full else None,
            headers=headers if full else None,
        )


class DeadLetterPage(BaseModel):
    items: list[DeadLetterView]
    next_cursor: str | None


async def list_dead_letters(
    session: Any, *, status: str | None, limit: int, cursor: str | None
) -> DeadLetterPage:
    """A page of dead letters, newest first; the cursor is the last item's time and id."""
    query = select(DeadLetter).order_by(
        col(DeadLetter.dead_lettered_at).desc(), col(DeadLetter.id).desc()
    )
    if status:
        query = query.where(DeadLetter.status == status)
    if cursor:
        at_text, _, id_text = cursor.partition("|")
        at, last_id = datetime.fromisoformat(at_text), uuid.UUID(id_text)
        query = query.where(
            sa.tuple_(col(DeadLetter.dead_lettered_at), col(DeadLetter.id)) < sa.tuple_(at, last_id)
        )
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        f"{rows[-1].dead_lettered_at.isoformat()}|{rows[-1].id}" if more and rows else None
    )
    return DeadLetterPage(items=[DeadLetterView.of(r) for r in rows], next_cursor=next_cursor)


async def replay(row: DeadLetter, *, bus: EventBus) -> None:
    """Send the dead letter back to its queue as a first attempt."""
    headers = {k: v for k, v in row.headers.items() if not k.startswith("x-death")}
    headers[ATTEMPT_HEADER] = 1
    headers["x-replayed-from"] = str(row.id)
    message = aio_pika.Message(
        body=row.body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=row.message_id,
        type=row.event_type,
        headers=headers,
    )
    await bus.send_to_queue(row.origin_queue, message)
