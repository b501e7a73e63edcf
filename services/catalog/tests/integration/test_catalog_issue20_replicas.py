"""Issue 20 on the real Redis and PostgreSQL: catalog replicas, each with its own
in-process first level, answer an ops change within the stated stale window.

Each replica is a catalog app with its lifespan running (its subscriber and its
generation check), its own first level, and the same database and Redis namespace
as the others. The deadlines below are the correctness bound the cache states
(:data:`VERIFIED_FOR_SECONDS`, plus a second of margin for a loaded machine), not
a speed to reach: within it a replica must not answer the old version any more.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from catalog.adapters.cache import VERIFIED_FOR_SECONDS, LineupCache
from catalog.bootstrap import SERVICE
from catalog.config import Settings
from catalog.entrypoints.app import create_app
from jpcalendar import DEFAULT_MONTHS, JST
from servicekit.testing.service import migrate_with_cli
from servicekit.testing.tcpproxy import TcpProxy
from services.catalog.tests.integration.test_catalog_api import OPS, service_body

#: Within this long after a change's ops answer, every replica answers the change.
DEADLINE = VERIFIED_FOR_SECONDS + 1.0


@dataclass
class Replica:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def cache(self) -> LineupCache:
        cache: LineupCache = self.app.state.lineup_cache
        return cache

    async def name_en(self, service_id: str) -> str:
        response = await self.client.get(f"/api/v1/services/{service_id}")
        assert response.status_code == 200, response.text
        name: str = response.json()["name"]["en"]
        return name


@dataclass
class Replicas:
    settings: Settings
    a: Replica
    b: Replica
    ops: dict[str, str]
    stack: AsyncExitStack

    async def replica(self, **overrides: Any) -> Replica:
        """One more replica (its lifespan runs until the module's end)."""
        return await start_replica(self.settings.model_copy(update=overrides), self.stack)

    async def published(self) -> str:
        created = await self.a.client.post(
            OPS, json=service_body(f"c{uuid.uuid4().hex[:12]}"), headers=self.ops
        )
        assert created.status_code == 201, created.text
        service_id: str = created.json()["id"]
        published = await self.a.client.post(f"{OPS}/{service_id}/publish", headers=self.ops)
        assert published.status_code == 200, published.text
        return service_id

    async def rename(self, via: Replica, service_id: str, name_en: str) -> None:
        response = await via.client.patch(
            f"{OPS}/{service_id}", json={"name": {"ja": name_en, "en": name_en}}, headers=self.ops
        )
        assert response.status_code == 200, response.text


async def start_replica(settings: Settings, stack: AsyncExitStack) -> Replica:
    """A catalog app with its lifespan running (until ``stack`` closes) and a client."""
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://catalog")
    )
    return Replica(app=app, client=client)


@pytest_asyncio.fixture(scope="module")
async def replicas(infra: Any, token_issuer: Any) -> AsyncIterator[Replicas]:
    # A namespace of the module's own: no other test's change drops these caches.
    settings = await infra.service_settings(
        Settings,
        jwks_url=token_issuer.jwks_url,
        redis_namespace=f"{infra.redis_namespace}:{uuid.uuid4().hex[:8]}",
    )
    await migrate_with_cli(SERVICE, settings)
    async with AsyncExitStack() as stack:
        a = await start_replica(settings, stack)
        b = await start_replica(settings, stack)
        yield Replicas(settings, a, b, token_issuer.ops(), stack)


async def warm(replica: Replica, service_id: str, name_en: str) -> None:
    """Read until ``replica`` answers ``name_en`` from its own memory."""
    name = f"service:{service_id}"
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        assert await replica.name_en(service_id) == name_en
        if replica.cache.local.get(name) is not None:
            return
        assert asyncio.get_running_loop().time() < deadline, "the first level never filled"
        await asyncio.sleep(0.05)


async def answers_within(replica: Replica, service_id: str, name_en: str, seconds: float) -> None:
    """``replica`` answers ``name_en`` before ``seconds`` have passed (and then stays)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    seen = await replica.name_en(service_id)
    while seen != name_en:
        assert loop.time() < deadline, f"still {seen!r} {seconds}s after the change"
        await asyncio.sleep(0.01)
        seen = await replica.name_en(service_id)
    for _ in range(5):
        assert await replica.name_en(service_id) == name_en


async def test_issue20_a_change_on_one_replica_reaches_the_others_memory_within_the_window(
    replicas: Replicas,
) -> None:
    service_id = await replicas.published()
    first = (await replicas.a.client.get(f"/api/v1/services/{service_id}")).json()["name"]["en"]
    await warm(replicas.a, service_id, first)
    await warm(replicas.b, service_id, first)

    for n in range(3):
        await replicas.rename(replicas.a, service_id, f"renamed {n}")
        # Where the change was made it is visible at once (the ops answer came after
        # that replica dropped its memory) …
        assert await replicas.a.name_en(service_id) == f"renamed {n}"
        # … and on the other replica within the stated window.
        await answers_within(replicas.b, service_id, f"renamed {n}", DEADLINE)
        await warm(replicas.b, service_id, f"renamed {n}")


async def test_issue20_a_lost_change_message_is_covered_by_the_generation_check(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_id = await replicas.published()
    await warm(replicas.b, service_id, (await replicas.b.name_en(service_id)))
    # Replica A changes the database, but its bump and message go to another namespace:
    # nothing reaches B, whose memory still answers the old version …
    settings = replicas.settings
    elsewhere = LineupCache(
        replicas.a.app.state.runtime.redis, f"{settings.redis_namespace}:elsewhere"
    )
    monkeypatch.setattr(replicas.a.app.state, "lineup_cache", elsewhere)
    await replicas.rename(replicas.a, service_id, "changed quietly")
    assert (await replicas.b.name_en(service_id)) != "changed quietly"
    # … until the generation moves with no message at all (a message lost on its way):
    # B's generation check must notice it within the window.
    redis = replicas.b.app.state.runtime.redis
    await redis.incr(f"{settings.redis_namespace}:catalog:generation")
    await answers_within(replicas.b, service_id, "changed quietly", DEADLINE)


async def test_issue20_without_redis_a_replica_answers_from_the_database_never_from_memory(
    replicas: Replicas,
) -> None:
    redis_url = urlsplit(replicas.settings.redis_url)
    proxy = TcpProxy(redis_url.hostname or "127.0.0.1", redis_url.port or 6379)
    await proxy.start()
    try:
        through = redis_url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        c = await replicas.replica(redis_url=through)
        service_id = await replicas.published()
        await warm(c, service_id, await c.name_en(service_id))

        # Redis is gone for C: it hears of no change and cannot check the generation.
        await proxy.cut()
        await replicas.rename(replicas.b, service_id, "changed while C had no Redis")
        await answers_within(c, service_id, "changed while C had no Redis", DEADLINE)
        assert not c.cache.local.usable()

        # Redis is back: C subscribes again, checks the generation, and its memory serves
        # again — and follows the next change.
        await proxy.start()
        await warm(c, service_id, "changed while C had no Redis")
        await replicas.rename(replicas.b, service_id, "changed with Redis back")
        await answers_within(c, service_id, "changed with Redis back", DEADLINE)
    finally:
        await proxy.cut()


async def test_issue20_a_calendar_in_memory_turns_over_at_the_cutoff(replicas: Replicas) -> None:
    """The start dates are kept under their effective order date: past 13:00 the
    request names another entry, so the day's calendar is never answered the next day."""
    service_id = await replicas.published()  # lead time: 2 business days
    url = f"/api/v1/services/{service_id}/start-dates"
    b = replicas.b
    clock = b.app.state.runtime.clock
    try:
        clock.pin(datetime(2026, 12, 28, 12, 59, tzinfo=JST))
        deadline = asyncio.get_running_loop().time() + 10
        kept = f"start-dates:{service_id}:{DEFAULT_MONTHS}:2026-12-28"
        while b.cache.local.get(kept) is None:
            before = (await b.client.get(url)).json()
            assert asyncio.get_running_loop().time() < deadline, "the first level never filled"
            await asyncio.sleep(0.05)
        clock.pin(datetime(2026, 12, 28, 13, 0, tzinfo=JST))
        after = (await b.client.get(url)).json()
        assert b.cache.local.get(kept) is not None  # still in memory, but not asked for
    finally:
        clock.unpin()
    assert (before["effective_order_date"], before["earliest"]) == ("2026-12-28", "2027-01-05")
    assert (after["effective_order_date"], after["earliest"]) == ("2027-01-04", "2027-01-06")
