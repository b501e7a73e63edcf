"""The outbox: events survive a broker outage and are published once, even by two relays."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa

from servicekit.bus import EventBus
from servicekit.outbox import OutboxRecord
from servicekit.relay import OutboxRelay
from servicekit.runtime import Runtime
from servicekit.testing.helpers import drain_queue, eventually
from servicekit.testing.probe import ProbeHappened
from servicekit.testing.tcpproxy import TcpProxy


async def unpublished(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        result = await session.execute(
            sa.select(sa.func.count()).where(OutboxRecord.published_at.is_(None))  # type: ignore[union-attr]
        )
        return int(result.scalar_one())


async def test_state_change_and_event_commit_together(probe: Runtime) -> None:
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=uuid.uuid4()))
        # not committed: the event must vanish with the work
    assert await unpublished(probe) == 0
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=uuid.uuid4()))
        await uow.commit()
    assert await unpublished(probe) == 1


async def test_event_committed_while_broker_unreachable_is_delivered_when_it_returns(
    infra: Any, probe: Runtime, capture: Any
) -> None:
    broker = urlsplit(infra.amqp_url)
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    via_proxy = infra.amqp_url.replace(broker.netloc, f"guest:guest@127.0.0.1:{proxy.port}")
    bus = EventBus(via_proxy, probe.settings.event_exchange, connect_timeout=1.0)
    relay = OutboxRelay(
        sessions=probe.sessions, bus=bus, database_url=probe.settings.database_url, poll_seconds=0.2
    )
    probe_id = uuid.uuid4()
    async with probe.uow() as uow:
        uow.publish(ProbeHappened(probe_id=probe_id, note="during outage"))
        await uow.commit()

    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.sleep(1.5)  # the relay tries and fails while the broker is away
        assert await unpublished(probe) == 1
        assert await capture.get(no_ack=True, fail=False) is None

        await proxy.start()  # the broker is back
        await eventually(lambda: _is_zero(unpublished(probe)), timeout=30)
        bodies = await drain_queue(capture)
    finally:
        stop.set()
        await running
        await bus.close()
        await proxy.cut()
    ids = [orjson.loads(b)["data"]["probe_id"] for b in bodies]
    assert ids == [str(probe_id)]


async def _is_zero(value: Any) -> bool:
    return (await value) == 0


RELAY_SCRIPT = """
import asyncio, sys
from servicekit.bus import EventBus
from servicekit.db import create_engine, session_factory
from servicekit.relay import OutboxRelay

async def main(url, amqp, exchange):
    engine = create_engine(url)
    bus = EventBus(amqp, exchange)
    relay = OutboxRelay(sessions=session_factory(engine), bus=bus, database_url=url, batch_size=10)
    sent = 0
    while True:
        n = await relay.publish_batch()
        sent += n
        if n == 0:
            break
    await bus.close()
    await engine.dispose()
    print(sent)

asyncio.run(main(*sys.argv[1:4]))
"""


async def test_two_relay_processes_publish_each_event_once(
    infra: Any, probe: Runtime, capture: Any
) -> None:
    expected: set[str] = set()
    for _ in range(20):
        async with probe.uow() as uow:
            for _ in range(15):
                expected.add(str(uow.publish(ProbeHappened(probe_id=uuid.uuid4())).id))
            await uow.commit()
    args = [probe.settings.database_url, infra.amqp_url, probe.settings.event_exchange]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RELAY_SCRIPT,
            *args,
            stdout=subprocess.PIPE,
            env=dict(os.environ),
        )
        for _ in range(2)
    ]
    outputs = [await p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    counts = [int(out.decode().strip().splitlines()[-1]) for out, _ in outputs]

    bodies = await drain_queue(capture)
    published_ids = [orjson.loads(b)["id"] for b in bodies]
    assert sorted(published_ids) == sorted(expected)  # all of them, none twice
    assert sum(counts) == len(expected)
    assert await unpublished(probe) == 0
