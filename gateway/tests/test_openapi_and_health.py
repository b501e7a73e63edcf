"""The gateway's own probes, each service's readiness through it, and the merged schema."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def test_healthz_and_readyz_answer_200_with_redis_up(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/healthz") as alive:
        assert (await alive.json())["status"] == "ok"
    async with client.get(gateway.url + "/readyz") as ready:
        body = await ready.json()
    assert (alive.status, ready.status) == (200, 200)
    assert body["checks"] == {"redis": "ok"}


async def test_readyz_says_degraded_but_stays_ready_when_redis_is_down(
    stack: Any, client: aiohttp.ClientSession, closed_port: int
) -> None:
    # Reads still work without Redis, so a probe must not take the gateway out of service.
    settings = stack.settings(redis_url=f"redis://127.0.0.1:{closed_port}/0")
    async with stack.gateway(settings) as gw, client.get(gw.url + "/readyz") as ready:
        body = await ready.json()
    assert ready.status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["redis"].startswith("error")


async def test_service_readiness_through_the_gateway(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/health/catalog") as up:
        body = await up.json()
    async with client.get(gateway.url + "/api/v1/health/billing") as down:
        problem = await down.json(content_type=None)
    async with client.get(gateway.url + "/api/v1/health/nonsense") as unknown:
        pass
    assert (up.status, body) == (200, {"service": "catalog", "status": "ok"})
    assert (down.status, problem["code"]) == (503, "gateway.upstream_unavailable")
    assert unknown.status == 404


async def test_merged_openapi_lists_public_paths_of_every_reachable_service(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/openapi.json") as response:
        schema = await response.json()
    assert response.status == 200
    paths = schema["paths"]
    for service in ("identity", "catalog", "ordering", "notification"):
        assert f"/api/v1/ops/{service}/items" in paths
        assert paths[f"/api/v1/ops/{service}/items"]["get"]["tags"]
    assert "/api/v1/health/{service}" in paths
    assert not any(path.startswith("/internal") for path in paths)
    assert not any(path == "/readyz" for path in paths)
    # Billing is down in this stack: the document says so instead of failing.
    assert schema["info"]["x-missing-services"] == ["billing"]
    assert "billing" in schema["info"]["description"]


async def test_merged_openapi_keeps_clashing_components_apart(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/openapi.json") as response:
        schema = await response.json()
    components = schema["components"]["schemas"]
    item_names = sorted(name for name in components if name.split(".")[-1] == "Item")
    # The first service (identity) keeps the plain name; later ones are prefixed.
    assert item_names == ["Item", "catalog.Item", "notification.Item", "ordering.Item"]
    # Every service's operation points at its own Item shape.
    for service in ("identity", "catalog", "ordering", "notification"):
        operation = schema["paths"][f"/api/v1/ops/{service}/items"]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"][
            "$ref"
        ]
        shape = components[ref.removeprefix("#/components/schemas/")]
        assert f"{service}_only" in shape["properties"]


async def test_docs_page_lists_operations_without_inline_script(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/docs") as response:
        page = await response.text()
    assert response.status == 200
    assert "/api/v1/ops/catalog/items" in page
    assert "<script" not in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_service_readiness_of_odd_names_is_a_404_problem(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    # Names Schemathesis sends: control characters, astral code points, separators.
    for name in ("0", "%09%F0%94%BD%AD%C3%94%0C", "%F3%A5%96%A6", "%2C%C2%A0", "a%2Fb", "%00"):
        url = gateway.url + "/api/v1/health/" + name
        async with client.get(url) as response:
            problem = await response.json(content_type=None)
        assert response.status == 404, name
        assert response.content_type == "application/problem+json", name
        assert problem["code"] == "http.not_found", name
