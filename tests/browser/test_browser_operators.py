"""An operator who lost the authenticator has a way back (issue 18, R29), in a real browser.

Operator A (the demo operator) opens the console's operator list, which shows every
operator with whether a second factor is enrolled; A's own row has no action. A resets
operator B's second factor after a confirmation step. B's next login then hands out a
new secret (the login answer carries ``totp_enrollment`` and the page shows its QR
code), B enrols it, and identity's audit log holds ``ops.second_factor_reset`` by A.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from playwright.async_api import expect

from bizmall_testkit.processes import create_operator

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def _new_operator(stack: Any) -> tuple[str, str]:
    return await create_operator(stack.env, tag="reset")


async def _api_enrol(stack: Any, email: str, password: str) -> str:
    """B's first login over the API: the secret it enrols (a code of it completes the login)."""
    headers = stack.caller()
    status, challenge = await stack.call(
        "POST",
        "/api/v1/auth/login",
        json={"login_id": email, "password": password},
        headers=headers,
    )
    assert status == 200, challenge
    secret = challenge["totp_enrollment"]["secret"]
    body = {"challenge_token": challenge["challenge_token"], "code": pyotp.TOTP(secret).now()}
    status, tokens = await stack.call("POST", "/api/v1/auth/login/totp", json=body, headers=headers)
    assert status == 200, tokens
    return str(secret)


async def test_r29_an_operator_resets_another_operators_second_factor(
    stack: Any, ops: Any, new_page: Any, screens: Any
) -> None:
    email_b, password_b = await _new_operator(stack)
    old_secret = await _api_enrol(stack, email_b, password_b)

    status, listed = await stack.call(
        "GET", "/api/v1/ops/identity/operators", headers=await stack.ops_headers()
    )
    assert status == 200, listed
    by_login = {item["login_id"]: item for item in listed["items"]}
    operator_a = by_login[stack.credentials.ops_email]
    operator_b = by_login[email_b]
    assert operator_b["totp_enrolled"] is True, operator_b

    # A opens the operator list from the console's menu.
    page = await new_page()
    await ops.log_in(page, demo=True)
    await (
        page.get_by_role("navigation", name="運用メニュー")
        .get_by_role("link", name="運用担当者")
        .click()
    )
    await expect(page.get_by_role("heading", name="運用担当者", exact=True)).to_be_visible()
    row_b = page.locator(f"tr[data-operator-id='{operator_b['id']}']")
    row_a = page.locator(f"tr[data-operator-id='{operator_a['id']}']")
    await expect(row_b).to_contain_text(email_b)
    await expect(row_b.locator(".second-factor")).to_have_text("登録済み")
    # One's own row: marked, and no reset action.
    await expect(row_a).to_contain_text("（あなた）")
    await expect(row_a.get_by_role("button")).to_have_count(0)
    await screens.shot(page, "operators")

    # The reset asks first; cancelling does nothing.
    await row_b.get_by_role("button", name="二要素認証をリセット").click()
    await expect(row_b).to_contain_text(f"{email_b} の二要素認証をリセットし")
    await row_b.get_by_role("button", name="やめる").click()
    await expect(row_b.get_by_role("button", name="リセットする")).to_have_count(0)
    await row_b.get_by_role("button", name="二要素認証をリセット").click()
    await screens.shot(page, "reset-confirmation")
    await row_b.get_by_role("button", name="リセットする").click()
    await expect(page.get_by_role("status")).to_contain_text(
        f"{email_b} の二要素認証をリセットしました"
    )
    await expect(row_b.locator(".second-factor")).to_have_text("未登録（次回ログイン時に登録）")
    await expect(row_b).to_have_attribute("data-enrolled", "false")
    await screens.shot(page, "reset-done")

    # The API refuses one's own second factor (the page offers no button for it).
    status, problem = await stack.call(
        "POST",
        f"/api/v1/ops/identity/operators/{operator_a['id']}/second-factor-reset",
        headers=await stack.ops_headers(),
    )
    assert status == 403 and problem["code"] == "ops.own_second_factor", problem

    # B's next login enrols a new authenticator: the answer carries a new secret,
    # shown as a QR code.
    login_b = await new_page()
    await login_b.goto(f"{stack.base_url}/login")
    await login_b.get_by_label("ログインID（メールアドレス）").fill(email_b)
    await login_b.get_by_label("パスワード").fill(password_b)
    async with login_b.expect_response(
        lambda r: r.url.endswith("/api/v1/auth/login") and r.request.method == "POST"
    ) as answered:
        await login_b.get_by_role("button", name="ログイン", exact=True).click()
    answer = await (await answered.value).json()
    new_secret = answer["totp_enrollment"]["secret"]
    assert new_secret != old_secret
    await expect(login_b.locator("img#totp-qr")).to_be_visible()
    await expect(login_b.locator("#totp-secret")).to_have_text(new_secret)
    await screens.shot(login_b, "new-enrolment")
    await login_b.get_by_label("認証アプリの6桁のコード").fill(pyotp.TOTP(new_secret).now())
    await login_b.get_by_role("button", name="確認").click()
    await expect(login_b.get_by_role("heading", name="運用コンソール", exact=True)).to_be_visible()

    # The reset is in identity's audit log, by A, about B.
    status, audit = await stack.call(
        "GET",
        f"/api/v1/ops/identity/audit-log?actor_id={operator_a['id']}&entity=operator&limit=50",
        headers=await stack.ops_headers(),
    )
    assert status == 200, audit
    resets = [
        row
        for row in audit["items"]
        if row["action"] == "ops.second_factor_reset"
        and row["target"] == f"member:{operator_b['id']}"
    ]
    assert len(resets) == 1, audit
    assert resets[0]["actor"] == operator_a["id"]
