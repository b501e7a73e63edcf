"""The gateway sends each public path to its service, unchanged, with the request's ids."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from yarl import URL

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/auth/verify-email", "identity"),
        ("/api/v1/services", "catalog"),
        ("/api/v1/services/svc-1/start-dates", "catalog"),
        ("/api/v1/notices", "notification"),
    ],
)
async def test_public_reads_reach_their_service(
    gateway: Any, client: aiohttp.ClientSession, path: str, service: str
) -> None:
    async with client.get(gateway.url + path) as response:
        seen = await response.json()
    assert response.status == 200
    assert seen["service"] == service
    assert seen["path"] == path


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/me", "identity"),
        ("/api/v1/orders/o-1", "ordering"),
        ("/api/v1/contracts/c-1/cancellation-quote", "ordering"),
        ("/api/v1/inquiries", "notification"),
    ],
)
async def test_member_paths_reach_their_service_with_a_token(
    gateway: Any, client: aiohttp.ClientSession, member_token: str, path: str, service: str
) -> None:
    headers = {"Authorization": f"Bearer {member_token}"}
    async with client.get(gateway.url + path, headers=headers) as response:
        seen = await response.json()
    assert response.status == 200
    assert seen["service"] == service
    # Services verify the token again, so it must arrive untouched.
    assert seen["headers"]["authorization"] == f"Bearer {member_token}"


async def test_ops_path_reaches_the_named_service(
    gateway: Any, client: aiohttp.ClientSession, ops_token: str
) -> None:
    headers = {"Authorization": f"Bearer {ops_token}"}
    url = gateway.url + "/api/v1/ops/notification/notices"
    body = b'{"title": "x"}'
    async with client.post(url, data=body, headers=headers) as response:
        seen = await response.json()
    assert response.status == 200
    assert (seen["service"], seen["method"]) == ("notification", "POST")
    assert seen["body_size"] == len(body)


async def test_query_and_headers_are_forwarded_byte_for_byte(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    url = URL(gateway.url + "/api/v1/services/a%2Fb?q=%E5%85%89&category=net&x=1&x=2", encoded=True)
    headers = {
        "X-Custom": "kept",
        "Accept-Language": "en",
        "Connection": "keep-alive, X-Hop",
        "X-Hop": "dropped",
        "X-Forwarded-For": "6.6.6.6",
    }
    async with client.get(url, headers=headers) as response:
        seen = await response.json()
        answer_headers = response.headers
    assert seen["raw_path"] == "/api/v1/services/a%2Fb"
    assert seen["query"] == "q=%E5%85%89&category=net&x=1&x=2"
    assert seen["headers"]["x-custom"] == "kept"
    assert seen["headers"]["accept-language"] == "en"
    assert "x-hop" not in seen["headers"]
    # The gateway, not the client, says where the request came from.
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    # Response headers come back, repeated ones included.
    assert answer_headers["X-Stub"] == "catalog"
    assert answer_headers.getall("Set-Cookie") == ["stub=catalog; Path=/"]


async def test_request_id_is_created_forwarded_and_echoed(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/notices") as response:
        seen = await response.json()
        created = response.headers["X-Request-ID"]
    assert created
    assert seen["headers"]["x-request-id"] == created

    given = {"X-Request-ID": "req-from-client-42"}
    async with client.get(gateway.url + "/api/v1/notices", headers=given) as response:
        seen = await response.json()
        echoed = response.headers.getall("X-Request-ID")
    assert seen["headers"]["x-request-id"] == "req-from-client-42"
    assert echoed == ["req-from-client-42"]


@pytest.mark.parametrize(
    "path",
    [
        "/internal/jwks",
        "/internal/secret-thing",
        "/api/v1/services/../../internal/secret-thing",
        "/api/v1/services/%2e%2e/%2e%2e/internal/secret-thing",
        "/api/v1/unknown",
        "/api/v1/servicesX",
    ],
)
async def test_internal_and_unknown_paths_are_not_forwarded(
    gateway: Any, client: aiohttp.ClientSession, path: str
) -> None:
    for method in ("GET", "POST"):
        async with client.request(method, URL(gateway.url + path, encoded=True)) as response:
            body = await response.json(content_type=None)
        assert response.status == 404
        assert response.content_type == "application/problem+json"
        assert body["code"] == "http.not_found"


async def test_two_upstream_urls_both_receive_traffic(
    gateway: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    headers = {"Authorization": f"Bearer {member_token}"}
    instances = []
    for _ in range(6):
        async with client.get(gateway.url + "/api/v1/orders", headers=headers) as response:
            instances.append((await response.json())["instance"])
    assert set(instances) == {"ordering-a", "ordering-b"}


async def test_answer_carries_one_date_and_one_server_header(
    gateway: Any, client: aiohttp.ClientSession
) -> None:
    async with client.get(gateway.url + "/api/v1/services") as response:
        assert response.status == 200
        assert len(response.headers.getall("Date", [])) <= 1
        assert len(response.headers.getall("Server", [])) <= 1
