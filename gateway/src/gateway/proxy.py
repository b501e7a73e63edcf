"""The forwarding of one public request to its service, as a raw ASGI handler.

Raw ASGI rather than a FastAPI route: a catch-all route would parse, encode
and buffer what the gateway only has to pass through, and the proxy is on
every request's path.

For each request, in order: the body size is checked against the limit
(413), a maintenance window of the service holds writes (503, R1; operator
routes are never held, so ops can end it), the bearer token is verified
where the route needs one (401/403), the rate limit is counted (429), and
then the request goes to the service's next address. The request body is
streamed to the service as it arrives and the answer streamed back as it
comes, so uploads and PDFs never sit whole in the gateway. A streamed body
that stops moving for the upstream timeout ends the request: 408 when the
client stopped sending it, 504 when the service stopped taking it.

Headers: hop-by-hop headers are dropped both ways; the service receives
``X-Request-ID``/``X-Correlation-ID`` (the ids bound by
:class:`servicekit.web.RequestContextMiddleware`) and ``X-Forwarded-For``,
``-Proto`` and ``-Host`` set by the gateway (a client's own ``X-Forwarded-*``
are discarded: the gateway is where the client address is known).

Rate limits when Redis is down: login, registration, password reset and
verification resend are refused (fail closed, 503) — brute force must not get
through an outage; other writes and the reads of public routes pass (fail
open). Reads of the public routes (lineup, searches, notices) are counted per
client address (issue 19 item 10: each uncached search costs catalog a
query); reads of member and ops routes are not counted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import aiohttp
from starlette.types import Message, Receive, Scope, Send

from gateway import errors
from gateway.config import RateClass
from gateway.maintenance import MaintenanceBoard
from gateway.ratelimit import RateLimiter, RateLimiterUnavailable, client_key
from gateway.routes import WRITE_METHODS, Access, Route, requires_token
from gateway.upstream import (
    BodyFactory,
    BodyProgress,
    UpstreamBroken,
    UpstreamClient,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from servicekit import tracing
from servicekit.auth import JWKSVerifier, Principal
from servicekit.context import (
    CORRELATION_ID_HEADER,
    REQUEST_ID_HEADER,
    correlation_id_var,
    new_id,
    request_id_var,
)
from servicekit.logging import get_logger
from servicekit.problems import Problem, problem_response

_log = get_logger(__name__)

_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-authorization",
        b"proxy-authenticate",
    }
)
# The gateway sets these itself; `expect` is answered by the gateway's own server.
_NOT_FORWARDED = _HOP_BY_HOP | {
    b"host",
    b"expect",
    b"x-request-id",
    b"x-correlation-id",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"forwarded",
}
# The gateway's own server writes Date and Server; the service's copies would
# make each appear twice.
_NOT_RETURNED = _HOP_BY_HOP | {b"x-request-id", b"date", b"server"}
_NOSNIFF = (b"x-content-type-options", b"nosniff")

#: Bodies up to this size are read whole before forwarding (one write upstream,
#: and a refused connection can be retried on the next address); larger or
#: chunked ones stream.
_SMALL_BODY = 64 * 1024
#: Answers up to this size are read whole and sent in one message; larger or
#: chunked ones stream, watching for the client going away.
_SMALL_ANSWER = 256 * 1024


class _BodyTooLarge(Exception):
    """The streamed request body went over the limit."""


class _ClientGone(Exception):
    """The client disconnected; nobody is left to answer."""


@dataclass(slots=True)
class _BodyState(BodyProgress):
    """How far the request body got; tells why a streamed upload failed."""

    finished: bool = False
    too_large: bool = False
    client_gone: bool = False
    #: Waiting for the client's next chunk (a stall then is the client's, not the service's).
    waiting_on_client: bool = False


@dataclass(slots=True)
class _Incoming:
    """What the gateway needs from the request headers, gathered in one pass, and
    how far the request body has been read."""

    forwarded: list[tuple[str, str]]
    content_length: str | None = None
    chunked: bool = False
    authorization: str | None = None
    accept_language: str | None = None
    host: str | None = None
    body: _BodyState = field(default_factory=_BodyState)

    @property
    def body_unread(self) -> bool:
        """Whether part of an announced request body is still on the connection."""
        announced = self.chunked or self.content_length not in (None, "0")
        return announced and not self.body.finished


class Proxy:
    """Forwards requests matched by the route table (see module docs)."""

    def __init__(
        self,
        *,
        upstream: UpstreamClient,
        verifier: JWKSVerifier,
        limiter: RateLimiter,
        maintenance: MaintenanceBoard,
        max_body_bytes: int,
    ) -> None:
        self._upstream = upstream
        self._verifier = verifier
        self._limiter = limiter
        self._maintenance = maintenance
        self._max_body = max_body_bytes

    async def handle(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request for ``route``."""
        incoming = _read_headers(scope["headers"])
        try:
            if tracing.enabled():
                await self._forward_traced(route, incoming, scope, receive, send)
            else:
                await self._forward(route, incoming, scope, receive, send)
        except Problem as problem:
            response = problem_response(problem, incoming.accept_language)
            if incoming.body_unread:
                # Answered before the whole body came: the rest must not be read as the
                # next request on this connection (a body shorter than its Content-Length
                # would leave the client waiting forever), so the connection ends here.
                response.headers["Connection"] = "close"
            await response(scope, receive, send)
        except _ClientGone:
            _log.info("client went away before the answer", service=route.service)

    async def _forward_traced(
        self, route: Route, incoming: _Incoming, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """:meth:`_forward` under a client span, whose ``traceparent`` the service receives."""
        with tracing.span(
            f"{scope['method']} {route.service}",
            kind=tracing.SpanKind.CLIENT,
            attributes={"bizmall.upstream": route.service, "http.route": route.prefix},
        ):
            await self._forward(route, incoming, scope, receive, send)

    async def _forward(
        self, route: Route, incoming: _Incoming, scope: Scope, receive: Receive, send: Send
    ) -> None:
        method: str = scope["method"]
        declared = _declared_length(incoming)
        if declared is not None and declared > self._max_body:
            raise errors.body_too_large(self._max_body)

        is_write = method in WRITE_METHODS
        if is_write and not route.is_ops:
            await self._check_maintenance(route.service)
        principal = await self._authenticate(route, method, incoming)
        client_ip = _client_ip(scope)
        await self._check_rate(route, is_write, principal, client_ip)

        state = incoming.body
        body: bytes | BodyFactory | None
        if incoming.chunked or (declared is not None and declared > _SMALL_BODY):
            body = partial(_stream_body, receive, state, self._max_body)
        elif declared:
            body = await _read_whole(receive)
            state.finished = True
        else:
            body = None
            state.finished = True

        try:
            response = await self._upstream.open(
                route.service,
                method,
                _path_and_query(scope),
                _upstream_headers(incoming, scope, client_ip),
                body=body,
                progress=state,
            )
        except UpstreamUnavailable:
            _log.warning("upstream unavailable", service=route.service)
            raise errors.upstream_unavailable(route.service) from None
        except UpstreamTimeout:
            if state.waiting_on_client:
                _log.info("client stopped sending the request body", service=route.service)
                raise errors.request_timeout() from None
            _log.warning("upstream timeout", service=route.service)
            raise errors.upstream_timeout(route.service) from None
        except UpstreamBroken as exc:
            if state.too_large:
                raise errors.body_too_large(self._max_body) from None
            if state.client_gone:
                raise _ClientGone from None
            _log.warning("upstream connection broke", service=route.service, error=str(exc))
            raise errors.upstream_broken(route.service) from None
        try:
            await _relay(
                response,
                route.service,
                receive,
                send,
                watch=state.finished,
                close=incoming.body_unread,
            )
        finally:
            response.release()

    async def _check_maintenance(self, service: str) -> None:
        window = await self._maintenance.window_for(service)
        if window is not None:
            remaining = (window.ends_at - datetime.now(UTC)).total_seconds()
            raise errors.under_maintenance(window, max(1, math.ceil(remaining)))

    async def _authenticate(
        self, route: Route, method: str, incoming: _Incoming
    ) -> Principal | None:
        if not requires_token(route, method):
            return None
        token = _bearer(incoming.authorization)
        if token is None:
            raise errors.token_missing()
        principal = await self._verifier.verify(token)
        if route.access is Access.OPS and "ops" not in principal.roles:
            raise errors.ops_only()
        return principal

    async def _check_rate(
        self, route: Route, is_write: bool, principal: Principal | None, client_ip: str
    ) -> None:
        if route.strict_rate is not None:
            try:
                verdict = await self._limiter.hit(route.strict_rate, f"ip:{client_key(client_ip)}")
            except RateLimiterUnavailable as exc:
                _log.error("rate limiter unavailable; strict route refused", error=str(exc))
                raise errors.rate_limiter_unavailable() from None
        elif is_write or route.access is Access.PUBLIC_READ:
            rate_class: RateClass = "write" if is_write else "public_read"
            caller = f"member:{principal.subject}" if principal else f"ip:{client_key(client_ip)}"
            try:
                verdict = await self._limiter.hit(rate_class, caller)
            except RateLimiterUnavailable as exc:
                _log.warning("rate limiter unavailable; request let through", error=str(exc))
                return
        else:
            return
        if not verdict.allowed:
            raise errors.rate_limited(verdict.retry_after_seconds)


def _read_headers(raw: list[tuple[bytes, bytes]]) -> _Incoming:
    incoming = _Incoming(forwarded=[])
    connection_tokens: set[bytes] = set()
    for name, value in raw:
        if name == b"content-length":
            incoming.content_length = value.decode("latin-1")
        elif name == b"transfer-encoding":
            incoming.chunked = True
        elif name == b"authorization":
            incoming.authorization = value.decode("latin-1")
        elif name == b"accept-language":
            incoming.accept_language = value.decode("latin-1")
        elif name == b"host":
            incoming.host = value.decode("latin-1")
        elif name == b"connection":
            connection_tokens.update(t.strip().lower() for t in value.split(b","))
        if name not in _NOT_FORWARDED:
            incoming.forwarded.append((name.decode("latin-1"), value.decode("latin-1")))
    if connection_tokens:
        # A header named in Connection is hop-by-hop too, wherever it appeared.
        names = {token.decode("latin-1") for token in connection_tokens}
        incoming.forwarded = [(n, v) for n, v in incoming.forwarded if n not in names]
    if incoming.chunked:
        # Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); the body streams.
        incoming.forwarded = [(n, v) for n, v in incoming.forwarded if n != "content-length"]
        incoming.content_length = None
    return incoming


def _declared_length(incoming: _Incoming) -> int | None:
    if incoming.content_length is None:
        return None
    try:
        length = int(incoming.content_length)
    except ValueError:
        raise errors.bad_content_length() from None
    if length < 0:
        raise errors.bad_content_length()
    return length


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _upstream_headers(incoming: _Incoming, scope: Scope, client_ip: str) -> list[tuple[str, str]]:
    request_id = request_id_var.get() or new_id()
    headers = [
        *incoming.forwarded,
        (REQUEST_ID_HEADER, request_id),
        (CORRELATION_ID_HEADER, correlation_id_var.get() or request_id),
        ("X-Forwarded-For", client_ip),
        ("X-Forwarded-Proto", scope.get("scheme", "http")),
        *([("X-Forwarded-Host", incoming.host)] if incoming.host else []),
    ]
    if tracing.enabled():
        # The service's parent is the gateway's client span, not the caller's span.
        headers = [(n, v) for n, v in headers if n.lower() not in tracing.CONTEXT_HEADERS]
        headers += tracing.inject().items()
    return headers


def _path_and_query(scope: Scope) -> str:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string", b"")
    return (raw_path + (b"?" + query if query else b"")).decode("latin-1")


async def _read_whole(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _stream_body(receive: Receive, state: _BodyState, limit: int) -> AsyncIterator[bytes]:
    state.started = True
    received = 0
    while True:
        # Each resumption means the upstream took the previous chunk: the body moves.
        state.moved_at = time.monotonic()
        state.waiting_on_client = True
        message = await receive()
        state.waiting_on_client = False
        state.moved_at = time.monotonic()
        if message["type"] == "http.disconnect":
            state.client_gone = True
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            state.too_large = True
            raise _BodyTooLarge
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            state.finished = True
            return


async def _relay(
    response: aiohttp.ClientResponse,
    service: str,
    receive: Receive,
    send: Send,
    *,
    watch: bool,
    close: bool,
) -> None:
    headers = [
        (name.lower(), value)
        for name, value in response.raw_headers
        if name.lower() not in _NOT_RETURNED
    ]
    if close:
        # The service answered before taking the whole body (see Proxy.handle).
        headers.append((b"connection", b"close"))
    if not any(name == _NOSNIFF[0] for name, _ in headers):
        headers.append(_NOSNIFF)
    length = response.content_length
    if length is not None and length <= _SMALL_ANSWER:
        try:
            data = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            if isinstance(exc, aiohttp.ServerTimeoutError):
                raise errors.upstream_timeout(service) from None
            raise errors.upstream_broken(service) from None
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": data, "more_body": False})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    # Once the request body is fully read, receive() only reports the client
    # leaving: then reading the rest of a large answer would be wasted.
    gone = asyncio.create_task(_wait_disconnect(receive)) if watch else None
    try:
        async for chunk in response.content.iter_any():
            if gone is not None and gone.done():
                _log.info("client left during a streamed answer", service=service)
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except (aiohttp.ClientError, TimeoutError) as exc:
        # The status is already sent: all that is left is to cut the connection.
        _log.warning("upstream failed mid-answer", service=service, error=str(exc))
        raise
    finally:
        if gone is not None:
            gone.cancel()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_disconnect(receive: Receive) -> None:
    message: Message = await receive()
    while message["type"] != "http.disconnect":
        message = await receive()
