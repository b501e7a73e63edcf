"""Issue 19 item 10 (gateway part): reads of the public routes (the lineup, free-text
searches, notices) are limited per client address, token or not; member routes' reads
are not counted, and a Redis outage lets public reads through."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def test_item10_public_reads_answer_429_past_the_per_ip_limit(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    settings = stack.settings(public_read_rate_limit=3, public_read_rate_window_seconds=60)
    member = {"Authorization": f"Bearer {member_token}"}
    async with stack.gateway(settings) as gw:
        statuses = []
        for n in range(3):
            async with client.get(gw.url + f"/api/v1/services?q=search-{n}") as response:
                statuses.append(response.status)
        # An unverified (here: valid) token on a public route does not lift the limit.
        async with client.get(gw.url + "/api/v1/notices", headers=member) as limited:
            problem = await limited.json(content_type=None)
        # A member's own routes are another matter.
        async with client.get(gw.url + "/api/v1/orders", headers=member) as orders:
            orders_status = orders.status
    assert statuses == [200, 200, 200]
    assert limited.status == 429 and problem["code"] == "gateway.rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert orders_status == 200


async def test_item10_public_reads_pass_while_redis_is_down(
    stack: Any, client: aiohttp.ClientSession, closed_port: int
) -> None:
    settings = stack.settings(
        redis_url=f"redis://127.0.0.1:{closed_port}/0", public_read_rate_limit=1
    )
    async with stack.gateway(settings) as gw:
        statuses = []
        for _ in range(3):
            async with client.get(gw.url + "/api/v1/services") as response:
                statuses.append(response.status)
    assert statuses == [200, 200, 200]
