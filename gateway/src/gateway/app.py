"""The gateway's ASGI app: the proxy for routed paths, FastAPI for everything else.

A request whose path the route table maps to a service goes straight to the
raw ASGI :class:`~gateway.proxy.Proxy`; every other request — the gateway's
own ``/healthz``, ``/readyz``, ``/api/v1/health/{service}``,
``/api/v1/openapi.json``, ``/api/v1/docs`` and the web client — is served by
a small FastAPI app. ``/metrics`` is not on the public port: with
``GATEWAY_METRICS_PORT`` set, a second listener serves it there (for
Prometheus, never published), as the workers serve theirs. Both sit inside
:class:`servicekit.web.RequestContextMiddleware`, so every answer carries an
``X-Request-ID`` and every log line of the request the same id.

Configuration is checked when the app is built (an upstream list that is
empty or not plain HTTP stops the start), so ``/readyz`` only has to check
Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import aiohttp
import orjson
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import errors, routes
from gateway.balancer import Resolver, resolve_with_system
from gateway.config import SERVICES, Settings
from gateway.maintenance import MaintenanceBoard
from gateway.openapi import MergedOpenAPI
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimiter
from gateway.upstream import UpstreamClient, UpstreamError
from gateway.web import docs_page, page_response
from servicekit import tracing
from servicekit.auth import JWKSVerifier
from servicekit.context import REQUEST_ID_HEADER, request_id_var
from servicekit.health import health_router, redis_check
from servicekit.logging import ensure_logging
from servicekit.metrics import start_metrics_server
from servicekit.problems import install_problem_handlers, problem_response
from servicekit.redis import create_redis
from servicekit.web import RequestContextMiddleware

_NO_STORE = {"Cache-Control": "no-store"}
_ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class ServiceHealth(BaseModel):
    """The public readiness of one service."""

    service: str
    status: Literal["ok", "degraded", "unavailable"]


class Gateway:
    """Dispatches each HTTP request to the proxy or to the gateway's own routes."""

    def __init__(self, proxy: Proxy, own: ASGIApp) -> None:
        self._proxy = proxy
        self._own = own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = routes.match(scope["path"])
            if route is not None:
                # The metrics' route label: the route table's prefix, never the raw path.
                scope["bizmall.route"] = route.prefix
                await self._proxy.handle(route, scope, receive, send)
                return
        await self._own(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, resolver: Resolver = resolve_with_system
) -> ASGIApp:
    """Build the gateway (the uvicorn factory: ``gateway.app:create_app``).

    ``resolver`` turns upstream host names into addresses (tests give their own).
    """
    settings = settings or Settings()
    ensure_logging("gateway", settings.log_level)
    tracing.configure("gateway")
    redis = create_redis(settings.redis_url, client_name="gateway")
    upstream = UpstreamClient(settings, resolver)
    verifier = JWKSVerifier(settings.jwks_url)
    proxy = Proxy(
        upstream=upstream,
        verifier=verifier,
        limiter=RateLimiter(redis, settings.redis_namespace, settings.rate_limits()),
        maintenance=MaintenanceBoard(
            redis, settings.redis_namespace, cache_seconds=settings.maintenance_cache_seconds
        ),
        max_body_bytes=settings.max_body_bytes,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await upstream.start()
        metrics_server = None
        if settings.metrics_port:
            # Several uvicorn workers (GATEWAY_WORKERS) each bind it; a scrape sees one.
            metrics_server = await start_metrics_server(
                settings.host, settings.metrics_port, reuse_port=settings.workers > 1
            )
        try:
            yield
        finally:
            if metrics_server is not None:
                await metrics_server.cleanup()
            await upstream.close()
            await verifier.close()
            await redis.aclose()

    own = FastAPI(
        title="bizmall gateway",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(own)
    # Without Redis the gateway still serves reads (rate-limited writes are refused),
    # so Redis down is "degraded", not "not ready": probes keep the replicas in service.
    own.include_router(health_router({"redis": redis_check(redis)}, optional={"redis"}))
    merged = MergedOpenAPI(
        upstream,
        own=own.openapi,
        cache_seconds=settings.openapi_cache_seconds,
        fetch_timeout_seconds=settings.http_timeout_seconds,
    )
    web_root = Path(settings.web_root)

    @own.get(
        "/api/v1/health/{service}",
        tags=["gateway"],
        summary="Readiness of one service",
        response_model=ServiceHealth,
    )
    async def service_health(service: str, request: Request) -> Response:
        """Whether the service is ready: ``ok``, ``degraded`` (200) or ``unavailable`` (503).

        Status only: which dependency failed, and why, stays on the service's own
        ``/readyz``, which is not public.
        """
        accept_language = request.headers.get("accept-language")
        if service not in SERVICES:
            return problem_response(errors.not_routed(), accept_language)
        headers = [(REQUEST_ID_HEADER, request_id_var.get() or "")]
        try:
            # A probe must answer promptly, not after the proxy's long timeout.
            async with asyncio.timeout(settings.http_timeout_seconds):
                answer = await upstream.open(service, "GET", "/readyz", headers)
                try:
                    body = await answer.read()
                finally:
                    answer.release()
        except (UpstreamError, aiohttp.ClientError, TimeoutError):
            return problem_response(errors.upstream_unavailable(service), accept_language)
        status = "unavailable"
        if answer.status == 200:
            status = "degraded" if _said_degraded(body) else "ok"
        return Response(
            orjson.dumps({"service": service, "status": status}),
            status_code=200 if answer.status == 200 else 503,
            media_type="application/json",
            headers=_NO_STORE,
        )

    @own.get("/api/v1/openapi.json", include_in_schema=False)
    async def openapi_document() -> Response:
        return Response(await merged.document(), media_type="application/json")

    @own.get("/api/v1/docs", include_in_schema=False)
    async def docs() -> Response:
        return docs_page(orjson.loads(await merged.document()))

    @own.api_route("/{path:path}", methods=list(_ALL_METHODS), include_in_schema=False)
    async def page(path: str, request: Request) -> Response:
        accept_language = request.headers.get("accept-language")
        if request.method not in ("GET", "HEAD"):
            # Not a routed path: nothing here takes writes (/internal/... included).
            return problem_response(errors.not_routed(), accept_language)
        return page_response(web_root, path, accept_language)

    return RequestContextMiddleware(Gateway(proxy, own))


def _said_degraded(readyz_body: bytes) -> bool:
    """Whether a service's ``/readyz`` answer says ``"status": "degraded"``."""
    try:
        answer = orjson.loads(readyz_body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(answer, dict) and answer.get("status") == "degraded"
