"""Large bodies stream through the gateway both ways; oversized ones get 413."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
#: Only a safety net against a hang; no assertion is about time.
HANG_GUARD = 30


async def test_large_download_reaches_the_client_before_the_upstream_finishes(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    # Billing is down in this stack; the identity stub serves the PDF path as well.
    pdf_stub = stack.stubs["identity"]
    async with stack.gateway(stack.settings(billing_urls=stack.urls["identity"])) as gw:
        url = gw.url + "/api/v1/invoices/inv-1/pdf"
        headers = {"Authorization": f"Bearer {member_token}"}
        async with client.get(url, headers=headers) as response:
            assert response.status == 200
            first = await asyncio.wait_for(response.content.readexactly(64 * 1024), HANG_GUARD)
            # The upstream holds the rest back until the client has the first chunk:
            # a buffering gateway would never deliver it.
            assert not pdf_stub.download_finished.is_set()
            pdf_stub.first_chunk_seen_by_client.set()
            rest = await asyncio.wait_for(response.read(), HANG_GUARD)
    assert first == b"%" * 64 * 1024
    assert len(first) + len(rest) == 20 * MIB
    assert pdf_stub.download_finished.is_set()


async def test_large_upload_reaches_the_upstream_while_the_client_still_sends(
    stack: Any, gateway: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    identity_stub = stack.stubs["identity"]
    chunk = bytes(range(256)) * 256  # 64 KiB
    count = 11 * MIB // len(chunk)
    digest = hashlib.sha256()

    async def body() -> AsyncIterator[bytes]:
        digest.update(chunk)
        yield chunk
        # The rest is only sent once the upstream holds the first chunk: a
        # gateway that buffered the whole upload would wait forever.
        await asyncio.wait_for(identity_stub.upload_first_chunk.wait(), HANG_GUARD)
        for _ in range(count - 1):
            digest.update(chunk)
            yield chunk

    url = gateway.url + "/api/v1/me/identity-documents"
    headers = {"Authorization": f"Bearer {member_token}", "Content-Type": "application/pdf"}
    async with client.post(url, data=body(), headers=headers) as response:
        seen = await response.json()
    assert response.status == 200
    assert seen == {"size": count * len(chunk), "sha256": digest.hexdigest()}


async def test_declared_oversized_body_is_refused_with_413(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    async with stack.gateway(stack.settings(max_body_bytes=1 * MIB)) as gw:
        url = gw.url + "/api/v1/me/identity-documents"
        headers = {"Authorization": f"Bearer {member_token}", "Accept-Language": "en"}
        async with client.post(url, data=b"x" * (MIB + 1), headers=headers) as response:
            problem = await response.json(content_type=None)
    assert response.status == 413
    assert response.content_type == "application/problem+json"
    assert problem["code"] == "request.too_large"
    assert problem["max_bytes"] == MIB


async def test_chunked_body_going_over_the_limit_is_refused_with_413(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"y" * (64 * 1024)

    async with stack.gateway(stack.settings(max_body_bytes=1 * MIB)) as gw:
        url = gw.url + "/api/v1/me/identity-documents"
        headers = {"Authorization": f"Bearer {member_token}"}
        async with client.post(url, data=body(), headers=headers) as response:
            problem = await response.json(content_type=None)
    assert response.status == 413
    assert problem["code"] == "request.too_large"


async def test_body_just_under_the_limit_passes(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    async with stack.gateway(stack.settings(max_body_bytes=1 * MIB)) as gw:
        url = gw.url + "/api/v1/me/identity-documents"
        headers = {"Authorization": f"Bearer {member_token}"}
        async with client.post(url, data=b"z" * MIB, headers=headers) as response:
            seen = await response.json()
    assert response.status == 200
    assert seen["size"] == MIB


async def test_an_upstream_that_stops_taking_the_body_gets_504(
    stack: Any, serve: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    # A service that reads the first chunk of an upload, then neither reads nor answers:
    # the body (far more than the socket buffers hold) stops moving, and the gateway
    # gives up after its upstream timeout instead of waiting forever.
    release = asyncio.Event()

    async def stuck(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await receive()
            await release.wait()

    async def body() -> AsyncIterator[bytes]:
        for _ in range(48 * MIB // (64 * 1024)):
            yield b"u" * (64 * 1024)

    try:
        async with serve(stuck) as upstream:
            settings = stack.settings(
                identity_urls=upstream.url, upstream_timeout_seconds=1.0, max_body_bytes=64 * MIB
            )
            async with stack.gateway(settings) as gw:
                url = gw.url + "/api/v1/me/identity-documents"
                headers = {"Authorization": f"Bearer {member_token}"}

                async def post() -> tuple[int, dict[str, Any]]:
                    async with client.post(url, data=body(), headers=headers) as response:
                        return response.status, await response.json(content_type=None)

                status, problem = await asyncio.wait_for(post(), HANG_GUARD)
    finally:
        release.set()
    assert status == 504
    assert problem["code"] == "gateway.upstream_timeout"


async def test_a_client_that_stops_sending_its_body_gets_408(
    stack: Any, client: aiohttp.ClientSession, member_token: str
) -> None:
    resume = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"s" * (64 * 1024)
        await resume.wait()  # the rest never comes while the test waits for the answer
        yield b"s"

    try:
        async with stack.gateway(stack.settings(upstream_timeout_seconds=1.0)) as gw:
            url = gw.url + "/api/v1/me/identity-documents"
            headers = {"Authorization": f"Bearer {member_token}"}

            async def post() -> tuple[int, dict[str, Any]]:
                async with client.post(url, data=body(), headers=headers) as response:
                    return response.status, await response.json(content_type=None)

            status, problem = await asyncio.wait_for(post(), HANG_GUARD)
    finally:
        resume.set()
    assert status == 408
    assert problem["code"] == "request.timeout"


async def test_a_body_refused_before_it_is_read_ends_the_connection(
    stack: Any, gateway: Any
) -> None:
    # A client that announces more body than it sends, refused at once (413): had the
    # connection stayed open, its next request would be read as the rest of the body
    # and never answered.
    host, port = gateway.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {100 * MIB}\r\n\r\n".encode()
            + b"{}"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), HANG_GUARD)  # up to the server's close
    finally:
        writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 413"), answer[:300]
    assert b"connection: close" in head
