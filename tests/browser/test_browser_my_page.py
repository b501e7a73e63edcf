"""My Page in a real browser: profile and contact-email change through the emailed
link (R9), password change, a sole proprietor's identity document and its review by
ops (R12), account-transfer application completed by ops (R21), contract
cancellation with the fee quoted first (R20), withdrawal refused naming the blocking
contract (R11), and an order-bound inquiry answered by ops (R26).

Members are registered over the API (the journey test registers through the
browser); everything the test then checks happens in the browser."""

from __future__ import annotations

import struct
import uuid
import zlib
from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]

NEW_PASSWORD = "browser-changed-password-2024"


def tiny_png() -> bytes:
    """A valid 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_r9_profile_contact_email_and_password_changes(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    page = await new_page()
    base = stack.base_url
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)
    await screens.shot(page, "my-page")

    # Profile: only the changed fields are sent; the login ID stays.
    await page.get_by_role("link", name="登録情報の変更").click()
    await expect(page.get_by_role("heading", name="登録情報の変更", level=2)).to_be_visible()
    await page.get_by_label("部署名").fill("情報システム部")
    await page.get_by_label("電話番号").fill("03-9876-5432")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_have_text("保存しました。")
    await page.reload()
    await expect(page.get_by_label("部署名")).to_have_value("情報システム部")
    await expect(page.get_by_label("電話番号")).to_have_value("0398765432")  # normalised
    await expect(page.get_by_text(member.email).first).to_be_visible()

    # The contact email changes only when the link sent to the new address is opened.
    new_address = f"changed-{uuid.uuid4().hex[:10]}@example.co.jp"
    await page.get_by_label("新しい連絡先メールアドレス").fill(new_address)
    await page.get_by_role("button", name="確認メールを送る").click()
    await expect(page.get_by_role("status")).to_contain_text("確認メールを送信しました")
    await expect(page.locator(".pending-email")).to_contain_text(new_address)
    await screens.shot(page, "profile-email-pending")
    message = await stack.mail_to(new_address, lambda m: "/me/email/confirm" in stack.text_of(m))
    token = stack.link_query(message, "/me/email/confirm")["token"]
    await page.goto(f"{base}/me/email/confirm?token={token}")
    await expect(page.get_by_role("status")).to_contain_text("連絡先メールアドレスを変更しました")
    await page.goto(f"{base}/me")
    await expect(page.locator("#profile-heading + dl")).to_contain_text(new_address)

    # Password: a wrong current password is refused in the API's words; then changed.
    await page.goto(f"{base}/me/password")
    await page.get_by_label("現在のパスワード").fill("not-the-password-at-all")
    await page.get_by_label("新しいパスワード").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="保存").click()
    await expect(page.locator(".problem")).to_be_visible()
    await page.get_by_label("現在のパスワード").fill(e2e.MEMBER_PASSWORD)
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_contain_text("パスワードを変更しました")
    await screens.shot(page, "password-changed")

    # Log out, then in again with the new password (the login ID is unchanged).
    await page.get_by_role("button", name="ログアウト").click()
    await expect(page.get_by_role("link", name="ログイン")).to_be_visible()
    await kit.member_log_in(page, base, member.email, NEW_PASSWORD)


async def test_r12_identity_document_upload_and_review(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any, ops: Any
) -> None:
    member = await stack.register_and_login(entity_type="sole_proprietor")
    page = await new_page()
    base = stack.base_url
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)
    await page.get_by_role("link", name="本人確認書類").click()
    await expect(page.get_by_role("note")).to_contain_text("マイナンバーカードの裏面")
    await expect(page.get_by_text("提出された書類はありません。")).to_be_visible()

    await page.get_by_label("書類の種類").select_option("drivers_license")
    await page.get_by_label("ファイル").set_input_files(
        files=[{"name": "license.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    await page.get_by_role("button", name="提出する").click()
    await expect(page.get_by_role("status")).to_contain_text("書類を提出しました")
    row = page.locator("table.documents tbody tr")
    await expect(row).to_have_count(1)
    await expect(row.locator(".review-state")).to_have_text("審査中")
    await expect(row).to_contain_text("運転免許証")
    await screens.shot(page, "document-uploaded")

    # Ops review it in the console.
    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="書類審査").click()
    ops_row = console.locator(f"tr[data-member-id='{member.id}']")
    await expect(ops_row).to_contain_text("運転免許証")
    await screens.shot(console, "ops-documents")
    await ops_row.get_by_role("button", name="承認").click()
    await expect(ops_row).to_have_count(0)  # no longer pending
    await console.get_by_label("状態で絞り込み").select_option("approved")
    await expect(ops_row.locator(".review-state")).to_contain_text("承認済み")

    await page.reload()
    await expect(row.locator(".review-state")).to_have_text("承認済み")
    await screens.shot(page, "document-approved")


async def test_r21_account_transfer_applied_and_completed(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any, ops: Any
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    page = await new_page()
    base = stack.base_url
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)
    await page.get_by_role("link", name="お支払い方法").click()
    method = page.locator(".payment-method")
    # Billing opens the account when it learns of the member (an event): until then
    # the page says so in the API's words; a reload shows it once it is there.
    for _ in range(60):
        await expect(page.locator(".payment-method, .problem").first).to_be_visible()
        if await method.count():
            break
        await page.wait_for_timeout(1000)
        await page.reload()
    await expect(method).to_have_text("請求書払い")
    await expect(page.get_by_text("クレジットカードはご利用いただけません。")).to_be_visible()

    # A holder name not in katakana is refused in the API's words.
    await page.get_by_label("金融機関コード").fill("0005")
    await page.get_by_label("支店コード").fill("123")
    await page.get_by_label("預金種目").select_option("ordinary")
    await page.get_by_label("口座番号").fill("1234567")
    await page.get_by_label("口座名義（カタカナ）").fill("Yamada Taro")
    await page.get_by_role("button", name="申し込む").click()
    await expect(page.locator(".problem")).to_be_visible()
    await page.get_by_label("口座名義（カタカナ）").fill("ヤマダ タロウ")
    await page.get_by_role("button", name="申し込む").click()
    await expect(page.locator(".transfer-state")).to_have_text("手続き中")
    await expect(method).to_have_text("請求書払い")  # until ops complete it
    await screens.shot(page, "transfer-applied")

    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="口座振替", exact=True).click()
    ops_row = console.locator(f"tr[data-member-id='{member.id}']")
    await expect(ops_row).to_contain_text("0005-123")
    await screens.shot(console, "ops-transfers")
    await ops_row.get_by_role("button", name="手続き完了にする").click()
    await expect(ops_row).to_have_count(0)  # no longer waiting

    await page.reload()
    await expect(page.locator(".transfer-state")).to_have_text("手続き完了")
    await expect(method).to_have_text("口座振替")
    await screens.shot(page, "transfer-completed")


async def test_r20_r11_cancellation_quoted_first_and_withdrawal_refused(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any
) -> None:
    # Security gateway: cancellable on the site, a fee for the remaining months of
    # its minimum term, and no withdrawal until its contracts have ended.
    service = await stack.service_by_slug("security-gateway")
    assert service["cancellable_on_site"] and service["minimum_term_months"] > 0
    assert service["early_termination"]["kind"] == "remaining_months"
    member = await stack.register_and_login(entity_type="corporation")
    order = await stack.place_order(member, service, {"public_ip_count": 1})
    contract = await stack.activate(order["id"], last_month_start())
    page = await new_page()
    base = stack.base_url
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)

    # Withdrawal is refused at once, naming the contract that blocks it.
    await page.get_by_role("link", name="退会").click()
    submit = page.get_by_role("button", name="退会を申請する")
    await expect(submit).to_be_disabled()
    await page.get_by_label("退会すると元に戻せないことを理解しました").check()
    await submit.click()
    refusal = page.locator(".problem[data-code='withdrawal.refused']")
    await expect(refusal).to_contain_text("退会できません")
    await expect(refusal.locator("ul.blocking li")).to_contain_text("セキュリティゲートウェイ")
    await screens.shot(page, "withdrawal-refused")

    # Cancellation: the fee is quoted before anything is booked.
    await page.goto(f"{base}/me")
    await page.locator(f"tr[data-contract-id='{contract['id']}']").get_by_role("link").click()
    await expect(page.get_by_role("heading", name="契約の詳細")).to_be_visible()
    await page.get_by_role("button", name="解約金を確認する").click()
    fee = page.locator(".quote-fee")
    await expect(fee).to_contain_text("円")
    end_date = await page.locator(".quote-end-date").inner_text()
    await screens.shot(page, "cancellation-quote")
    async with stack.http.get(
        f"/api/v1/contracts/{contract['id']}", headers=member.headers
    ) as response:
        assert (await response.json())["status"] == "active"  # the quote booked nothing
    await page.get_by_role("button", name="この内容で解約する").click()
    await expect(page.get_by_role("status")).to_have_text("解約を受け付けました。")
    details = page.locator("dl.contract")
    await expect(details).to_contain_text("解約予定")
    await expect(details).to_contain_text(end_date)
    await screens.shot(page, "cancellation-booked")


async def test_r26_order_bound_inquiry_answered_by_ops(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any, ops: Any
) -> None:
    service = await stack.service_by_slug("data-backup")
    member = await stack.register_and_login(entity_type="corporation")
    order = await stack.place_order(member, service, {"retention_days": 30})
    # The order email links the inquiry form bound to that order.
    message = await stack.mail_to(
        member.email, lambda m: "/inquiries/new?order_id=" in stack.text_of(m)
    )
    link = stack.link_query(message, "/inquiries/new")
    assert link["order_id"] == order["id"]

    page = await new_page()
    base = stack.base_url
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)
    await page.goto(f"{base}/inquiries/new?order_id={link['order_id']}")
    await expect(page.locator(".inquiry-order")).to_contain_text(order["id"])
    await expect(page.get_by_label("種別")).to_have_value("order")
    await page.get_by_label("件名").fill("開始日の変更について")
    await page.get_by_label("内容").fill("開始日を1週間後ろにずらせますか。")
    await screens.shot(page, "inquiry-form")
    await page.get_by_role("button", name="送信").click()
    await expect(page.get_by_role("status")).to_have_text("お問い合わせを受け付けました。")
    await expect(page.locator(".inquiry-status")).to_have_text("回答待ち")
    inquiry_id = page.url.split("/inquiries/")[1].split("?")[0]

    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="お問い合わせ対応").click()
    ops_row = console.locator(f"tr[data-inquiry-id='{inquiry_id}']")
    # The row names its member, linked to the customer page (R30).
    await expect(ops_row.locator(f".member-note a[data-member-id='{member.id}']")).to_be_visible()
    await ops_row.get_by_role("link", name="開始日の変更について").click()
    await expect(console.locator(".message").first).to_contain_text("1週間後ろ")
    await console.get_by_label("回答内容").fill("承知しました。担当よりご連絡します。")
    await console.get_by_role("button", name="回答を送信").click()
    await expect(console.get_by_role("status")).to_have_text("回答を送信しました。")
    await expect(console.locator("ol.answers li")).to_have_count(1)
    await screens.shot(console, "ops-inquiry-answered")

    # The answer in My Page (the answer email links this page).
    await page.goto(f"{base}/inquiries")
    row = page.locator(f"tr[data-inquiry-id='{inquiry_id}']")
    await expect(row.locator(".inquiry-status")).to_have_text("回答済み")
    await row.get_by_role("link").click()
    await expect(page.locator("ol.answers li")).to_contain_text("担当よりご連絡します")
    await screens.shot(page, "inquiry-answer")
