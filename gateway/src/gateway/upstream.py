"""Requests from the gateway to the services, on aiohttp's client.

aiohttp was chosen by measurement (``gateway/bench/proxy_clients.py``): on this
kind of machine a pass-through proxy on httpx served about 250 requests/s and
on aiohttp about 1,550, against 3,700 for the bare upstream.

:meth:`UpstreamClient.open` sends one request to the next address of a
service and returns once the answer's status and headers are in; the body is
read by the caller, chunk by chunk. A refused connection is retried on the
service's next address — safe for any method, since nothing reached the
service — as long as no byte of the request body has been consumed.

A streamed request body is watched as well: aiohttp starts its read timeout
only once the whole body is written, so a service that stops taking the body
(or a client that stops sending it) would otherwise hold the request forever.
When the body has not moved for the upstream timeout, the request is given up
with :class:`UpstreamTimeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from gateway.balancer import Resolver, ServicePool, resolve_with_system
from gateway.config import Settings

#: A streamed request body: a fresh async iterator per attempt.
BodyFactory = Callable[[], AsyncIterator[bytes]]


class UpstreamError(Exception):
    """The service gave no answer."""


class UpstreamUnavailable(UpstreamError):
    """Every address of the service refused or could not be reached (503)."""


class UpstreamTimeout(UpstreamError):
    """The service stayed silent past the timeout (504)."""


class UpstreamBroken(UpstreamError):
    """The connection broke before an answer arrived (502)."""


@dataclass(slots=True)
class BodyProgress:
    """Whether the request body has started flowing (then a retry is no longer possible),
    and when it last moved (``time.monotonic()``; the streamed body's producer sets it)."""

    started: bool = False
    moved_at: float = 0.0


class UpstreamClient:
    """One pooled aiohttp session and the address pool of every service."""

    def __init__(self, settings: Settings, resolver: Resolver = resolve_with_system) -> None:
        self.pools = {
            service: ServicePool(
                service,
                urls,
                dns_cache_seconds=settings.dns_cache_seconds,
                refused_cooldown_seconds=settings.refused_cooldown_seconds,
                resolver=resolver,
            )
            for service, urls in settings.upstream_urls().items()
        }
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the connection pool (inside the running event loop)."""
        settings = self._settings
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=settings.upstream_max_connections, keepalive_timeout=30
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=settings.upstream_connect_timeout_seconds,
                sock_read=settings.upstream_timeout_seconds,
            ),
            # Bodies pass through as the service encoded them, and the gateway
            # adds no headers the client did not send.
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def open(
        self,
        service: str,
        method: str,
        path_and_query: str,
        headers: Sequence[tuple[str, str]],
        *,
        body: bytes | BodyFactory | None = None,
        progress: BodyProgress | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request to ``service``; the answer's body is still to be read.

        ``path_and_query`` is percent-encoded already (``/api/v1/orders?page=2``).
        The caller must ``release()`` the response. Raises
        :class:`UpstreamUnavailable`, :class:`UpstreamTimeout` or
        :class:`UpstreamBroken`; an error raised by a streamed ``body`` surfaces
        as :class:`UpstreamBroken` (the body's own state tells the cause).
        ``progress.started`` stops retries once a streamed body began to flow.
        """
        assert self._session is not None, "UpstreamClient.start() was not awaited"
        pool = self.pools[service]
        progress = progress or BodyProgress()
        for target in await pool.candidates():
            sending = self._session.request(
                method,
                # Encoded as the client sent it: forwarded byte for byte.
                URL(target.base_url + path_and_query, encoded=True),
                headers=[("Host", target.host_header), *headers],
                data=body() if callable(body) else body,
                allow_redirects=False,
            )
            try:
                if callable(body):
                    return await _unless_stalled(
                        sending, progress, self._settings.upstream_timeout_seconds
                    )
                return await sending
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError):
                pool.mark_refused(target)
                if progress.started:
                    break
            except aiohttp.ServerTimeoutError as exc:
                raise UpstreamTimeout(str(exc)) from exc
            except aiohttp.ClientError as exc:
                raise UpstreamBroken(str(exc)) from exc
        raise UpstreamUnavailable(f"no address of {service} accepted the connection")


async def _unless_stalled(
    sending: Awaitable[aiohttp.ClientResponse], progress: BodyProgress, timeout: float
) -> aiohttp.ClientResponse:
    """The answer to a request with a streamed body, unless the body stops moving
    (and no answer comes) for ``timeout`` seconds: then :class:`UpstreamTimeout`."""
    progress.moved_at = time.monotonic()
    task = asyncio.ensure_future(sending)
    try:
        while True:
            idle = time.monotonic() - progress.moved_at
            done, _ = await asyncio.wait({task}, timeout=max(timeout - idle, 0.05))
            if done:
                return task.result()
            if time.monotonic() - progress.moved_at >= timeout:
                raise UpstreamTimeout(f"the request body did not move for {timeout:g}s")
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                await task
