"""Issue 19 items 8 and 10 against the whole stack: a 10 MB order option gets a short
refusal, and 10,000 distinct anonymous searches leave the cache in Redis bounded, meet a
per-address limit, and leave logins working."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any

import pytest

from gateway.config import Settings as GatewaySettings
from servicekit.redis import create_redis

pytestmark = pytest.mark.integration

#: "Short": the answer to a 10 MB body must not grow with it (it used to echo it, twice).
SHORT = 4096
SEARCHES = 10_000
#: Addresses the searches come from, each staying under the per-address read limit.
SEARCHERS = 50
PUBLIC_READ_LIMIT = GatewaySettings.model_fields["public_read_rate_limit"].default
#: Catalog keys the flood may add at most (the listing budget and the services'
#: entries are bounded on their own; free-text searches add none).
MAX_NEW_CACHE_KEYS = 10
#: Bytes all of catalog's keys may take after the flood.
MAX_CACHE_BYTES = 2 * 1024 * 1024


async def test_item8_a_10_mb_option_gets_a_short_413_or_422(stack: Any) -> None:
    member = await stack.member()
    service = (await stack.lineup())[0]
    body = await stack.order_body(service, options={"note": "x" * 10_000_000})
    async with stack.http.post("/api/v1/orders", json=body, headers=member.headers) as response:
        answer = await response.read()
        kind = response.headers.get("Content-Type", "")
    assert response.status in (413, 422), answer[:500]
    assert kind.startswith("application/problem+json")
    assert len(answer) < SHORT


async def _catalog_keys(redis: Any, namespace: str) -> dict[bytes, int]:
    """Each of catalog's keys in the stack's namespace, with the bytes it takes."""
    keys = [key async for key in redis.scan_iter(f"{namespace}:catalog:*", count=1000)]
    return {key: int(await redis.memory_usage(key) or 0) for key in keys}


async def test_item10_10000_distinct_searches_leave_redis_bounded_and_logins_working(
    stack: Any,
) -> None:
    member = await stack.member()
    redis = create_redis(stack.env["CATALOG_REDIS_URL"])
    namespace = stack.env["CATALOG_REDIS_NAMESPACE"]
    try:
        before = await _catalog_keys(redis, namespace)
        searchers = [stack.caller() for _ in range(SEARCHERS)]
        gate = asyncio.Semaphore(SEARCHERS)

        async def search(n: int, headers: dict[str, str]) -> int:
            async with (
                gate,
                stack.http.get(
                    "/api/v1/services", params={"q": f"no such service {n}"}, headers=headers
                ) as response,
            ):
                await response.read()
                return response.status

        statuses = Counter(
            await asyncio.gather(
                *(
                    search(n, headers)
                    for n, headers in zip(range(SEARCHES), itertools.cycle(searchers))
                )
            )
        )
        after = await _catalog_keys(redis, namespace)
    finally:
        await redis.aclose()

    assert not any(status >= 500 for status in statuses), statuses
    assert statuses[200] + statuses[429] == SEARCHES, statuses
    assert len(set(after) - set(before)) <= MAX_NEW_CACHE_KEYS, len(after) - len(before)
    assert sum(after.values()) < MAX_CACHE_BYTES, sum(after.values())
    # Security state is untouched: the member logs in again.
    session = await stack.login(member.email)
    assert session["access_token"]


async def test_item10_anonymous_reads_meet_a_per_address_limit(stack: Any) -> None:
    caller = stack.caller()

    async def search(n: int) -> int:
        async with stack.http.get(
            "/api/v1/services", params={"q": f"limited {n}"}, headers=caller
        ) as response:
            await response.read()
            return response.status

    statuses = Counter([await search(n) for n in range(PUBLIC_READ_LIMIT + 5)])
    assert statuses[429] >= 5, statuses
    assert statuses[200] <= PUBLIC_READ_LIMIT, statuses
    # Another address is not held back by this one.
    async with stack.http.get("/api/v1/services", headers=stack.caller()) as response:
        assert response.status == 200
