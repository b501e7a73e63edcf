"""Benchmark (not a test): emails per second into a local SMTP sink, and the latency from
publishing an event to the SMTP server accepting its email (p50/p99).

    uv run python services/notification/bench/bench_notification_email.py [N [RATE]]

N events published at once (throughput), or at RATE events/s (latency under a steady load).

Runs the real worker (consumer, inbox, delivery table, sender) against the local
PostgreSQL and RabbitMQ on a throw-away database and exchange.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from bizmall_events import Envelope, LocalizedText, MemberProfile, MemberVerified, OrderPlaced
from notification.bootstrap import SERVICE
from notification.config import Settings
from notification.entrypoints.jobs import jobs
from notification.entrypoints.subscriptions import subscriptions
from servicekit.logging import configure_logging
from servicekit.migrations import upgrade
from servicekit.testing.infra import discover
from servicekit.testing.smtp import SmtpSink
from servicekit.worker import Worker


class TimedSink(SmtpSink):
    """The test sink, also noting when each event's email arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.arrived[str(self.messages[-1]["X-Bizmall-Event-ID"])] = time.perf_counter()
        return answer


def order(member_id: uuid.UUID) -> OrderPlaced:
    name = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
    return OrderPlaced(
        order_id=uuid.uuid4(),
        member_id=member_id,
        service_id=uuid.uuid4(),
        service_name=name,
        plan_id=uuid.uuid4(),
        plan_version_id=uuid.uuid4(),
        plan_name=name,
        quantity=1,
        planned_start_date=date(2025, 4, 1),
        aggregate_version=1,
        status="received",
        monthly_fee=1000,
        initial_fee=0,
        inquiry_reference="Q-1",
        placed_at=datetime.now(UTC),
    )


async def main(count: int, rate: float | None) -> None:
    configure_logging("notification-bench", "WARNING")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink logs every command
    infra = discover()
    sink = TimedSink()
    sink.start()
    try:
        settings = await infra.service_settings(
            Settings, smtp_host=sink.host, smtp_port=sink.port, log_level="WARNING"
        )
        await asyncio.to_thread(upgrade, settings, SERVICE.name)
        runtime = SERVICE.runtime(settings)
        worker = Worker(runtime, subscriptions=subscriptions(runtime), jobs=jobs(runtime))
        task = asyncio.create_task(worker.run())
        await worker.ready.wait()
        member_id = uuid.uuid4()
        profile = MemberProfile(
            status="active",
            entity_type="corporation",
            name="Bench",
            organization_name="B",
            postal_code="1000001",
            address="Tokyo",
            contact_email="bench@example.jp",
            language="ja",
        )
        await runtime.bus.publish(
            Envelope.wrap(
                MemberVerified(member_id=member_id, profile=profile, aggregate_version=1),
                producer="bench",
                correlation_id="bench",
            )
        )
        await asyncio.sleep(1.0)  # let the member copy land before the timed run

        published: dict[str, float] = {}
        started = time.perf_counter()
        for _ in range(count):
            envelope = Envelope.wrap(order(member_id), producer="bench", correlation_id="bench")
            published[str(envelope.id)] = time.perf_counter()
            await runtime.bus.publish(envelope)
            if rate:
                await asyncio.sleep(1 / rate)
        while len(sink.arrived) < count:  # noqa: ASYNC110 - polling a plain dict
            await asyncio.sleep(0.05)
        finished = max(sink.arrived.values())
        latencies = sorted((sink.arrived[k] - published[k]) * 1000 for k in published)
        quantiles = statistics.quantiles(latencies, n=100)
        print(f"emails: {count}")
        print(f"throughput: {count / (finished - started):.1f} emails/s")
        print(f"event->SMTP latency p50: {quantiles[49]:.1f} ms, p99: {quantiles[98]:.1f} ms")
        async with runtime.sessions() as session:
            first, last = (
                await session.execute(text("SELECT min(created_at), max(created_at) FROM delivery"))
            ).one()
        print(f"recorded by the consumer: {count / (last - first).total_seconds():.1f} events/s")
        worker.stop()
        await task
        await runtime.close()
    finally:
        sink.stop()
        await infra.cleanup()


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 500,
            float(sys.argv[2]) if len(sys.argv) > 2 else None,
        )
    )
