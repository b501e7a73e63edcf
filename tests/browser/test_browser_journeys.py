"""The web client's Done-when journeys in a real browser: a member registers,
opens the emailed verification link, logs in, orders choosing a start date in the
calendar and sees the order in the purchase history; ops log in with TOTP and
activate it (dated last month); the member sees the contract and, after ops' billing
run, downloads the invoice PDF (R22, R25). A sole proprietor is shown R12's refusal
and an over-limit quantity R14's message, as the API words them."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PASSWORD = "browser-member-password-2024"
#: The review step's consent to the service's terms (R20), needed before ordering.
ACCEPT_TERMS = "サービスの利用規約と上記のご契約条件に同意する"
#: Set to refresh the README's screenshots (docs/screenshots/) from this journey.
README_SCREENSHOTS = os.environ.get("BIZMALL_README_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def lineup(stack: Any) -> dict[str, dict[str, Any]]:
    """Every published service in full, by slug."""
    async with stack.http.get("/api/v1/services", params={"limit": "100"}) as response:
        summaries = (await response.json())["items"]
    services = {}
    for summary in summaries:
        async with stack.http.get(f"/api/v1/services/{summary['id']}") as response:
            services[summary["slug"]] = await response.json()
    return services


async def verified_member(stack: Any, entity_type: str) -> str:
    """A member registered and verified through the API (the browser journey
    registers its own); returns the login ID."""
    address = await stack.register(entity_type=entity_type)
    await stack.verify(await stack.verification_token(address))
    return str(address)


async def log_in(page: Any, base_url: str, address: str, password: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("ログインID（メールアドレス）").fill(address)
    await page.get_by_label("パスワード").fill(password)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.get_by_role("heading", name="マイページ", exact=True)).to_be_visible()


async def fill_order(page: Any, base_url: str, service: dict[str, Any], quantity: int) -> str:
    """Open the order form, fill it, choose the earliest date; returns that date."""
    await page.goto(f"{base_url}/services/{service['id']}")
    await page.get_by_role("link", name="申し込む").click()
    await page.get_by_label("数量").fill(str(quantity))
    earliest = page.locator("button.day.earliest")
    date = str(await earliest.get_attribute("data-date"))
    await earliest.click()
    await expect(page.get_by_text(f"選択した日：{date}")).to_be_visible()
    return date


async def test_member_orders_in_the_browser_ops_activate_and_bill_it(
    stack: Any, new_page: Any, screens: Any, e2e: Any, ops: Any
) -> None:
    base = stack.base_url
    service = (await lineup(stack))["data-backup"]
    page = await new_page()

    # The top page: notices and the lineup; the same at phone width.
    await page.goto(base)
    await expect(page.get_by_role("heading", name="サービス一覧")).to_be_visible()
    await expect(page.get_by_role("link", name="データバックアップ")).to_be_visible()
    await screens.shot(page, "top")
    phone = await new_page(width=390)
    await phone.goto(base)
    await expect(phone.get_by_role("link", name="データバックアップ")).to_be_visible()
    await screens.shot(phone, "top-phone")

    # Registration as a corporation; the corporate number is checked as it is typed.
    address = f"browser-{uuid.uuid4().hex[:12]}@example.co.jp"
    await page.get_by_role("link", name="会員登録").click()
    await page.get_by_label("メールアドレス").fill(address)
    await page.get_by_label("パスワード").fill(PASSWORD)
    await page.get_by_label("担当者氏名").fill("鈴木 一郎")
    await page.get_by_label("フリガナ").fill("スズキ イチロウ")  # R5's optional reading
    await page.get_by_label("法人名・屋号").fill("ブラウザテスト株式会社")
    await page.get_by_label("部署名").fill("情報システム部")
    number = page.get_by_label("法人番号（13桁）")
    valid = e2e.corporate_number()
    wrong_check = str((int(valid[0]) % 9) + 1) + valid[1:]
    await number.fill(wrong_check)
    await expect(page.locator("#corporate_number-check")).to_have_text(
        "チェックディジットが一致しません。"
    )
    await number.fill(valid)
    await expect(page.locator("#corporate_number-check")).to_have_text(
        "法人番号の形式は正しいです。"
    )
    await page.get_by_label("郵便番号").fill("100-0001")
    await page.get_by_label("住所").fill("東京都千代田区千代田1-1")
    await page.get_by_label("電話番号").fill("03-1234-5678")
    await page.get_by_label("プライバシーポリシーに同意する").check()
    await screens.shot(page, "register")
    await page.get_by_role("button", name="登録する").click()
    await expect(page.get_by_role("status")).to_contain_text("確認メールを送信しました")
    (registered,) = await stack.query(
        "identity", "SELECT name_kana, department FROM members WHERE login_id = $1", address
    )
    assert (registered["name_kana"], registered["department"]) == (
        "スズキ イチロウ",
        "情報システム部",
    )

    # The link of the verification email, opened in the browser.
    token = await stack.verification_token(address)
    await page.goto(f"{base}/verify-email?token={token}")
    await expect(page.get_by_role("status")).to_contain_text("メールアドレスを確認しました")
    await screens.shot(page, "verified")

    await log_in(page, base, address, PASSWORD)
    await screens.shot(page, "my-page-empty")

    # The order: quantity, the earliest start date in the calendar, the order field.
    date = await fill_order(page, base, service, service["order_unit"])
    await page.get_by_label("保管期間（日）").select_option("30")
    await screens.shot(page, "order-form")
    await page.get_by_role("button", name="確認へ進む").click()
    await expect(page.get_by_role("heading", name="申込内容の確認")).to_be_visible()
    await expect(page.locator(".rules").first).to_contain_text(date)
    await screens.shot(page, "order-review")
    await page.get_by_label(ACCEPT_TERMS).check()  # R20: the member accepts the terms
    await page.get_by_role("button", name="申し込む").click()
    await expect(page.get_by_role("status")).to_have_text("お申し込みを受け付けました。")
    order_id = page.url.split("/orders/")[1].split("?")[0]
    await screens.shot(page, "order-placed")

    await page.goto(f"{base}/orders")
    row = page.locator(f"tr[data-order-id='{order_id}']")
    await expect(row).to_contain_text("データバックアップ")
    await expect(row).to_contain_text("受付済み")
    await screens.shot(page, "purchase-history")

    # Ops: password, then the TOTP code (of the secret shown at the first login).
    ops_page = await new_page()
    await ops.log_in(ops_page)
    ops_row = ops_page.locator(f"tr[data-order-id='{order_id}']")
    for action, status in (("受付", "受付完了"), ("開通作業開始", "開通作業中")):
        await ops_row.get_by_role("button", name=action, exact=True).click()
        await expect(ops_row.locator(".order-status")).to_have_text(status)
    # The actual start is dated last month, so that month can be billed now (R23).
    start = last_month_start()
    await ops_row.get_by_label("開通日").fill(start.isoformat())
    await screens.shot(ops_page, "ops-provisioning")
    await ops_row.get_by_role("button", name="開通", exact=True).click()
    await expect(ops_row.locator(".order-status")).to_have_text("利用中")
    await screens.shot(ops_page, "ops-activated")

    # The member's contract on My Page.
    await page.goto(f"{base}/me")
    contract = page.locator(f"table.contracts tr[data-order-id='{order_id}']")
    await expect(contract).to_contain_text("データバックアップ")
    await expect(contract).to_contain_text("利用中")
    await expect(contract).to_contain_text(start.isoformat())
    await screens.shot(page, "my-page-contract")
    await page.goto(f"{base}/orders/{order_id}")
    await expect(page.locator("ol.history li")).to_have_count(4)
    await screens.shot(page, "order-detail")

    # Ops run billing for that month. Billing learns of the contract from ordering's
    # event, and a run is idempotent, so ops run it until the member's invoice is there.
    await ops_page.goto(f"{base}/ops/billing")
    await ops_page.get_by_label("利用月").fill(f"{start:%Y-%m}")
    invoice = page.locator("table.invoices tbody tr")
    for _ in range(60):
        await ops_page.get_by_role("button", name="実行").click()
        # The run goes on in the background (R39): its progress bar ends at "done".
        await expect(ops_page.locator(".run-progress")).to_have_attribute("data-status", "done")
        await expect(ops_page.locator(".run-result")).to_contain_text("件の請求書を発行しました")
        await page.goto(f"{base}/invoices")
        await expect(page.get_by_role("heading", name="請求書")).to_be_visible()
        await expect(page.locator("table.invoices, #invoices-empty")).to_be_visible()
        if await invoice.count():
            break
        await asyncio.sleep(1)
    await screens.shot(ops_page, "ops-billing-run")
    await expect(invoice).to_have_count(1)
    await expect(invoice).to_contain_text("データバックアップ")
    await expect(invoice).to_contain_text(f"{start:%Y-%m}")
    await screens.shot(page, "invoices")

    # The PDF download: a real PDF of some size.
    async with page.expect_download() as started:
        await invoice.get_by_role("button", name="PDFをダウンロード").click()
    download = await started.value
    assert download.suggested_filename.endswith(".pdf")
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert content.startswith(b"%PDF-")
    assert len(content) > 1000, len(content)

    await page.goto(f"{base}/me")
    await expect(contract).to_contain_text("利用中")
    if README_SCREENSHOTS:  # (the top page's is taken with notices, in test_browser_ops)
        await page.screenshot(path=str(DOCS_SCREENSHOTS / "my-page.png"))


async def test_a_sole_proprietor_is_shown_r12s_refusal(
    stack: Any, new_page: Any, screens: Any, e2e: Any
) -> None:
    service = (await lineup(stack))["cloud-pbx"]
    assert service["requires_corporation"]
    address = await verified_member(stack, "sole_proprietor")
    page = await new_page()
    await log_in(page, stack.base_url, address, e2e.MEMBER_PASSWORD)

    await fill_order(page, stack.base_url, service, 1)
    await page.get_by_label("内線番号の桁数").fill("3")
    await page.get_by_role("button", name="確認へ進む").click()
    await page.get_by_label(ACCEPT_TERMS).check()
    await page.get_by_role("button", name="申し込む").click()

    refusal = page.locator(".problem")
    await expect(refusal).to_have_attribute("data-code", "order.invalid")
    await expect(refusal).to_contain_text("法人のお客さま専用")
    await screens.shot(page, "r12-refusal")


async def test_an_over_limit_quantity_shows_r14s_message(
    stack: Any, new_page: Any, screens: Any, e2e: Any
) -> None:
    service = (await lineup(stack))["cloud-pbx"]
    limit = service["max_quantity_per_order"]
    address = await verified_member(stack, "corporation")
    page = await new_page()
    await log_in(page, stack.base_url, address, e2e.MEMBER_PASSWORD)

    await fill_order(page, stack.base_url, service, limit + service["order_unit"])
    # The limit is shown before anything is sent.
    await expect(page.locator("#quantity-hint")).to_contain_text(f"1回の申込は{limit}まで")
    await page.get_by_label("内線番号の桁数").fill("3")
    await page.get_by_role("button", name="確認へ進む").click()
    await page.get_by_label(ACCEPT_TERMS).check()
    await page.get_by_role("button", name="申し込む").click()

    refusal = page.locator(".problem")
    await expect(refusal).to_contain_text(re.compile(f"{limit}まで"))
    await screens.shot(page, "r14-refusal")
