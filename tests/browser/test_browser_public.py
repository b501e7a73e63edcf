"""Public pages and the site's reach in a real browser: the English switch (every
label, and the API's own messages, R3), a phone-width screen with nothing to scroll
sideways, the user guide and privacy policy, password reset through the emailed
link, logout, and an order placed with the keyboard alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser]

RESET_PASSWORD = "browser-reset-password-2024"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


async def test_english_switch_labels_and_api_messages(
    stack: Any, new_page: Any, screens: Any
) -> None:
    base = stack.base_url
    page = await new_page()
    await page.goto(base)
    await expect(page.get_by_role("heading", name="サービス一覧", exact=True)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "ja")

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Services", exact=True)).to_be_visible()
    await expect(page.get_by_role("heading", name="Notices", exact=True)).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    # Service names and fees come from the API in both languages.
    await expect(page.get_by_role("link", name="Data backup", exact=False)).to_be_visible()
    await screens.shot(page, "top-en")

    # The choice is remembered across a reload.
    await page.reload()
    await expect(page.get_by_role("heading", name="Services", exact=True)).to_be_visible()

    # The API's refusal comes in English too.
    await page.get_by_role("link", name="Log in").click()
    await page.get_by_label("Login ID (email)").fill("nobody-at-all@example.co.jp")
    await page.get_by_label("Password").fill("wrong-password-for-nobody")
    await page.get_by_role("button", name="Log in", exact=True).click()
    problem = page.locator(".problem")
    await expect(problem).to_be_visible()
    text = await problem.inner_text()
    assert text and not JAPANESE.search(text), text
    await screens.shot(page, "login-refused-en")

    # The user guide answers the guide's questions (issue 18), with the contact center's
    # hours and the days it is closed (R14).
    await page.get_by_role("link", name="User guide").click()
    await expect(page.get_by_text("What is my login ID?")).to_be_visible()
    await expect(page.get_by_text("I have not received the activation notice.")).to_be_visible()
    await expect(page.locator(".contact-center-hours")).to_contain_text("year-end break")

    # And back to Japanese.
    await page.get_by_role("button", name="日本語").click()
    await expect(page.get_by_text("ログインIDには何を使いますか？")).to_be_visible()
    await expect(page.locator(".contact-center-hours")).to_contain_text("年末年始は休業")


async def test_phone_width_has_no_horizontal_overflow(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any
) -> None:
    base = stack.base_url
    service = await stack.service_by_slug("fiber-internet")
    member = await stack.register_and_login(entity_type="corporation")
    phone = await new_page(width=375)
    pages = [
        ("/", "サービス一覧"),
        (f"/services/{service['id']}", "料金プラン"),
        ("/help", "ご利用ガイド"),
        ("/privacy", "プライバシーポリシー"),
        ("/register", "会員登録"),
    ]
    for path, heading in pages:
        await phone.goto(f"{base}{path}")
        await expect(phone.get_by_role("heading", name=heading).first).to_be_visible()
        await kit.no_horizontal_overflow(phone)
        await screens.shot(phone, "phone" + path.replace("/", "-").rstrip("-"))

    await kit.member_log_in(phone, base, member.email, e2e.MEMBER_PASSWORD)
    member_pages = [
        ("/me", "マイページ"),
        (f"/services/{service['id']}/order", "お申し込み"),
        ("/orders", "購入履歴"),
        ("/invoices", "請求書"),
        ("/billing/account", "お支払い方法"),
        ("/me/profile", "登録情報の変更"),
    ]
    for path, heading in member_pages:
        await phone.goto(f"{base}{path}")
        await expect(phone.get_by_role("heading", name=heading).first).to_be_visible()
        await kit.no_horizontal_overflow(phone)
        await screens.shot(phone, "phone" + path.replace("/", "-"))


async def test_password_reset_by_the_emailed_link_and_logout(
    stack: Any, new_page: Any, screens: Any, kit: Any
) -> None:
    base = stack.base_url
    member = await stack.register_and_login(entity_type="corporation")
    page = await new_page()
    await page.goto(f"{base}/login")
    await page.get_by_role("link", name="パスワードをお忘れの方").click()
    await page.get_by_label("メールアドレス").fill(member.email)
    await page.get_by_role("button", name="再設定メールを送る").click()
    await expect(page.get_by_role("status")).to_contain_text("再設定用のメールを送信しました")
    await screens.shot(page, "reset-requested")

    message = await stack.mail_to(
        member.email, lambda m: "/password-reset/confirm" in stack.text_of(m)
    )
    token = stack.link_query(message, "/password-reset/confirm")["token"]
    await page.goto(f"{base}/password-reset/confirm?token={token}")
    await page.get_by_label("新しいパスワード").fill(RESET_PASSWORD)
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_contain_text("パスワードを再設定しました")
    await screens.shot(page, "reset-done")

    await kit.member_log_in(page, base, member.email, RESET_PASSWORD)
    await page.get_by_role("button", name="ログアウト").click()
    await expect(page.get_by_role("heading", name="サービス一覧", exact=True)).to_be_visible()
    # The session is over: My Page asks for a login, also after a reload.
    await page.goto(f"{base}/me")
    await expect(page.get_by_role("link", name="ログインしてください。")).to_be_visible()


async def test_an_order_placed_with_the_keyboard_alone(
    stack: Any, new_page: Any, screens: Any, e2e: Any, kit: Any
) -> None:
    base = stack.base_url
    service = await stack.service_by_slug("data-backup")
    member = await stack.register_and_login(entity_type="corporation")
    page = await new_page()
    await kit.member_log_in(page, base, member.email, e2e.MEMBER_PASSWORD)
    await page.goto(f"{base}/services/{service['id']}/order")
    await expect(page.get_by_role("heading", name="お申し込み", exact=False)).to_be_visible()

    async def tab_to(locator: Any, limit: int = 80) -> None:
        """Press Tab until ``locator`` has the focus."""
        for _ in range(limit):
            if await locator.evaluate("element => element === document.activeElement"):
                return
            await page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {locator}")

    await tab_to(page.get_by_label("数量"))
    await page.keyboard.press("Control+A")
    await page.keyboard.type(str(service["order_unit"]))
    earliest = page.locator("button.day.earliest")
    date = str(await earliest.get_attribute("data-date"))
    await tab_to(earliest)
    await page.keyboard.press("Enter")
    await expect(page.get_by_text(f"選択した日：{date}")).to_be_visible()
    await tab_to(page.get_by_label("保管期間（日）"))
    await page.keyboard.press("ArrowDown")
    await screens.shot(page, "keyboard-order-form")
    await tab_to(page.get_by_role("button", name="確認へ進む"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="申込内容の確認")).to_be_visible()
    await tab_to(page.get_by_label("サービスの利用規約と上記のご契約条件に同意する"))
    await page.keyboard.press("Space")
    await tab_to(page.get_by_role("button", name="申し込む"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("お申し込みを受け付けました。")
    await screens.shot(page, "keyboard-order-placed")
