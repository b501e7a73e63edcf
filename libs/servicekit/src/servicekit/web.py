"""The FastAPI app every service builds, and the middleware that ties a request
to its logs.

:func:`create_service_app` gives each service the same outer shape: request
ids, one access log line per request, problem details for every error,
``/healthz`` and ``/readyz``, and the schema at ``/openapi.json`` for the
gateway to merge.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.datastructures import Default
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import metrics, tracing
from servicekit.context import (
    CORRELATION_ID_HEADER,
    REQUEST_ID_HEADER,
    correlation_id_var,
    new_id,
    request_id_var,
)
from servicekit.health import health_router
from servicekit.logging import get_logger
from servicekit.problems import install_problem_handlers, internal_error_response
from servicekit.responses import ORJSONResponse
from servicekit.settings import ServiceSettings

_access_log = get_logger("servicekit.access")
_error_log = get_logger("servicekit.web")

# Incoming ids are client input written into every log line: accept only short
# plain tokens, so a crafted header cannot forge log content.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def _incoming_id(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    if value is not None and _VALID_ID.fullmatch(value):
        return value
    return None


class RequestContextMiddleware:
    """Pure ASGI middleware binding each HTTP request to its ids.

    Takes ``X-Request-ID`` (and ``X-Correlation-ID``, defaulting to the
    request id) from the request or creates one, sets the context variables of
    :mod:`servicekit.context` for the request's duration, echoes
    ``X-Request-ID`` on the response and logs one access line (method, path
    without the query string — it may hold tokens —, status, duration).

    An exception that escapes the app before the response started is logged
    with its traceback and answered with the 500 ``internal`` problem here,
    so that answer still carries the request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not tracing.enabled():
            await self._handle(scope, receive, send, headers, None)
            return
        carrier = {name: headers.get(name) for name in (tracing.TRACEPARENT, "tracestate")}
        # Named "<method> <route template>" once routing has happened (see _handle).
        with tracing.span(scope["method"], kind=tracing.SpanKind.SERVER, parent=carrier) as current:
            await self._handle(scope, receive, send, headers, current)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, current: Any
    ) -> None:
        request_id = _incoming_id(headers, REQUEST_ID_HEADER) or new_id()
        correlation_id = _incoming_id(headers, CORRELATION_ID_HEADER) or request_id
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                response_headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in response_headers:
                    response_headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if response_started:
                raise
            _error_log.exception("unhandled exception", method=scope["method"], path=scope["path"])
            await internal_error_response(Request(scope), exc)(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = metrics.route_template(scope)
            metrics.observe_request(scope["method"], route, status, elapsed)
            if current is not None:
                current.update_name(f"{scope['method']} {route}")
                current.set_attribute("http.request.method", scope["method"])
                current.set_attribute("http.route", route)
                current.set_attribute("http.response.status_code", status)
                if status >= 500:
                    tracing.set_error(current, f"HTTP {status}")
            self._log_access(scope, status, elapsed)
            correlation_id_var.reset(correlation_token)
            request_id_var.reset(request_token)

    @staticmethod
    def _log_access(scope: Scope, status: int, elapsed: float) -> None:
        path = scope["path"]
        # Orchestrator probes every few seconds would drown the real traffic.
        log = _access_log.debug if path in _PROBE_PATHS else _access_log.info
        log(
            "request",
            method=scope["method"],
            path=path,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    routers: Sequence[APIRouter],
    readiness: Mapping[str, Callable[[], Awaitable[None]]],
    optional_readiness: Collection[str] = (),
    lifespan: Callable[[FastAPI], Any] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """Build a service's FastAPI app with the common middleware, errors and probes.

    ``settings`` is kept on ``app.state.settings``. Routers are included as
    they are (each carries its own prefix, the same path the gateway exposes).
    ``readiness`` names the checks of ``/readyz`` (see :mod:`servicekit.health`);
    those named in ``optional_readiness`` report a degraded service, not an
    unready one.
    """
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        # Wrapped in Default() so that routes with a declared response model keep
        # FastAPI's direct pydantic-to-JSON path; routes returning plain data are
        # rendered with orjson.
        default_response_class=Default(ORJSONResponse),
    )
    app.state.settings = settings
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    app.include_router(health_router(readiness, optional=optional_readiness))
    app.include_router(metrics.metrics_router())
    for router in routers:
        app.include_router(router)
    return app
