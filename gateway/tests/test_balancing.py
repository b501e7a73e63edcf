"""A host name resolving to several addresses (Compose --scale) is balanced across them,
also beside other base URLs of the service, and an address that refuses connections is
skipped."""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp
import pytest

from gateway.balancer import Resolver, resolve_with_system

pytestmark = pytest.mark.integration

SCALED_HOST = "ordering.scaled.test"


def resolving(host: str, addresses: list[str]) -> Resolver:
    """The system resolver, except that ``host`` has the given addresses (a DNS record
    set as Compose's --scale would publish; no real DNS server is at hand)."""

    async def resolve(name: str, port: int) -> list[str]:
        if name == host:
            return addresses
        return await resolve_with_system(name, port)

    return resolve


async def instances_answering(
    client: aiohttp.ClientSession, url: str, token: str, requests: int
) -> list[str]:
    seen = []
    for _ in range(requests):
        async with client.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            seen.append((await response.json())["instance"])
    return seen


async def test_scaled_host_name_is_balanced_across_its_addresses(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    # Two replicas on the same port of two loopback addresses, like two containers.
    async with stack.extra_stub("ordering", "replica-1", host="127.0.0.1") as (first, _):
        async with stack.extra_stub(
            "ordering", "replica-2", host="127.0.0.2", port=first.port
        ) as _second:
            settings = stack.settings(ordering_urls=f"http://{SCALED_HOST}:{first.port}")
            resolver = resolving(SCALED_HOST, ["127.0.0.1", "127.0.0.2"])
            async with stack.gateway(settings, resolver=resolver) as gw:
                url = gw.url + "/api/v1/orders"
                seen = await instances_answering(client, url, member_token, 6)
                async with client.get(
                    url, headers={"Authorization": f"Bearer {member_token}"}
                ) as response:
                    host_header = (await response.json())["headers"]["host"]
    assert seen.count("replica-1") == 3
    assert seen.count("replica-2") == 3
    # The replicas are addressed by IP but still hear the service's own name.
    assert host_header == f"{SCALED_HOST}:{first.port}"


async def test_address_refusing_connections_is_skipped(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    async with stack.extra_stub("ordering", "survivor", host="127.0.0.1") as (alive, _):
        # Nothing listens on 127.0.0.3 at that port: a replica that went away.
        settings = stack.settings(ordering_urls=f"http://{SCALED_HOST}:{alive.port}")
        resolver = resolving(SCALED_HOST, ["127.0.0.3", "127.0.0.1"])
        async with stack.gateway(settings, resolver=resolver) as gw:
            seen = await instances_answering(client, gw.url + "/api/v1/orders", member_token, 4)
    assert seen == ["survivor"] * 4


async def test_base_urls_and_the_addresses_of_a_name_all_take_turns(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    # One replica given by its address, two more behind one name (two addresses, one
    # port): three upstreams, each answering every third request.
    async with stack.extra_stub("ordering", "literal", host="127.0.0.1") as (literal, _):
        async with stack.extra_stub("ordering", "named-1", host="127.0.0.1") as (named, _):
            async with stack.extra_stub("ordering", "named-2", host="127.0.0.2", port=named.port):
                urls = f"http://127.0.0.1:{literal.port},http://{SCALED_HOST}:{named.port}"
                settings = stack.settings(ordering_urls=urls)
                resolver = resolving(SCALED_HOST, ["127.0.0.1", "127.0.0.2"])
                async with stack.gateway(settings, resolver=resolver) as gw:
                    url = gw.url + "/api/v1/orders"
                    seen = await instances_answering(client, url, member_token, 9)
    assert Counter(seen) == {"literal": 3, "named-1": 3, "named-2": 3}
