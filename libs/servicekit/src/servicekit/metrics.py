"""Prometheus metrics of every bizmall process, served at ``/metrics``.

One registry per process (:data:`REGISTRY`), holding:

- ``bizmall_http_requests_total`` and ``bizmall_http_request_duration_seconds``
  by method, route *template* (``/api/v1/orders/{order_id}``, never the raw
  path, so the number of series stays bounded) and status — recorded by
  :class:`servicekit.web.RequestContextMiddleware` in the APIs and the gateway;
- ``bizmall_outbox_backlog`` and ``bizmall_outbox_oldest_unsent_age_seconds``,
  ``bizmall_dead_letters`` (dead letters neither replayed nor discarded) —
  read from the service's database when a worker is scraped;
- ``bizmall_outbox_published_total``, ``bizmall_outbox_unroutable_total``,
  ``bizmall_consumer_processing_seconds``
  and ``bizmall_consumer_failures_total`` per event type — counted by the relay
  and the consumer;
- ``bizmall_log_lines_dropped_total`` — access lines given up because stdout
  stalled past the log writer's buffer (see :class:`servicekit.logging.LineWriter`);
- service-specific metrics registered by the services on the same registry
  (notification's email send failures, billing's run duration);
- the process collector's ``process_*`` (CPU, memory, open files).

With ``<NAME>_WORKERS`` above 1 each uvicorn worker process has its own
registry and a scrape sees one of them: scale with replicas instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

from servicekit.logging import dropped_lines

#: The registry of this process: everything ``/metrics`` shows.
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

#: Latency buckets (seconds) of HTTP requests and event handlers.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "bizmall_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "bizmall_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ("method", "route", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "bizmall_outbox_backlog",
    "Outbox events committed but not yet published (read when the worker is scraped).",
    registry=REGISTRY,
)
OUTBOX_OLDEST_AGE = Gauge(
    "bizmall_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unpublished outbox event; 0 when none waits.",
    registry=REGISTRY,
)
OUTBOX_PUBLISHED = Counter(
    "bizmall_outbox_published_total",
    "Outbox events published to the broker by this process's relay, by event type.",
    ("event_type",),
    registry=REGISTRY,
)
OUTBOX_UNROUTABLE = Counter(
    "bizmall_outbox_unroutable_total",
    "Outbox events the broker returned unroutable (no queue bound for the type yet), "
    "by event type; each try counts. The row stays unsent and is tried again.",
    ("event_type",),
    registry=REGISTRY,
)
DEAD_LETTERS = Gauge(
    "bizmall_dead_letters",
    "Dead letters waiting for ops (neither replayed nor discarded).",
    registry=REGISTRY,
)
CONSUMER_DURATION = Histogram(
    "bizmall_consumer_processing_seconds",
    "Time to process one event, by event type and outcome (handled, duplicate, failed).",
    ("event_type", "outcome"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
CONSUMER_FAILURES = Counter(
    "bizmall_consumer_failures_total",
    "Failed attempts of an event handler, by event type (each retry counts).",
    ("event_type",),
    registry=REGISTRY,
)
CONSUMER_DEAD_LETTERED = Counter(
    "bizmall_consumer_dead_lettered_total",
    "Events sent to the dead-letter queue after their last attempt, by event type.",
    ("event_type",),
    registry=REGISTRY,
)
SCRAPE_ERRORS = Counter(
    "bizmall_metrics_refresh_errors_total",
    "Scrapes whose database-backed gauges could not be refreshed.",
    registry=REGISTRY,
)


class _DroppedLogLines(Collector):
    """Reads the log writer's drop count at scrape time: the writer counts with a
    plain integer, so writing a line never touches a metric."""

    def collect(self) -> list[Metric]:
        family = CounterMetricFamily(
            "bizmall_log_lines_dropped",
            "Log lines dropped because stdout stalled past the log writer's buffer "
            "(or could not be written).",
            value=dropped_lines(),
        )
        return [family]


REGISTRY.register(_DroppedLogLines())

#: Route label of requests no route matched (kept as one series).
UNMATCHED = "<unmatched>"

# Label children cached by key: .labels() takes a lock and builds a tuple each call.
_http_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request.

    Cheap: one dict lookup after the first request of a (method, route, status),
    then the cached label children's ``inc`` and ``observe`` (about 2 µs together,
    measured).
    """
    key = (method, route, status)
    children = _http_children.get(key)
    if children is None:
        status_text = str(status)
        children = (
            HTTP_REQUESTS.labels(method, route, status_text),
            HTTP_DURATION.labels(method, route, status_text),
        )
        _http_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def route_template(scope: Mapping[str, Any]) -> str:
    """The matched route's path template of an ASGI request, or :data:`UNMATCHED`.

    FastAPI leaves the matched route in ``scope["route"]``; the gateway's proxy
    leaves its route table entry's label in ``scope["bizmall.route"]``.
    """
    label = scope.get("bizmall.route")
    if label is not None:
        return str(label)
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED


def render() -> tuple[bytes, str]:
    """The text exposition of :data:`REGISTRY` and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


_OUTBOX_QUERY = text(
    "SELECT count(*), EXTRACT(EPOCH FROM (now() - min(created_at))) "
    "FROM outbox WHERE published_at IS NULL"
)
_DEAD_LETTER_QUERY = text("SELECT count(*) FROM dead_letter WHERE status = 'pending'")


def database_gauges(engine: AsyncEngine, *, timeout: float = 2.0) -> Callable[[], Awaitable[None]]:
    """A refresher of the outbox and dead-letter gauges from ``engine``'s database.

    Called before each worker scrape; a database that does not answer within
    ``timeout`` leaves the last values and counts ``bizmall_metrics_refresh_errors_total``.
    """

    async def refresh() -> None:
        try:
            async with asyncio.timeout(timeout), engine.connect() as connection:
                backlog, age = (await connection.execute(_OUTBOX_QUERY)).one()
                dead = await connection.scalar(_DEAD_LETTER_QUERY)
        except Exception:
            SCRAPE_ERRORS.inc()
            return
        OUTBOX_BACKLOG.set(int(backlog or 0))
        OUTBOX_OLDEST_AGE.set(max(float(age or 0.0), 0.0))
        DEAD_LETTERS.set(int(dead or 0))

    return refresh


def metrics_router() -> APIRouter:
    """``GET /metrics`` (Prometheus text format), kept out of the OpenAPI schema."""
    router = APIRouter(include_in_schema=False)

    @router.get("/metrics")
    async def scrape() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    return router


async def start_metrics_server(
    host: str,
    port: int,
    *,
    refresh: Callable[[], Awaitable[None]] | None = None,
    reuse_port: bool = False,
) -> web.AppRunner:
    """Serve ``GET /metrics`` alone on ``host:port`` (a port kept off the public network).

    ``refresh`` runs before each scrape. ``reuse_port`` lets the uvicorn worker
    processes of one app all bind the port (each scrape then sees one of them).
    Call ``cleanup()`` on the returned runner to stop.
    """

    async def scrape(_request: web.Request) -> web.Response:
        if refresh is not None:
            await refresh()
        body, content_type = render()
        return web.Response(
            body=body, headers={"Content-Type": content_type, "Cache-Control": "no-store"}
        )

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, reuse_port=reuse_port or None)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
