"""Issue 19, item 12: nothing for operators on the public port.

The gateway's ``/metrics`` is served on ``GATEWAY_METRICS_PORT`` (as the
workers serve theirs on ``<NAME>_WORKER_METRICS_PORT``), never on the public
port; ``/api/v1/health/{service}`` answers the service's status only, never
the dependency errors its ``/readyz`` names.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from fastapi import FastAPI
from starlette.responses import JSONResponse

from gateway.tests.conftest import free_port

pytestmark = pytest.mark.integration

LEAKY = "error: OperationalError: password authentication failed for user bizmall at 10.1.2.3"


async def test_item12_metrics_are_on_the_metrics_port_not_the_public_port(
    stack: Any, client: aiohttp.ClientSession
) -> None:
    metrics_port = free_port()
    async with stack.gateway(stack.settings(metrics_port=metrics_port)) as gw:
        async with client.get(gw.url + "/api/v1/services/svc-1") as response:
            assert response.status == 200
        async with client.get(gw.url + "/metrics") as public:
            public_body = await public.text()
        async with client.get(f"http://127.0.0.1:{metrics_port}/metrics") as private:
            private_body = await private.text()
    assert public.status == 404
    assert "bizmall_http_requests_total" not in public_body
    assert private.status == 200
    assert private.headers["Content-Type"].startswith("text/plain")
    assert 'route="/api/v1/services"' in private_body


async def test_item12_metrics_stay_off_the_public_port_when_a_web_client_is_served(
    stack: Any, client: aiohttp.ClientSession, tmp_path: Any
) -> None:
    # The web client's fallback (index.html for client-side routes) must not answer /metrics.
    (tmp_path / "index.html").write_text("<!doctype html><title>shell</title>")
    settings = stack.settings(web_root=str(tmp_path))
    async with stack.gateway(settings) as gw, client.get(gw.url + "/metrics") as public:
        body = await public.text()
    assert public.status == 404
    assert "shell" not in body


def _upstream(status: int, body: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        return JSONResponse(body, status_code=status)

    return app


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"status": "ready", "checks": {"database": "ok"}}, "ok"),
        (200, {"status": "degraded", "checks": {"redis": LEAKY}}, "degraded"),
        (503, {"status": "not_ready", "checks": {"database": LEAKY}}, "unavailable"),
    ],
)
async def test_item12_service_health_answers_status_only(
    stack: Any,
    client: aiohttp.ClientSession,
    serve: Any,
    status: int,
    body: dict[str, Any],
    expected: str,
) -> None:
    async with (
        serve(_upstream(status, body)) as upstream,
        stack.gateway(stack.settings(catalog_urls=upstream.url)) as gw,
        client.get(gw.url + "/api/v1/health/catalog") as response,
    ):
        text = await response.text()
        answer = await response.json(content_type=None)
    assert response.status == status
    assert answer == {"service": "catalog", "status": expected}
    assert "password" not in text and "10.1.2.3" not in text
    assert response.headers["Cache-Control"] == "no-store"
