"""A service app's /metrics (route templates, not raw paths) and its server spans;
when the standard OTEL_* variables turn tracing on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families

from servicekit import tracing
from servicekit.logging import configure_logging, get_logger
from servicekit.settings import ServiceSettings
from servicekit.web import create_service_app


def build_app() -> Any:
    router = APIRouter()

    @router.get("/api/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @router.get("/api/v1/broken")
    async def broken() -> dict[str, str]:
        raise RuntimeError("boom")

    return create_service_app(
        settings=ServiceSettings(), title="metrics probe", routers=[router], readiness={}
    )


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


async def scrape(http: httpx.AsyncClient) -> dict[Any, float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def count(scrape: dict[Any, float], **labels: str) -> float:
    return scrape.get(("bizmall_http_requests_total", frozenset(labels.items())), 0.0)


async def test_requests_are_counted_by_route_template_and_status() -> None:
    app = build_app()
    async with client(app) as http:
        before = await scrape(http)
        for thing in ("a-1", "b-2", "c-3"):
            assert (await http.get(f"/api/v1/things/{thing}")).status_code == 200
        assert (await http.get("/api/v1/nowhere/x-9")).status_code == 404
        assert (await http.get("/api/v1/broken")).status_code == 500
        after = await scrape(http)

    things = {"method": "GET", "route": "/api/v1/things/{thing_id}", "status": "200"}
    assert count(after, **things) == count(before, **things) + 3
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert count(after, **unmatched) == count(before, **unmatched) + 1
    broken = {"method": "GET", "route": "/api/v1/broken", "status": "500"}
    assert count(after, **broken) == count(before, **broken) + 1
    duration = ("bizmall_http_request_duration_seconds_count", frozenset(things.items()))
    assert after[duration] >= 3
    labels = {dict(key).get("route") for (_name, key) in after}
    assert not any(label and ("a-1" in label or "x-9" in label) for label in labels)


async def test_metrics_stay_out_of_the_openapi_document() -> None:
    async with client(build_app()) as http:
        document = (await http.get("/openapi.json")).json()
    assert "/metrics" not in document["paths"]
    assert "/api/v1/things/{thing_id}" in document["paths"]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("svc", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


async def test_server_spans_continue_the_callers_trace_and_mark_failures(
    spans: InMemorySpanExporter,
) -> None:
    trace_id, span_id = "5bf92f3577b34da6a3ce929d0e0e4736", "10f067aa0ba902b7"
    async with client(build_app()) as http:
        await http.get("/api/v1/things/a-1", headers={"traceparent": f"00-{trace_id}-{span_id}-01"})
        await http.get("/api/v1/broken", headers={"traceparent": "not-a-trace"})
    ok, failed = spans.get_finished_spans()
    assert ok.kind is SpanKind.SERVER and ok.name == "GET /api/v1/things/{thing_id}"
    assert f"{ok.context.trace_id:032x}" == trace_id
    assert ok.parent is not None and f"{ok.parent.span_id:016x}" == span_id
    assert ok.status.status_code is not StatusCode.ERROR
    # A malformed traceparent starts a new trace; a 500 marks the span failed.
    assert failed.parent is None and f"{failed.context.trace_id:032x}" != trace_id
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["http.response.status_code"] == 500


@pytest.mark.parametrize(
    ("environ", "wanted"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, None),
    ],
)
def test_tracing_follows_the_standard_variables(
    environ: dict[str, str], wanted: str | None
) -> None:
    assert tracing.wanted(environ) == wanted


def test_spans_go_to_the_standard_endpoint() -> None:
    assert tracing.traces_endpoint({}) == "http://localhost:4318/v1/traces"
    base = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}
    assert tracing.traces_endpoint(base) == "http://collector:4318/v1/traces"
    own = {**base, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other:4318/custom"}
    assert tracing.traces_endpoint(own) == "http://other:4318/custom"


def test_an_environment_asking_for_nothing_leaves_tracing_off() -> None:
    assert tracing.configure("svc", environ={}) is False
    assert not tracing.enabled()
    assert tracing.configure("svc", environ={"OTEL_TRACES_EXPORTER": "console"}) is True
    try:
        assert tracing.enabled()
    finally:
        tracing.shutdown()
    assert not tracing.enabled()


def test_log_lines_written_under_a_span_name_its_trace(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("tracing-test", "INFO")
    capsys.readouterr()
    log = get_logger("tests.tracing")
    log.info("outside any span")
    with tracing.span("work") as current:
        assert current is not None
        log.info("inside the span")
    outside, inside = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert "trace_id" not in outside
    assert inside["trace_id"] == f"{current.get_span_context().trace_id:032x}"
    assert inside["span_id"] == f"{current.get_span_context().span_id:016x}"
