"""Issue 19 item 12 on the running system: metrics and dependency details stay off
the public port."""

from __future__ import annotations

from typing import Any

import aiohttp


async def test_item12_metrics_are_not_on_the_public_port_but_on_their_own(stack: Any) -> None:
    async with stack.http.get("/metrics") as public:
        public_status = public.status
        public_text = await public.text()
    assert public_status == 404
    assert "bizmall_http_requests_total" not in public_text
    gateway_metrics = stack.metrics_urls["gateway-api"]
    assert not gateway_metrics.startswith(stack.url("/"))
    async with aiohttp.ClientSession() as http, http.get(gateway_metrics) as private:
        assert private.status == 200
        assert "bizmall_http_requests_total" in await private.text()


async def test_item12_public_health_tells_status_only(stack: Any) -> None:
    async with stack.http.get("/api/v1/health/ordering") as answer:
        status = answer.status
        body = await answer.json()
    assert status == 200
    assert body == {"service": "ordering", "status": body["status"]}
    assert body["status"] in {"ok", "degraded"}
