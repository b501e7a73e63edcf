"""The FastAPI app every service builds, and the middleware that ties a request
to its logs.

:func:`create_service_app` gives each service the same outer shape: request
ids, one access log line per request, problem details for every error,
``/healthz`` and ``/readyz``, and the schema at ``/openapi.json`` for the
gateway to merge.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.datastructures import Default
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit import metrics, tracing
from servicekit.context import correlation_id_var, new_id, request_id_var
from servicekit.health import health_router
from servicekit.logging import get_line_logger, get_logger
from servicekit.problems import install_problem_handlers, internal_error_response
from servicekit.responses import ORJSONResponse
from servicekit.settings import ServiceSettings

_access_log = get_line_logger("servicekit.access")
_error_log = get_logger("servicekit.web")

# Incoming ids are client input written into every log line: accept only short
# plain tokens, so a crafted header cannot forge log content.
_VALID_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_PROBE_PATHS = frozenset({"/healthz", "/readyz"})
# ASGI servers give header names in lower case (the spec asks them to).
_REQUEST_ID = b"x-request-id"
_CORRELATION_ID = b"x-correlation-id"
_TRACE_HEADERS = {name.encode(): name for name in tracing.CONTEXT_HEADERS}


def _valid_id(value: bytes | None) -> str | None:
    if value is not None and _VALID_ID.fullmatch(value):
        return value.decode("ascii")
    return None


class RequestContextMiddleware:
    """Pure ASGI middleware binding each HTTP request to its ids, its metrics,
    its span and its access line — one middleware for all four, so a request
    passes one layer of ours, not four.

    Takes ``X-Request-ID`` (and ``X-Correlation-ID``, defaulting to the
    request id) from the request or creates one, sets the context variables of
    :mod:`servicekit.context` for the request's duration, echoes
    ``X-Request-ID`` on the response, counts the request in
    :mod:`servicekit.metrics`, names the server span (when tracing is on) and
    logs one access line (method, path without the query string — it may hold
    tokens —, status, duration) through a :class:`~servicekit.logging.LineLogger`:
    rendered once and written off the event loop, at debug level for the
    orchestrator's probes.

    The request headers are read by one pass over ``scope["headers"]`` and the
    response's ``X-Request-ID`` is appended as a raw header: no Starlette
    ``Headers`` objects on the way, which cost more than the work they do here.

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
        traced = tracing.enabled()
        request_id = correlation_id = None
        carrier: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                if request_id is None:
                    request_id = value
            elif name == _CORRELATION_ID:
                if correlation_id is None:
                    correlation_id = value
            elif traced and name in _TRACE_HEADERS:
                carrier.setdefault(_TRACE_HEADERS[name], value.decode("latin-1"))
        ids = (_valid_id(request_id), _valid_id(correlation_id))
        if not traced:
            await self._handle(scope, receive, send, ids, None)
            return
        # Named "<method> <route template>" once routing has happened (see _handle).
        with tracing.span(scope["method"], kind=tracing.SpanKind.SERVER, parent=carrier) as current:
            await self._handle(scope, receive, send, ids, current)

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        ids: tuple[str | None, str | None],
        current: Any,
    ) -> None:
        request_id = ids[0] or new_id()
        correlation_id = ids[1] or request_id
        request_token = request_id_var.set(request_id)
        correlation_token = correlation_id_var.set(correlation_id)
        id_header = (_REQUEST_ID, request_id.encode("ascii"))
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = message.get("headers", ())
                if not any(name == _REQUEST_ID for name, _ in headers):
                    # A new list: the app may send the same header list again
                    # (a cached response object) and must not find ours in it.
                    message["headers"] = [*headers, id_header]
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
            method = scope["method"]
            route = metrics.route_template(scope)
            metrics.observe_request(method, route, status, elapsed)
            if current is not None:
                current.update_name(f"{method} {route}")
                current.set_attribute("http.request.method", method)
                current.set_attribute("http.route", route)
                current.set_attribute("http.response.status_code", status)
                if status >= 500:
                    tracing.set_error(current, f"HTTP {status}")
            path = scope["path"]
            # Orchestrator probes every few seconds would drown the real traffic.
            level = logging.DEBUG if path in _PROBE_PATHS else logging.INFO
            if _access_log.is_enabled_for(level):
                _access_log.log(
                    level,
                    "request",
                    {
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                    span=current,
                )
            correlation_id_var.reset(correlation_token)
            request_id_var.reset(request_token)


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
