"""Issue 10's observability Done-when on one whole stack: a ``traceparent`` sent
with an order is followed gateway → ordering → outbox relay → broker →
notification's consumer → the SMTP send, every span a child of the one before;
and each of the eleven processes (gateway, five APIs, five workers) serves
``/metrics`` that parses and counts the traffic it handled."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bizmall_testkit.data import simple_options
from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

TRACE_ID = uuid.uuid4().hex
CALLER_SPAN = uuid.uuid4().hex[:16]
ORDER_PLACED = "ordering.order.placed"
#: Filled by the trace test, read by the metrics test (same stack, same session).
_placed: dict[str, Any] = {}


def the_one(spans: list[Any], **where: Any) -> Any:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in where.items())]
    assert len(found) == 1, f"{len(found)} spans match {where}: {found}"
    return found[0]


async def test_an_orders_trace_runs_from_the_gateway_to_the_smtp_send(
    stack: Any, otlp_receiver: Any
) -> None:
    receiver = otlp_receiver
    member = await stack.register_and_login(entity_type="corporation")
    service = next(s for s in await stack.lineup() if simple_options(s["order_fields"]) is not None)
    body = await stack.order_body(service)
    traceparent = {"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"}
    status, order = await stack.order(member, body, headers=traceparent)
    assert status == 201, order
    _placed["order_id"] = order["id"]
    await stack.mail_to(
        member.email,
        lambda m: "ご注文を受け付けました" in str(m["Subject"]) and order["id"] in stack.text_of(m),
    )

    links = [
        {"service": "gateway", "kind": "SPAN_KIND_SERVER"},
        {"service": "gateway", "kind": "SPAN_KIND_CLIENT"},
        {"service": "ordering", "kind": "SPAN_KIND_SERVER"},
        {"service": "ordering-worker", "kind": "SPAN_KIND_PRODUCER"},
        {"service": "notification-worker", "kind": "SPAN_KIND_CONSUMER"},
        {"service": "notification-worker", "name": "smtp send"},
    ]

    async def whole_chain() -> list[Any] | None:
        spans = receiver.trace(TRACE_ID)
        arrived = all(
            any(all(getattr(s, k) == v for k, v in link.items()) for s in spans) for link in links
        )
        return spans if arrived else None

    # Each process exports its spans in batches of its own, in no set order: wait for a
    # span of every process on the way, then check how they link.
    spans = await eventually(whole_chain, timeout=30)
    send = the_one(spans, service="notification-worker", name="smtp send")

    gateway = the_one(spans, service="gateway", kind="SPAN_KIND_SERVER", name="POST /api/v1/orders")
    assert gateway.parent_span_id == CALLER_SPAN
    outgoing = the_one(spans, service="gateway", kind="SPAN_KIND_CLIENT")
    assert outgoing.parent_span_id == gateway.span_id
    ordering = the_one(
        spans, service="ordering", kind="SPAN_KIND_SERVER", parent_span_id=outgoing.span_id
    )
    assert ordering.name == "POST /api/v1/orders"
    assert ordering.attributes["http.response.status_code"] == 201
    publish = the_one(
        spans, service="ordering-worker", kind="SPAN_KIND_PRODUCER", name=f"{ORDER_PLACED} publish"
    )
    assert publish.parent_span_id == ordering.span_id
    consumed = the_one(
        spans,
        service="notification-worker",
        kind="SPAN_KIND_CONSUMER",
        name=f"{ORDER_PLACED} process",
    )
    assert consumed.parent_span_id == publish.span_id
    assert send.parent_span_id == consumed.span_id
    assert send.kind == "SPAN_KIND_CLIENT"
    assert send.attributes["bizmall.template"] == "order_confirmation"


async def test_every_process_serves_metrics_counting_its_traffic(stack: Any) -> None:
    assert _placed, "runs after the order of the trace test"
    scrapes: dict[str, dict[tuple[str, frozenset[tuple[str, str]]], float]] = {}
    families: dict[str, set[str]] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        for process, url in stack.metrics_urls.items():
            async with http.get(url) as response:
                assert response.status == 200, process
                text = await response.text()
            parsed = list(text_string_to_metric_families(text))
            families[process] = {f.name for f in parsed}
            scrapes[process] = {
                (s.name, frozenset(s.labels.items())): s.value for f in parsed for s in f.samples
            }
    assert len(scrapes) == 11

    def total(process: str, name: str, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(v for (n, ls), v in scrapes[process].items() if n == name and wanted <= ls)

    requests = "bizmall_http_requests_total"
    for process in scrapes:
        if process.endswith("-api"):
            # devrun's /readyz polls at least; every API counts by route template.
            assert total(process, requests) > 0, process
            assert "bizmall_http_request_duration_seconds" in families[process], process
        else:
            for family in ("bizmall_outbox_backlog", "bizmall_outbox_oldest_unsent_age_seconds"):
                assert family in families[process], (process, family)
            assert "bizmall_dead_letters" in families[process], process
            assert total(process, "bizmall_metrics_refresh_errors_total") == 0, process
    order = {"method": "POST", "route": "/api/v1/orders", "status": "201"}
    assert total("gateway-api", requests, **order) >= 1
    assert total("ordering-api", requests, **order) >= 1
    assert total("identity-api", requests, route="/api/v1/auth/register", status="202") >= 1
    # The route label is a template: no order id ever becomes a label.
    order_id = _placed["order_id"]
    assert not any(order_id in str(labels) for s in scrapes.values() for (_n, labels) in s)

    assert total("ordering-worker", "bizmall_outbox_published_total", event_type=ORDER_PLACED) >= 1
    handled = total(
        "notification-worker",
        "bizmall_consumer_processing_seconds_count",
        event_type=ORDER_PLACED,
        outcome="handled",
    )
    assert handled >= 1
    assert "bizmall_consumer_failures" in families["notification-worker"]
    assert total("notification-worker", "bizmall_email_sent_total") >= 1
    assert "bizmall_email_send_failures" in families["notification-worker"]
    assert "bizmall_billing_run_duration_seconds" in families["billing-worker"]
