"""No secret in the logs: the journey of a sole proprietor (register, verify by the
emailed link, log in, upload an identity document, have it approved, order), then
every line the stack wrote is scanned for the password, the tokens and the file."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration


async def test_the_journey_leaves_no_secret_in_the_logs(stack: Any) -> None:
    member = await stack.member(entity_type="sole_proprietor")
    marker = f"SECURITY-MARKER-{uuid.uuid4().hex}"
    content = b"%PDF-1.4\n% " + marker.encode() + b"\n%%EOF\n"
    form = aiohttp.FormData()
    form.add_field("document_type", "drivers_license")
    form.add_field("file", content, filename="license.pdf", content_type="application/pdf")
    async with stack.http.post(
        "/api/v1/me/identity-documents", data=form, headers=member.headers
    ) as response:
        assert response.status == 201, await response.text()
        document = await response.json()
    ops = await stack.ops_headers()
    review = {"decision": "approved"}
    path = f"/api/v1/ops/identity/documents/{document['id']}/review"
    async with stack.http.post(path, json=review, headers=ops) as response:
        assert response.status == 200, await response.text()
    await stack.place_order(member)
    # The confirmation email went out: the order's events went all the way through.
    await stack.smtp.wait_for(
        lambda m: (
            member.email in str(m["To"]) and m["Subject"].startswith("【bizmall】ご注文を受け付け")
        ),
        60,
    )
    async with stack.http.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": member.refresh_token},
        headers={"X-Forwarded-For": member.ip},
    ) as response:
        assert response.status == 200
        rotated = await response.json()

    secrets = {
        "password": stack.member_password,
        "access token": member.access_token,
        "access token signature": member.access_token.rsplit(".", 1)[1],
        "refresh token": member.refresh_token,
        "rotated refresh token": rotated["refresh_token"],
        "rotated access token": rotated["access_token"],
        "verification token": member.verification_token,
        "ops access token": ops["Authorization"].removeprefix("Bearer "),
        "document content": marker,
        "document content (base64)": base64.b64encode(content).decode()[:24],
    }
    lines = stack.log_text().splitlines()
    assert len(lines) > 100, "the stack logged (almost) nothing: the scan would prove nothing"
    leaks = [
        f"{name}: {line[:300]}"
        for line in lines
        for name, secret in secrets.items()
        if secret in line
    ]
    assert leaks == [], "\n".join(leaks)
