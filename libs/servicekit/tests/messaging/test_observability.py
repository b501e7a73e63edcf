"""Metrics and traces of the event path, on real PostgreSQL and RabbitMQ: the worker's
/metrics, /healthz and /readyz; the outbox, consumer and dead-letter metrics; one
trace from an HTTP request through the outbox and the broker to the handler."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bizmall_events import Envelope
from servicekit import metrics, tracing
from servicekit.outbox import OutboxRecord
from servicekit.runtime import Runtime
from servicekit.testing.helpers import eventually
from servicekit.testing.probe import ProbeEffect, ProbeHappened, effect_count
from servicekit.web import create_service_app
from servicekit.worker import Worker


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) → value (parsing fails on a bad scrape)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scrape: dict[Any, float], name: str, **labels: str) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


class Handler:
    """The probe's handler: records the effect; fails while ``failing``."""

    def __init__(self) -> None:
        self.failing = False
        self.seen: list[uuid.UUID] = []

    async def __call__(self, event: ProbeHappened, *, uow: Any, envelope: Envelope) -> None:
        uow.session.add(ProbeEffect(probe_id=event.probe_id))
        if self.failing:
            raise RuntimeError("the probe's downstream refused")
        self.seen.append(event.probe_id)


@pytest_asyncio.fixture
async def served(probe: Runtime) -> AsyncIterator[tuple[Worker, Handler, str]]:
    handler = Handler()
    worker = Worker(probe, subscriptions={ProbeHappened: handler})
    port = await worker.start_http("127.0.0.1", 0)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.ready.wait(), 20)
    try:
        yield worker, handler, f"http://127.0.0.1:{port}"
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def scrape(base: str) -> dict[Any, float]:
    status, text = await get(base + "/metrics")
    assert status == 200
    return samples(text)


async def publish(runtime: Runtime, probe_id: uuid.UUID) -> None:
    async with runtime.uow() as uow:
        uow.publish(ProbeHappened(probe_id=probe_id))
        await uow.commit()


async def test_worker_answers_probes_only_once_consuming(probe: Runtime) -> None:
    worker = Worker(probe, subscriptions={ProbeHappened: Handler()})
    port = await worker.start_http("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        assert (await get(base + "/healthz"))[0] == 200
        status, body = await get(base + "/readyz")
        assert status == 503 and "not started" in body
        task = asyncio.create_task(worker.run())
        await asyncio.wait_for(worker.ready.wait(), 20)
        status, body = await get(base + "/readyz")
        assert status == 200, body
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
    assert worker.http is None  # the server is closed with the worker


async def test_worker_metrics_count_published_handled_and_failed_events(
    probe: Runtime, served: tuple[Worker, Handler, str]
) -> None:
    _, handler, base = served
    kind = ProbeHappened.TYPE
    before = await scrape(base)
    good = uuid.uuid4()
    await publish(probe, good)
    await eventually(lambda: effect_count(probe, good))

    async def handled() -> dict[Any, float] | None:
        now = await scrape(base)
        count = "bizmall_consumer_processing_seconds_count"
        done = value(now, count, event_type=kind, outcome="handled")
        return now if done > value(before, count, event_type=kind, outcome="handled") else None

    after = await eventually(handled)
    published = "bizmall_outbox_published_total"
    assert value(after, published, event_type=kind) == value(before, published, event_type=kind) + 1
    assert value(after, "bizmall_outbox_backlog") == 0
    assert value(after, "bizmall_outbox_oldest_unsent_age_seconds") == 0

    # A handler failing every attempt: each attempt counts, and the event is dead-lettered.
    handler.failing = True
    await publish(probe, uuid.uuid4())
    attempts = probe.settings.max_attempts

    async def dead_lettered() -> dict[Any, float] | None:
        now = await scrape(base)
        return now if value(now, "bizmall_dead_letters") >= 1 else None

    final = await eventually(dead_lettered, timeout=30)
    failures = "bizmall_consumer_failures_total"
    assert value(final, failures, event_type=kind) - value(before, failures, event_type=kind) == (
        attempts
    )
    lettered = "bizmall_consumer_dead_lettered_total"
    assert value(final, lettered, event_type=kind) - value(before, lettered, event_type=kind) == 1
    assert value(final, "bizmall_dead_letters") == 1  # this database's one pending letter


async def test_backlog_and_age_of_the_oldest_unsent_event_are_read_from_the_outbox(
    probe: Runtime,
) -> None:
    refresh = metrics.database_gauges(probe.engine)
    await refresh()
    assert value(samples(metrics.render()[0].decode()), "bizmall_outbox_backlog") == 0
    # No relay runs here: the events stay in the outbox.
    for _ in range(3):
        await publish(probe, uuid.uuid4())
    await asyncio.sleep(0.05)
    await refresh()
    text = metrics.render()[0].decode()
    scraped = samples(text)
    assert value(scraped, "bizmall_outbox_backlog") == 3
    assert value(scraped, "bizmall_outbox_oldest_unsent_age_seconds") > 0


# -- traces -------------------------------------------------------------------------------


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("kitprobe", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


async def test_one_trace_runs_from_the_request_through_the_broker_to_the_handler(
    probe: Runtime, spans: InMemorySpanExporter, capture: Any
) -> None:
    handler = Handler()
    router = APIRouter()

    @router.post("/probes/{probe_id}")
    async def create(probe_id: uuid.UUID) -> dict[str, str]:
        await publish(probe, probe_id)
        return {"status": "queued"}

    app = create_service_app(settings=probe.settings, title="probe", routers=[router], readiness={})
    worker = Worker(probe, subscriptions={ProbeHappened: handler})
    task = asyncio.create_task(worker.run())
    probe_id = uuid.uuid4()
    try:
        await asyncio.wait_for(worker.ready.wait(), 20)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://probe"
        ) as client:
            response = await client.post(
                f"/probes/{probe_id}",
                headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"},
            )
        assert response.status_code == 200
        await eventually(lambda: effect_count(probe, probe_id))

        def finished() -> list[Any]:
            done = spans.get_finished_spans()
            return list(done) if any(s.kind is SpanKind.CONSUMER for s in done) else []

        finished_spans = await eventually(lambda: asyncio.sleep(0, finished()))
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)

    by_kind = {s.kind: s for s in finished_spans}
    server, producer, consumer = (
        by_kind[SpanKind.SERVER],
        by_kind[SpanKind.PRODUCER],
        by_kind[SpanKind.CONSUMER],
    )
    assert {f"{s.context.trace_id:032x}" for s in (server, producer, consumer)} == {CALLER_TRACE}
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert server.name == "POST /probes/{probe_id}"
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
    assert producer.parent is not None and producer.parent.span_id == server.context.span_id
    assert consumer.parent is not None and consumer.parent.span_id == producer.context.span_id
    assert producer.name == consumer.name.replace("process", "publish")
    # The broker carried the producer's context in the message's traceparent header.
    message = await capture.get(timeout=5)
    await message.ack()
    header = str((message.headers or {})["traceparent"])
    assert header.split("-")[1:3] == [CALLER_TRACE, f"{producer.context.span_id:016x}"]


async def test_without_tracing_nothing_is_recorded_or_sent(probe: Runtime, capture: Any) -> None:
    assert not tracing.enabled()
    await publish(probe, uuid.uuid4())
    async with probe.sessions() as session:
        rows = list((await session.execute(select(OutboxRecord))).scalars())
    assert [row.headers for row in rows] == [{}]
    assert tracing.inject() == {}
    assert tracing.current_traceparent() is None
