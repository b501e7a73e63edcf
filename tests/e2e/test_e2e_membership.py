"""Membership end to end (identity's Done-when): register, the verification email
arrives, its link verifies the account, the member logs in and reads My Page —
all through the gateway, with notification sending the email."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_member_registers_verifies_by_email_link_and_reads_my_page(stack: Any) -> None:
    address = await stack.register(entity_type="corporation")

    message = await stack.mail_to(address)
    assert message["Subject"] == "【bizmall】メールアドレスの確認をお願いします"
    token = await stack.verification_token(address)

    async with stack.http.post("/api/v1/auth/verify-email", json={"token": token}) as response:
        assert response.status == 200, await response.text()
        assert (await response.json())["status"] == "verified"

    session = await stack.login(address)
    assert session["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    async with stack.http.get("/api/v1/me", headers=headers) as response:
        assert response.status == 200, await response.text()
        me = await response.json()
    assert me["login_id"] == address
    assert me["contact_email"] == address
    assert me["status"] == "active"
    assert me["entity_type"] == "corporation"

    # The link is single-use: opening it again is the documented token problem.
    async with stack.http.post("/api/v1/auth/verify-email", json={"token": token}) as response:
        problem = await response.json()
    assert response.status == 400
    assert problem["code"] == "token.used"


async def test_an_unverified_account_cannot_log_in(stack: Any) -> None:
    address = await stack.register(entity_type="sole_proprietor")
    # The email went out, so the account exists; its link is simply not opened.
    await stack.verification_token(address)

    async with stack.http.post(
        "/api/v1/auth/login", json={"login_id": address, "password": "e2e-member-password-2024"}
    ) as response:
        problem = await response.json()
        content_type = response.headers["Content-Type"]
    assert response.status == 403
    assert content_type.startswith("application/problem+json")
    assert problem["code"] == "auth.email_unverified"
    assert "access_token" not in problem


async def test_a_member_cannot_see_another_members_data(stack: Any) -> None:
    first = await stack.register_and_login(entity_type="corporation")
    second = await stack.register_and_login(entity_type="sole_proprietor")

    async with stack.http.get("/api/v1/me", headers=second.headers) as response:
        me = await response.json()
    assert me["id"] == second.id != first.id
    assert me["login_id"] == second.email

    # The first member's inquiry (notification) is theirs alone.
    inquiry = {"category": "general", "subject": "請求書の宛名", "body": "宛名を変更できますか。"}
    async with stack.http.post(
        "/api/v1/inquiries", json=inquiry, headers=first.headers
    ) as response:
        assert response.status == 201, await response.text()
        inquiry_id = (await response.json())["id"]

    async with stack.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=second.headers) as r:
        problem = await r.json()
    assert r.status == 404
    assert problem["code"] == "inquiry.not_found"
    async with stack.http.get("/api/v1/inquiries", headers=second.headers) as response:
        assert response.status == 200
        assert [i["id"] for i in (await response.json())["items"]] == []
    async with stack.http.get(f"/api/v1/inquiries/{inquiry_id}", headers=first.headers) as r:
        assert r.status == 200
        assert (await r.json())["subject"] == inquiry["subject"]


async def test_my_page_needs_a_session(stack: Any) -> None:
    async with stack.http.get("/api/v1/me") as response:
        problem: dict[str, Any] = await response.json()
    assert response.status == 401
    assert problem["code"] == "auth.required"
