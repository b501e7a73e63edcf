"""The gateway's /metrics (labelled by route-table prefix, never the raw path) and its
part of a trace: a server span continuing the caller's ``traceparent`` and a client
span whose ``traceparent`` the service receives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from servicekit import tracing

pytestmark = pytest.mark.integration

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


async def scrape(client: aiohttp.ClientSession, gateway: Any) -> dict[Any, float]:
    # On GATEWAY_METRICS_PORT, not the public port (issue 19, item 12).
    async with client.get(gateway.metrics_url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def requests(scrape: dict[Any, float], **labels: str) -> float:
    key = ("bizmall_http_requests_total", frozenset(labels.items()))
    return scrape.get(key, 0.0)


async def test_metrics_count_requests_by_route_prefix_and_status(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    before = await scrape(client, gateway)
    for path in ("/api/v1/services/svc-1", "/api/v1/services/svc-2/start-dates"):
        async with client.get(gateway.url + path) as response:
            assert response.status == 200
    async with client.get(gateway.url + "/api/v1/orders/o-1") as response:
        assert response.status == 401  # no token: answered by the gateway itself
    after = await scrape(client, gateway)

    services = {"method": "GET", "route": "/api/v1/services", "status": "200"}
    assert requests(after, **services) == requests(before, **services) + 2
    orders = {"method": "GET", "route": "/api/v1/orders", "status": "401"}
    assert requests(after, **orders) == requests(before, **orders) + 1
    routes = {dict(labels).get("route") for (name, labels) in after if name.startswith("bizmall_")}
    assert not any(route and "svc-1" in route for route in routes), "raw paths became labels"
    histogram = ("bizmall_http_request_duration_seconds_count", frozenset(services.items()))
    assert after[histogram] >= 2


async def test_metrics_are_not_in_the_public_api_document(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/openapi.json") as response:
        document = await response.json()
    assert "/metrics" not in document.get("paths", {})


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("gateway", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


async def test_the_service_receives_the_gateways_span_as_its_parent(
    gateway: Any, client: aiohttp.ClientSession, spans: InMemorySpanExporter
) -> None:
    caller = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    async with client.get(
        gateway.url + "/api/v1/services/svc-1", headers={"traceparent": caller}
    ) as response:
        seen = await response.json()
    assert response.status == 200

    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    (outgoing,) = [s for s in finished if s.kind is SpanKind.CLIENT]
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    assert server.parent is not None and f"{server.parent.span_id:016x}" == CALLER_SPAN
    assert server.name == "GET /api/v1/services"
    assert outgoing.parent is not None and outgoing.parent.span_id == server.context.span_id
    # The caller's own traceparent is replaced by the gateway's client span.
    forwarded = seen["headers"]["traceparent"].split("-")
    assert forwarded[1:3] == [CALLER_TRACE, f"{outgoing.context.span_id:016x}"]


async def test_without_tracing_a_callers_traceparent_passes_through_untouched(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    assert not tracing.enabled()
    caller = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
    async with client.get(
        gateway.url + "/api/v1/services/svc-1", headers={"traceparent": caller}
    ) as response:
        seen = await response.json()
    assert seen["headers"]["traceparent"] == caller
