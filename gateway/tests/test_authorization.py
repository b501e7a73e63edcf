"""Routes that need a bearer token get 401 without a valid one; ops routes need the ops role."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/contracts"),
        ("GET", "/api/v1/invoices/inv-1/pdf"),
        ("POST", "/api/v1/inquiries"),
        ("POST", "/api/v1/services"),  # public to read, not to write
        ("GET", "/api/v1/ops/catalog/services"),
    ],
)
async def test_token_required_without_token_answers_401_problem(
    gateway: Any, client: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with client.request(method, gateway.url + path) as response:
        problem = await response.json(content_type=None)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "auth.required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_forged_token_answers_401_invalid_token(
    gateway: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    header, payload, _signature = member_token.split(".")
    forged = f"{header}.{payload}.{'A' * 86}"
    headers = {"Authorization": f"Bearer {forged}"}
    async with client.get(gateway.url + "/api/v1/orders", headers=headers) as response:
        problem = await response.json(content_type=None)
    assert response.status == 401
    assert problem["code"] == "auth.invalid_token"


async def test_member_token_on_an_ops_route_answers_403(
    gateway: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    headers = {"Authorization": f"Bearer {member_token}"}
    url = gateway.url + "/api/v1/ops/ordering/orders"
    async with client.get(url, headers=headers) as response:
        problem = await response.json(content_type=None)
    assert response.status == 403
    assert problem["code"] == "auth.ops_only"


async def test_public_routes_pass_without_token(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.post(gateway.url + "/api/v1/auth/refresh") as response:
        seen = await response.json()
    assert response.status == 200
    assert seen["path"] == "/api/v1/auth/refresh"
