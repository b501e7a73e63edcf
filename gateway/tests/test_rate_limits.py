"""Rate limits counted in the real Redis: strict per IP on login, registration and
password reset, per member on writes; refused (fail closed) when Redis is down."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway.config import BENCHMARK_LIMIT, Settings

pytestmark = pytest.mark.integration


async def test_login_answers_429_after_the_limit(stack: Any, client: aiohttp.ClientSession) -> None:
    settings = stack.settings(login_rate_limit=3, login_rate_window_seconds=60)
    async with stack.gateway(settings) as gw:
        statuses = []
        for _ in range(3):
            async with client.post(gw.url + "/api/v1/auth/login", json={}) as response:
                statuses.append(response.status)
        async with client.post(gw.url + "/api/v1/auth/login", json={}) as response:
            problem = await response.json(content_type=None)
            retry_after = int(response.headers["Retry-After"])
    assert statuses == [200, 200, 200]
    assert response.status == 429
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "gateway.rate_limited"
    assert 1 <= retry_after <= 60


async def test_each_strict_route_counts_on_its_own(
    stack: Any, client: aiohttp.ClientSession
) -> None:
    settings = stack.settings(login_rate_limit=1, password_reset_rate_limit=1)
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/auth/login") as first_login:
            pass
        async with client.post(gw.url + "/api/v1/auth/password-reset") as first_reset:
            pass
        async with client.post(gw.url + "/api/v1/auth/password-reset/confirm") as second_reset:
            pass
    assert (first_login.status, first_reset.status) == (200, 200)
    # The confirmation shares the password-reset allowance.
    assert second_reset.status == 429


async def test_writes_are_limited_per_member(stack: Any, client: aiohttp.ClientSession) -> None:
    heavy = stack.tokens.issue(subject="heavy-writer")
    other = stack.tokens.issue(subject="other-member")
    async with stack.gateway(stack.settings(write_rate_limit=2)) as gw:
        url = gw.url + "/api/v1/inquiries"
        statuses = []
        for _ in range(3):
            headers = {"Authorization": f"Bearer {heavy}"}
            async with client.post(url, json={}, headers=headers) as response:
                statuses.append(response.status)
        async with client.post(url, json={}, headers={"Authorization": f"Bearer {other}"}) as r:
            other_status = r.status
        # Reads are not counted.
        async with client.get(url, headers={"Authorization": f"Bearer {heavy}"}) as r:
            read_status = r.status
    assert statuses == [200, 200, 429]
    assert other_status == 200
    assert read_status == 200


async def test_redis_down_refuses_login_but_lets_reads_and_writes_through(
    stack: Any, client: aiohttp.ClientSession, member_token: str, closed_port: int
) -> None:
    settings = stack.settings(redis_url=f"redis://127.0.0.1:{closed_port}/0")
    member = {"Authorization": f"Bearer {member_token}"}
    async with stack.gateway(settings) as gw:
        async with client.post(gw.url + "/api/v1/auth/login", json={}) as login:
            problem = await login.json(content_type=None)
        async with client.post(gw.url + "/api/v1/auth/register", json={}) as register:
            pass
        async with client.get(gw.url + "/api/v1/services") as read:
            pass
        async with client.post(gw.url + "/api/v1/orders", json={}, headers=member) as write:
            pass
    assert (login.status, register.status) == (503, 503)
    assert problem["code"] == "gateway.rate_limiter_unavailable"
    assert read.status == 200
    assert write.status == 200


def test_benchmark_profile_lifts_every_limit() -> None:
    standard = Settings(login_rate_limit=3).rate_limits()
    relaxed = Settings(login_rate_limit=3, rate_limit_profile="benchmark").rate_limits()
    assert standard["login"].limit == 3
    assert {limit.limit for limit in relaxed.values()} == {BENCHMARK_LIMIT}
