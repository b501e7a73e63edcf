"""Fixtures of the messaging tests: the probe service on real servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest_asyncio

from servicekit.runtime import Runtime
from servicekit.testing.probe import ProbeHappened, ProbeSettings, create_tables


@pytest_asyncio.fixture
async def probe(infra: Any) -> AsyncIterator[Runtime]:
    prefix = f"{infra.queue_prefix}{uuid.uuid4().hex[:6]}"
    settings = await infra.service_settings(ProbeSettings, queue_prefix=prefix)
    runtime = Runtime.build(settings)
    await create_tables(runtime)
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest_asyncio.fixture
async def capture(infra: Any, probe: Runtime) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    """A queue bound to the probe event on the run's exchange, to see what was published."""
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        probe.settings.event_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(f"{probe.settings.queue_prefix}.capture", auto_delete=True)
    await queue.bind(exchange, routing_key=ProbeHappened.TYPE)
    try:
        yield queue
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()
