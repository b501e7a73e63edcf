"""Issue 19, item 15: an event the broker returns as unroutable is not counted as sent.

On a first install the producer's relay may publish before the consumer has
declared its queue; the broker then returns the (mandatory) message. The row
stays unpublished and the relay tries again, so once the consumer's queue is
bound the event is delivered, once. Rows of other event types are not held up.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aio_pika
import orjson
import pytest_asyncio
import sqlalchemy as sa

from bizmall_events import Envelope, InquiryAnswered
from servicekit.outbox import OutboxRecord
from servicekit.relay import OutboxRelay
from servicekit.runtime import Runtime
from servicekit.testing.helpers import drain_queue, eventually
from servicekit.testing.probe import ProbeHappened, ProbeSettings, create_tables

#: An event type some other consumer is already bound to.
OTHER_TYPE = "kitprobe.other.happened"


@pytest_asyncio.fixture
async def lonely(infra: Any) -> AsyncIterator[Runtime]:
    """The probe service on an exchange of its own: no queue is bound to anything yet."""
    suffix = uuid.uuid4().hex[:8]
    settings = await infra.service_settings(
        ProbeSettings,
        event_exchange=f"{infra.exchange}.unrouted{suffix}",
        queue_prefix=f"{infra.queue_prefix}{suffix}",
    )
    runtime = Runtime.build(settings)
    await create_tables(runtime)
    try:
        yield runtime
    finally:
        await runtime.close()


async def unpublished_types(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        result = await session.execute(
            sa.select(OutboxRecord.type).where(OutboxRecord.published_at.is_(None))  # type: ignore[union-attr]
        )
        return sorted(result.scalars())


async def bound_queue(
    channel: aio_pika.abc.AbstractChannel, runtime: Runtime, routing_key: str
) -> aio_pika.abc.AbstractQueue:
    """What a consumer does when it starts: declare its queue and bind it."""
    exchange = await channel.declare_exchange(
        runtime.settings.event_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(
        f"{runtime.settings.queue_prefix}.{routing_key}", auto_delete=True
    )
    await queue.bind(exchange, routing_key=routing_key)
    return queue


async def test_item15_unroutable_event_stays_unsent_until_a_queue_is_bound_then_arrives_once(
    infra: Any, lonely: Runtime
) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel()
    relay = OutboxRelay(
        sessions=lonely.sessions,
        bus=lonely.bus,
        database_url=lonely.settings.database_url,
        poll_seconds=0.2,
    )
    stop = asyncio.Event()
    running: asyncio.Task[None] | None = None
    try:
        other_queue = await bound_queue(channel, lonely, OTHER_TYPE)
        probe_id = uuid.uuid4()
        other = Envelope(type=OTHER_TYPE, producer="kitprobe", correlation_id="c-1", data={})
        async with lonely.uow() as uow:
            uow.publish(ProbeHappened(probe_id=probe_id, note="before any consumer"))
            await uow.commit()
        async with lonely.sessions() as session, session.begin():
            session.add(OutboxRecord.of(other))

        await relay.drain()
        await relay.drain()  # a second pass: still nobody to deliver to

        # The returned event is not "sent"; the routable one went through all the same.
        assert await unpublished_types(lonely) == [ProbeHappened.TYPE]
        assert [orjson.loads(b)["id"] for b in await drain_queue(other_queue, settle=0.3)] == [
            str(other.id)
        ]

        # The consumer starts and declares its queue: the relay delivers the event, once.
        probe_queue = await bound_queue(channel, lonely, ProbeHappened.TYPE)
        running = asyncio.create_task(relay.run(stop))
        await eventually(lambda: _none_left(lonely), timeout=30)
        await asyncio.sleep(1.0)  # more passes: nothing is sent again
        bodies = await drain_queue(probe_queue)
    finally:
        stop.set()
        if running is not None:
            await running
        await connection.close()
    assert [orjson.loads(b)["data"]["probe_id"] for b in bodies] == [str(probe_id)]


async def test_item15_unroutable_event_past_the_grace_is_given_up(lonely: Runtime) -> None:
    relay = OutboxRelay(
        sessions=lonely.sessions,
        bus=lonely.bus,
        database_url=lonely.settings.database_url,
        unroutable_grace=timedelta(minutes=5),
    )
    async with lonely.uow() as uow:
        uow.publish(ProbeHappened(probe_id=uuid.uuid4(), note="young"))
        await uow.commit()
    async with lonely.uow() as uow:
        uow.publish(ProbeHappened(probe_id=uuid.uuid4(), note="old"))
        await uow.commit()
    async with lonely.sessions() as session, session.begin():
        await session.execute(
            sa.text(
                "UPDATE outbox SET created_at = now() - interval '10 minutes' "
                "WHERE envelope->'data'->>'note' = 'old'"
            )
        )
    await relay.drain()
    async with lonely.sessions() as session:
        waiting = (
            await session.execute(
                sa.text("SELECT envelope->'data'->>'note' FROM outbox WHERE published_at IS NULL")
            )
        ).scalars()
        assert list(waiting) == ["young"]


async def test_item15_an_event_nobody_consumes_is_published_without_waiting_for_a_queue(
    lonely: Runtime,
) -> None:
    """SPEC §5 lists no consumer of ``notification.inquiry.answered``: its contract says
    so (``CONSUMED = False``) and the relay does not keep it waiting for a queue."""
    assert InquiryAnswered.CONSUMED is False
    relay = OutboxRelay(
        sessions=lonely.sessions, bus=lonely.bus, database_url=lonely.settings.database_url
    )
    async with lonely.uow() as uow:
        uow.publish(
            InquiryAnswered(
                inquiry_id=uuid.uuid4(),
                member_id=uuid.uuid4(),
                category="general",
                aggregate_version=2,
            )
        )
        uow.publish(ProbeHappened(probe_id=uuid.uuid4(), note="consumed, nobody bound"))
        await uow.commit()
    await relay.drain()
    assert await unpublished_types(lonely) == [ProbeHappened.TYPE]


async def _none_left(runtime: Runtime) -> bool:
    return await unpublished_types(runtime) == []
