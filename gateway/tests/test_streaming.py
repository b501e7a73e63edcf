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
