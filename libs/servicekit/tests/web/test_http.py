"""Service-to-service calls carry the ids and fail as UpstreamUnavailable, never hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from servicekit.context import correlation_id_var, request_id_var
from servicekit.http import ServiceClient, UpstreamError, UpstreamUnavailable


@dataclass
class Catalog:
    """A stand-in upstream service on a real local port."""

    url: str = ""
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def catalog() -> AsyncIterator[Catalog]:
    state = Catalog()

    async def plan(request: web.Request) -> web.Response:
        state.seen_headers.append(dict(request.headers))
        return web.json_response({"plan_id": request.match_info["plan_id"], **request.query})

    async def quote(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"total": body["quantity"] * 3300}, status=201)

    async def missing(_: web.Request) -> web.Response:
        problem = {"status": 404, "code": "catalog.plan_not_found"}
        return web.json_response(problem, status=404, content_type="application/problem+json")

    async def broken(_: web.Request) -> web.Response:
        return web.json_response({"code": "internal"}, status=500)

    async def slow(_: web.Request) -> web.Response:
        await state.release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/internal/plans/{plan_id}", plan)
    app.router.add_post("/internal/quotes", quote)
    app.router.add_get("/internal/missing", missing)
    app.router.add_get("/internal/broken", broken)
    app.router.add_get("/internal/slow", slow)
    server = TestServer(app)
    await server.start_server()
    state.url = str(server.make_url("")).rstrip("/")
    try:
        yield state
    finally:
        state.release.set()
        await server.close()


async def test_get_forwards_request_and_correlation_ids(catalog: Catalog) -> None:
    request_token = request_id_var.set("req-abc")
    correlation_token = correlation_id_var.set("corr-xyz")
    try:
        async with ServiceClient(catalog.url, service="catalog") as client:
            answer = await client.get_json("/internal/plans/p-1", months=3, search=None)
    finally:
        correlation_id_var.reset(correlation_token)
        request_id_var.reset(request_token)

    assert answer == {"plan_id": "p-1", "months": "3"}
    headers = catalog.seen_headers[0]
    assert headers["X-Request-ID"] == "req-abc"
    assert headers["X-Correlation-ID"] == "corr-xyz"


async def test_post_sends_json_and_returns_the_answer(catalog: Catalog) -> None:
    async with ServiceClient(catalog.url) as client:
        answer = await client.post_json("/internal/quotes", {"quantity": 3})

    assert answer == {"total": 9900}


async def test_refusal_is_an_upstream_error_with_the_problem_code(catalog: Catalog) -> None:
    async with ServiceClient(catalog.url, service="catalog") as client:
        with pytest.raises(UpstreamError) as caught:
            await client.get_json("/internal/missing")

    assert caught.value.status == 404
    assert caught.value.code == "catalog.plan_not_found"


async def test_server_failure_is_upstream_unavailable(catalog: Catalog) -> None:
    async with ServiceClient(catalog.url, service="catalog") as client:
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.get_json("/internal/broken")

    assert caught.value.service == "catalog"
    assert "500" in caught.value.reason


async def test_timeout_is_upstream_unavailable(catalog: Catalog) -> None:
    async with ServiceClient(catalog.url, timeout=0.2, service="catalog") as client:
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.get_json("/internal/slow")

    assert "timed out" in caught.value.reason


async def test_unreachable_service_is_upstream_unavailable(closed_port: int) -> None:
    async with ServiceClient(f"http://127.0.0.1:{closed_port}", service="catalog") as client:
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.get_json("/internal/plans/p-1")

    assert caught.value.service == "catalog"


async def test_refused_instance_is_skipped_for_the_next(catalog: Catalog, closed_port: int) -> None:
    urls = [f"http://127.0.0.1:{closed_port}", catalog.url]
    async with ServiceClient(urls, service="catalog") as client:
        answer: Any = await client.post_json("/internal/quotes", {"quantity": 1})

    assert answer == {"total": 3300}
