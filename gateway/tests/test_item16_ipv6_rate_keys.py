"""Issue 19, item 16 (gateway part): per-IP limits key an IPv6 client by its /64.

One IPv6 subscriber usually holds a whole /64 and may pick a new address in it
for every request, so counting per address would let it step around the login,
registration and password-reset limits. IPv4 clients stay keyed by address.
The gateway here trusts ``X-Forwarded-For`` from 127.0.0.1, as it does behind
an ingress with ``GATEWAY_TRUSTED_PROXIES`` set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import uvicorn

from gateway.app import create_app
from gateway.config import Settings
from gateway.ratelimit import client_key

pytestmark = pytest.mark.integration


@asynccontextmanager
async def behind_a_proxy(settings: Settings) -> AsyncIterator[str]:
    """The gateway on uvicorn believing X-Forwarded-For from 127.0.0.1 (as __main__ does)."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def test_item16_ipv6_addresses_are_keyed_by_their_64_and_ipv4_by_address() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:0db8:0001:0002:ffff::9")
    assert client_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"  # IPv4-mapped: the IPv4 address
    assert client_key("unknown") == "unknown"


async def test_item16_login_limit_counts_an_ipv6_64_as_one_client(
    stack: Any, client: aiohttp.ClientSession
) -> None:
    settings = stack.settings(login_rate_limit=2, login_rate_window_seconds=60)
    statuses = []
    async with behind_a_proxy(settings) as url:
        # Four addresses of one /64, then an address of a neighbouring /64.
        for address in ("2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2:1:2:3:4"):
            headers = {"X-Forwarded-For": address}
            async with client.post(url + "/api/v1/auth/login", json={}, headers=headers) as r:
                statuses.append(r.status)
        headers = {"X-Forwarded-For": "2001:db8:1:3::a"}
        async with client.post(url + "/api/v1/auth/login", json={}, headers=headers) as r:
            neighbour = r.status
        # What the service sees is the client's own address, not the /64.
        headers = {"X-Forwarded-For": "2001:db8:1:4::7"}
        async with client.get(url + "/api/v1/services/svc-1", headers=headers) as r:
            seen = await r.json()
    assert statuses == [200, 200, 429]
    assert neighbour == 200
    assert seen["headers"]["x-forwarded-for"] == "2001:db8:1:4::7"
