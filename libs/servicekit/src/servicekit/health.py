"""Liveness and readiness endpoints, and the readiness checks every service uses.

``GET /healthz`` says the process answers. ``GET /readyz`` runs each named
check concurrently, each bounded by a timeout, and answers 503 naming the
failing ones — a probe that always said yes would send traffic to a service
that cannot reach its database.

A check can be *optional*: a dependency the process works without, in a
documented degraded way (Redis: caches and rate limits). Its failure is named
in the answer (``"status": "degraded"``) but keeps ``/readyz`` at 200, so an
orchestrator does not take every replica out of service — and with them the
reads that still work — because a cache is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping

import aio_pika
from aio_pika.abc import AbstractConnection
from fastapi import APIRouter
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.logging import get_logger, scrub_text
from servicekit.responses import ORJSONResponse

ReadinessCheck = Callable[[], Awaitable[None]]
"""A readiness check: returns when the dependency is usable, raises otherwise."""

_log = get_logger(__name__)
_REASON_LIMIT = 160
_NO_CACHE = {"Cache-Control": "no-store"}


def health_router(
    readiness: Mapping[str, ReadinessCheck],
    *,
    optional: Collection[str] = (),
    timeout: float = 2.0,
) -> APIRouter:
    """``/healthz`` and ``/readyz`` for the given named checks.

    Each check gets ``timeout`` seconds; a check that raises or times out makes
    ``/readyz`` answer 503 with ``"error: <short reason>"`` under its name —
    unless its name is in ``optional``: then the answer stays 200 with
    ``"status": "degraded"``.
    The routes stay out of the OpenAPI schema (the gateway merges the schemas
    of all services).
    """
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> ORJSONResponse:
        return ORJSONResponse({"status": "ok"}, headers=_NO_CACHE)

    @router.get("/readyz")
    async def readyz() -> ORJSONResponse:
        names = list(readiness)
        results = await asyncio.gather(
            *(_run(name, readiness[name], limit=timeout) for name in names)
        )
        checks = dict(zip(names, results, strict=True))
        failing = {name for name, result in checks.items() if result != "ok"}
        ready = failing <= set(optional)
        status = "not_ready" if not ready else "degraded" if failing else "ready"
        return ORJSONResponse(
            {"status": status, "checks": checks},
            status_code=200 if ready else 503,
            headers=_NO_CACHE,
        )

    return router


async def _run(name: str, check: ReadinessCheck, *, limit: float) -> str:
    try:
        async with asyncio.timeout(limit):
            await check()
    except TimeoutError:
        reason = f"timeout after {limit:g}s"
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        return "ok"
    reason = scrub_text(reason)[:_REASON_LIMIT]
    _log.warning("readiness check failed", check=name, reason=reason)
    return f"error: {reason}"


def database_check(engine: AsyncEngine) -> ReadinessCheck:
    """A check that runs ``SELECT 1`` on a pooled connection of ``engine``."""

    async def check() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def redis_check(client: Redis) -> ReadinessCheck:
    """A check that sends ``PING`` through ``client``."""

    async def check() -> None:
        await client.ping()

    return check


class AmqpCheck:
    """A readiness check for RabbitMQ that keeps one connection open between probes.

    Opening an AMQP connection per probe costs a TCP and AMQP handshake on
    both sides; instead the first probe connects, later probes only verify
    the connection is still open, and a closed one is replaced. Call
    :meth:`close` on shutdown.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: AbstractConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def connection(self) -> AbstractConnection | None:
        """The connection the last probe used (``None`` before the first)."""
        return self._connection

    async def __call__(self) -> None:
        async with self._lock:
            if self._connection is None or self._connection.is_closed:
                self._connection = await aio_pika.connect(self._url)
            if self._connection.is_closed:
                raise ConnectionError("AMQP connection is closed")

    async def close(self) -> None:
        """Close the cached connection, if any."""
        if self._connection is not None and not self._connection.is_closed:
            await self._connection.close()
        self._connection = None


def amqp_check(url: str) -> AmqpCheck:
    """A RabbitMQ readiness check for ``url`` (see :class:`AmqpCheck`)."""
    return AmqpCheck(url)
