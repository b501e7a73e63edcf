"""The customer's journey without dead ends (issue 18), in a real browser.

- An expired verification link offers a new one on the page it opens, and a login
  refused before verifying offers the same (R6); the new link verifies.
- The order form states the 13:00 rule beside the calendar with the effective order
  date (R17); the review shows the monthly total (fee × quantity), the initial fee,
  the tax as billing rounds it, the minimum term and the early-termination rule, and
  orders only once the member accepts the terms (R20, R25).
- Purchase history pages past its first page through ``next_cursor``.
- The top page searches the lineup and filters it by category.
- An inquiry is a thread: ops answer, the member replies, ops see the whole thread (R26).
- A new operator enrols the authenticator by the QR code the login shows: the test
  decodes the image and logs in with a code of the secret it holds (R29).
"""

from __future__ import annotations

import hashlib
import io
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import expect

from billing.domain.invoice_totals import consumption_tax
from bizmall_testkit.processes import create_operator

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ACCEPT_TERMS = "サービスの利用規約と上記のご契約条件に同意する"


def yen(amount: int) -> str:
    """An amount as the Japanese pages show it."""
    return f"{amount:,}円"


async def verification_mail_token(stack: Any, address: str, *, not_token: str = "") -> str:
    """The token of a verification email to ``address`` other than ``not_token``'s."""
    message = await stack.mail_to(
        address,
        lambda m: (
            "/verify-email?token=" in stack.text_of(m)
            and (not not_token or not_token not in stack.text_of(m))
        ),
    )
    return str(stack.link_query(message, "/verify-email")["token"])


async def test_r6_an_expired_link_and_a_refused_login_offer_a_new_verification_link(
    stack: Any, new_page: Any, screens: Any
) -> None:
    base = stack.base_url
    address = await stack.register()
    first = await verification_mail_token(stack, address)
    # The link's lifetime has passed (as if the member opened it days later).
    await stack.query(
        "identity",
        "UPDATE one_time_tokens SET expires_at = now() - interval '1 hour' WHERE token_hash = $1",
        hashlib.sha256(first.encode()).hexdigest(),
    )
    page = await new_page()
    await page.goto(f"{base}/verify-email?token={first}")
    await expect(page.locator(".problem")).to_have_attribute("data-code", "token.expired")
    resend = page.locator("form.resend")
    await expect(resend.get_by_role("heading", name="確認メールの再送")).to_be_visible()
    await screens.shot(page, "expired-link")
    await resend.get_by_label("登録したメールアドレス").fill(address)
    await resend.get_by_role("button", name="確認メールを再送する").click()
    await expect(resend.get_by_role("status")).to_contain_text("新しい確認メールを送信しました")
    await screens.shot(page, "resent")

    # The new link verifies; the member logs in.
    second = await verification_mail_token(stack, address, not_token=first)
    await page.goto(f"{base}/verify-email?token={second}")
    await expect(page.get_by_role("status")).to_contain_text("メールアドレスを確認しました")
    await page.goto(f"{base}/login")
    await page.get_by_label("ログインID（メールアドレス）").fill(address)
    await page.get_by_label("パスワード").fill(stack.member_password)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.get_by_role("heading", name="マイページ", exact=True)).to_be_visible()

    # A login before verifying is refused, and the refusal offers the re-send for the
    # address just typed.
    other = await stack.register()
    other_first = await verification_mail_token(stack, other)
    page = await new_page()
    await page.goto(f"{base}/login")
    await page.get_by_label("ログインID（メールアドレス）").fill(other)
    await page.get_by_label("パスワード").fill(stack.member_password)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    await expect(page.locator(".problem")).to_have_attribute("data-code", "auth.email_unverified")
    resend = page.locator("form.resend")
    await expect(resend.get_by_label("登録したメールアドレス")).to_have_value(other)
    await resend.get_by_role("button", name="確認メールを再送する").click()
    await expect(resend.get_by_role("status")).to_contain_text("新しい確認メールを送信しました")
    await screens.shot(page, "login-refusal-resent")
    assert await verification_mail_token(stack, other, not_token=other_first)


async def test_r17_r20_the_order_review_shows_total_tax_and_terms_and_needs_consent(
    stack: Any, new_page: Any, screens: Any, kit: Any
) -> None:
    base = stack.base_url
    service = await stack.service_by_slug("cloud-pbx")
    plan = service["plans"][0]
    quantity = 3
    async with stack.http.get(f"/api/v1/services/{service['id']}/start-dates") as response:
        calendar = await response.json()
    member = await stack.register_and_login()
    page = await new_page()
    await kit.member_log_in(page, base, member.email, stack.member_password)

    await page.goto(f"{base}/services/{service['id']}/order")
    # R17 beside the calendar: the cut-off and the order date an order now gets.
    rule = page.locator("#cutoff-rule")
    await expect(rule).to_contain_text("13:00以降および休業日のお申し込みは、翌営業日の受付")
    await expect(rule).to_contain_text(calendar["effective_order_date"])
    await page.get_by_label("数量").fill(str(quantity))
    await page.locator("button.day.earliest").click()
    await page.get_by_label("内線番号の桁数").fill("3")
    await screens.shot(page, "order-form-cutoff")
    await page.get_by_role("button", name="確認へ進む").click()
    await expect(page.get_by_role("heading", name="申込内容の確認")).to_be_visible()

    total = plan["monthly_fee"] * quantity
    tax = consumption_tax(total)  # billing's own rounding (R25)
    await expect(page.locator("dd.review-monthly-total")).to_have_text(yen(total))
    await expect(page.locator("dd.review-tax")).to_have_text(yen(tax))
    await expect(page.locator("dd.review-monthly-with-tax")).to_have_text(yen(total + tax))
    await expect(page.locator("dd.review-initial-fee")).to_have_text(yen(plan["initial_fee"]))
    await expect(page.locator("dd.review-minimum-term")).to_have_text(
        f"{service['minimum_term_months']}か月"
    )
    assert service["early_termination"]["kind"] == "remaining_months"
    await expect(page.locator("dd.review-termination")).to_contain_text(
        f"残りの月数 × 月額合計（{yen(total)}）"
    )

    # The order waits for the member's consent to the terms.
    place = page.get_by_role("button", name="申し込む")
    await expect(place).to_be_disabled()
    await screens.shot(page, "order-review-terms")
    await page.get_by_label(ACCEPT_TERMS).check()
    await expect(place).to_be_enabled()
    await place.click()
    await expect(page.get_by_role("status")).to_have_text("お申し込みを受け付けました。")


async def test_purchase_history_pages_past_its_first_page(
    stack: Any, new_page: Any, screens: Any, kit: Any
) -> None:
    member = await stack.register_and_login()
    page_size = 20  # the web lists' PAGE_SIZE
    for _ in range(page_size + 1):
        await stack.place_order(member)
    page = await new_page()
    await kit.member_log_in(page, stack.base_url, member.email, stack.member_password)
    await page.goto(f"{stack.base_url}/orders")
    rows = page.locator("table.orders tbody tr")
    await expect(rows).to_have_count(page_size)
    more = page.get_by_role("button", name="さらに表示")
    await screens.shot(page, "history-first-page")
    await more.click()
    await expect(rows).to_have_count(page_size + 1)
    await expect(more).to_have_count(0)
    ids = await rows.evaluate_all("rows => rows.map(row => row.dataset.orderId)")
    assert len(set(ids)) == page_size + 1, ids
    await screens.shot(page, "history-second-page")


async def test_the_top_page_searches_and_filters_the_lineup(
    stack: Any, new_page: Any, screens: Any
) -> None:
    page = await new_page()
    await page.goto(stack.base_url)
    cards = page.locator("ul.lineup li.card")
    await expect(page.get_by_role("link", name="光インターネット")).to_be_visible()
    everything = await cards.count()
    assert everything >= 2

    await page.get_by_label("キーワード").fill("光回線")
    await page.get_by_role("button", name="検索", exact=True).click()
    # Both at once only in the searched list (the whole lineup has both, a loading none).
    await expect(page.get_by_role("link", name="データバックアップ")).to_have_count(0)
    await expect(page.get_by_role("link", name="光インターネット")).to_be_visible()
    assert await cards.count() < everything
    await expect(page.locator(".lineup-count")).to_contain_text("件のサービスが見つかりました")
    assert "q=" in page.url
    await screens.shot(page, "search")

    # A category alone: the search cleared, the network services only.
    await page.get_by_label("キーワード").fill("")
    await page.get_by_role("button", name="検索", exact=True).click()
    await expect(page.get_by_role("link", name="データバックアップ")).to_be_visible()
    await page.get_by_label("カテゴリ").select_option("network")
    await expect(page.get_by_role("link", name="データバックアップ")).to_have_count(0)
    await expect(page.get_by_role("link", name="光インターネット")).to_be_visible()
    categories = await cards.evaluate_all("cards => cards.map(card => card.dataset.category)")
    await expect(cards).to_have_count(len(categories))
    assert categories and set(categories) == {"network"}, categories
    await screens.shot(page, "category")

    await page.get_by_label("キーワード").fill("存在しないサービス名xyz")
    await page.get_by_role("button", name="検索", exact=True).click()
    await expect(page.locator(".no-services")).to_have_text("条件に合うサービスはありません。")


async def test_r26_an_inquiry_is_a_thread_the_member_replies_and_ops_see_it(
    stack: Any, new_page: Any, screens: Any, kit: Any, ops: Any
) -> None:
    base = stack.base_url
    member = await stack.register_and_login()
    status, inquiry = await stack.call(
        "POST",
        "/api/v1/inquiries",
        json={"category": "general", "subject": "請求書の宛名", "body": "宛名を変更できますか。"},
        headers=member.headers,
    )
    assert status == 201, inquiry
    status, answered = await stack.call(
        "POST",
        f"/api/v1/ops/notification/inquiries/{inquiry['id']}/answers",
        json={"body": "変更できます。新しい宛名をお知らせください。"},
        headers=await stack.ops_headers(),
    )
    assert status in (200, 201), answered

    page = await new_page()
    await kit.member_log_in(page, base, member.email, stack.member_password)
    await page.goto(f"{base}/inquiries/{inquiry['id']}")
    thread = page.locator("ol.thread li")
    await expect(thread).to_have_count(1)
    await expect(thread.first).to_contain_text("新しい宛名をお知らせください")
    await expect(page.locator(".inquiry-status")).to_have_text("回答済み")
    await page.get_by_label("返信内容").fill("株式会社テスト 経理部 宛でお願いします。")
    await page.get_by_role("button", name="返信を送信").click()
    await expect(page.get_by_role("status")).to_have_text("返信を送信しました。")
    await expect(thread).to_have_count(2)
    await expect(thread.nth(1)).to_have_attribute("data-author", "member")
    await expect(page.locator(".inquiry-status")).to_have_text("回答待ち")
    await screens.shot(page, "member-replied")

    console = await new_page()
    await ops.log_in(console)
    await console.goto(f"{base}/ops/inquiries/{inquiry['id']}")
    ops_thread = console.locator("ol.thread li")
    await expect(ops_thread).to_have_count(2)
    await expect(ops_thread.nth(0)).to_have_attribute("data-author", "ops")
    await expect(ops_thread.nth(1)).to_contain_text("経理部 宛でお願いします")
    await screens.shot(console, "ops-thread")


async def _new_operator(stack: Any) -> tuple[str, str]:
    return await create_operator(stack.env, tag="qr")


async def test_r29_an_operator_enrols_by_scanning_the_qr_code(
    stack: Any, new_page: Any, screens: Any
) -> None:
    email, password = await _new_operator(stack)
    page = await new_page()
    await page.goto(f"{stack.base_url}/login")
    await page.get_by_label("ログインID（メールアドレス）").fill(email)
    await page.get_by_label("パスワード").fill(password)
    await page.get_by_role("button", name="ログイン", exact=True).click()
    qr = page.locator("img#totp-qr")
    await expect(qr).to_be_visible()
    await screens.shot(page, "totp-enrolment")

    # Scan the image as shown on the screen, as an authenticator app would.
    shown = Image.open(io.BytesIO(await qr.screenshot()))
    (barcode,) = zxingcpp.read_barcodes(shown)
    uri = urlparse(barcode.text)
    assert uri.scheme == "otpauth" and uri.netloc == "totp", barcode.text
    secret = parse_qs(uri.query)["secret"][0]
    await expect(page.locator("#totp-secret")).to_have_text(secret)

    await page.get_by_label("認証アプリの6桁のコード").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="確認").click()
    await expect(page.get_by_role("heading", name="運用コンソール", exact=True)).to_be_visible()
    await screens.shot(page, "ops-console")
