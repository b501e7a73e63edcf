"""R1: while a maintenance window covers a service, its writes get 503 with Retry-After
and the notice's text; reads and operator routes pass; before and after, all is normal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from gateway.maintenance import maintenance_key

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def redis(stack: Any) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


def window(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "notice_id": "notice-1",
        "functions": ["ordering"],
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(minutes=2)).isoformat(),
        "message_ja": "注文機能はメンテナンス中です。",
        "message_en": "Ordering is under maintenance.",
        **overrides,
    }


async def test_active_window_holds_writes_of_its_service_only(
    stack: Any,
    redis: Redis,
    client: aiohttp.ClientSession,
    member_token: str,
    ops_token: str,
) -> None:
    settings = stack.settings()
    key = maintenance_key(settings.redis_namespace)
    member = {"Authorization": f"Bearer {member_token}"}
    ops = {"Authorization": f"Bearer {ops_token}"}
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=member) as before:
            pass

        await redis.set(key, orjson.dumps([window()]))
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=member) as held:
            problem = await held.json(content_type=None)
            retry_after = int(held.headers["Retry-After"])
        async with client.get(gw.url + "/api/v1/orders", headers=member) as read:
            pass
        ops_url = gw.url + "/api/v1/ops/ordering/maintenance/end"
        async with client.post(ops_url, json={}, headers=ops) as ops_write:
            pass
        async with client.post(gw.url + "/api/v1/inquiries", json={}, headers=member) as other:
            pass

        await redis.delete(key)
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=member) as after:
            pass

    assert before.status == 200
    assert held.status == 503
    assert held.content_type == "application/problem+json"
    assert problem["code"] == "gateway.maintenance"
    assert problem["detail"] == "注文機能はメンテナンス中です。"
    assert problem["notice_id"] == "notice-1"
    assert 1 <= retry_after <= 120
    assert read.status == 200
    assert ops_write.status == 200
    assert other.status == 200
    assert after.status == 200


async def test_notice_text_follows_accept_language(
    stack: Any, redis: Redis, client: aiohttp.ClientSession, member_token: str
) -> None:
    settings = stack.settings()
    await redis.set(
        maintenance_key(settings.redis_namespace),
        orjson.dumps([window(functions=["notification", "billing"])]),
    )
    headers = {"Authorization": f"Bearer {member_token}", "Accept-Language": "en-US,en;q=0.9"}
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/inquiries", json={}, headers=headers) as r:
            problem = await r.json(content_type=None)
    assert r.status == 503
    assert problem["detail"] == "Ordering is under maintenance."


@pytest.mark.parametrize(
    "timing",
    [
        {"ends_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()},
        {
            "starts_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "ends_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        },
    ],
    ids=["already-ended", "not-yet-started"],
)
async def test_window_outside_its_time_holds_nothing(
    stack: Any,
    redis: Redis,
    client: aiohttp.ClientSession,
    member_token: str,
    timing: dict[str, str],
) -> None:
    settings = stack.settings()
    await redis.set(maintenance_key(settings.redis_namespace), orjson.dumps([window(**timing)]))
    headers = {"Authorization": f"Bearer {member_token}"}
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=headers) as r:
            pass
    assert r.status == 200


async def test_malformed_maintenance_key_holds_nothing(
    stack: Any, redis: Redis, client: aiohttp.ClientSession, member_token: str
) -> None:
    settings = stack.settings()
    await redis.set(maintenance_key(settings.redis_namespace), b"{not json")
    headers = {"Authorization": f"Bearer {member_token}"}
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=headers) as r:
            pass
    assert r.status == 200
