"""An upstream that is down answers 503, one that stays silent 504 — as problem details."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def test_upstream_down_answers_503_problem(
    gateway: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    # Nothing listens at the billing URL of this stack.
    headers = {"Authorization": f"Bearer {member_token}", "Accept-Language": "en"}
    async with client.get(gateway.url + "/api/v1/billing/account", headers=headers) as response:
        problem = await response.json(content_type=None)
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "gateway.upstream_unavailable"
    assert problem["service"] == "billing"
    assert problem["detail"].startswith("The service is unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["X-Request-ID"]


async def test_upstream_slower_than_the_timeout_answers_504_problem(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    async with stack.gateway(stack.settings(upstream_timeout_seconds=0.2)) as gw:
        headers = {"Authorization": f"Bearer {member_token}"}
        async with client.get(gw.url + "/api/v1/orders/slow", headers=headers) as response:
            problem = await response.json(content_type=None)
    assert response.status == 504
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "gateway.upstream_timeout"
    assert problem["service"] == "ordering"
    # Japanese is the default language of problem details.
    assert problem["detail"].startswith("サービスの応答")


async def test_other_services_keep_answering_while_one_is_down(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/services") as response:
        seen = await response.json()
    assert response.status == 200
    assert seen["service"] == "catalog"
