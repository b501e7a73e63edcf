"""The ops console in a real browser: catalog editing and publishing (a draft service
appears in the public lineup once published), notices and maintenance windows shown
on the top page (maintenance first), and every service's dead-letter queue view.
The console is for the ops role only (R29)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.browser]

#: Set to refresh the README's screenshots (docs/screenshots/): the top page is taken
#: here, with a maintenance window and a notice on it.
README_SCREENSHOTS = os.environ.get("BIZMALL_README_SCREENSHOTS") == "1"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def test_catalog_draft_edited_published_and_shown_in_the_lineup(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    base = stack.base_url
    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="カタログ").click()
    await expect(console.locator("tr[data-slug='data-backup']")).to_contain_text("公開中")
    await screens.shot(console, "catalog")

    slug = f"browser-{uuid.uuid4().hex[:8]}"
    await console.get_by_role("link", name="サービスを追加").click()
    await console.get_by_label("スラッグ").fill(slug)
    await console.get_by_label("種別").fill("security")
    await console.get_by_label("サービス名 (日本語)").fill("ブラウザ検証サービス")
    await console.get_by_label("サービス名 (English)").fill("Browser check service")
    await console.get_by_label("説明 (日本語)").fill("ブラウザテストで作ったサービスです。")
    await console.get_by_label("説明 (English)").fill("Made by the browser test.")
    await console.get_by_label("プラン名 (日本語)").fill("標準")
    await console.get_by_label("プラン名 (English)").fill("Standard")
    await console.get_by_label("月額（円・税抜）").fill("3000")
    await console.get_by_label("初期費用（円・税抜）").fill("1000")
    # Invalid terms are refused in the API's words (a maximum below the order unit).
    await console.get_by_label("申込単位").fill("10")
    await console.get_by_label("1回の申込上限").fill("5")
    await console.get_by_role("button", name="下書きを作成").click()
    await expect(console.locator(".problem")).to_be_visible()
    await console.get_by_label("1回の申込上限").fill("50")
    await screens.shot(console, "catalog-new")
    await console.get_by_role("button", name="下書きを作成").click()
    await expect(console.get_by_role("status")).to_have_text("下書きを作成しました。")
    await expect(console.locator(".service-title")).to_contain_text("下書き")
    service_id = console.url.split("/ops/catalog/")[1].split("?")[0]

    # A draft is not on sale.
    async with stack.http.get(f"/api/v1/services/{service_id}") as response:
        assert response.status == 404

    # Editing the terms makes a new version.
    await console.get_by_label("説明 (日本語)").fill("ブラウザテストで編集したサービスです。")
    await console.get_by_role("button", name="保存（新しい版）").click()
    await expect(console.get_by_role("status")).to_have_text("新しい版を保存しました。")
    await expect(console.locator(".service-title")).to_contain_text("版 2")
    await screens.shot(console, "catalog-edited")

    await console.get_by_role("link", name="カタログ", exact=True).first.click()
    row = console.locator(f"tr[data-slug='{slug}']")
    await expect(row.locator(".service-status")).to_have_text("下書き")
    await row.get_by_role("button", name="公開する").click()
    await expect(row.locator(".service-status")).to_have_text("公開中")

    page = await new_page()
    await page.goto(base)
    await expect(page.get_by_role("link", name="ブラウザ検証サービス")).to_be_visible()
    await page.get_by_role("link", name="ブラウザ検証サービス").click()
    await expect(page.get_by_text("ブラウザテストで編集したサービスです。")).to_be_visible()
    await expect(page.locator("table")).to_contain_text("3,000円")
    await screens.shot(page, "published-service")

    # Retired: off the lineup again (the other tests' lineup stays the demo one).
    await row.get_by_role("button", name="販売終了にする").click()
    await expect(row.locator(".service-status")).to_have_text("販売終了")
    # (A new browser: the lineup is cacheable for 30 s, so this one may keep it.)
    fresh = await new_page()
    await fresh.goto(base)
    await expect(fresh.get_by_role("link", name="データバックアップ")).to_be_visible()
    await expect(fresh.get_by_role("link", name="ブラウザ検証サービス")).to_have_count(0)


def local(moment: datetime) -> str:
    """``moment`` as a datetime-local value in Japan time."""
    return (moment.astimezone(UTC) + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M")


async def test_notices_and_maintenance_windows_on_the_top_page(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    base = stack.base_url
    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="お知らせ・メンテナンス").click()

    info_title = "新サービス追加のお知らせ"
    await console.get_by_label("区分").select_option("information")
    await console.get_by_label("タイトル (日本語)").fill(info_title)
    await console.get_by_label("タイトル (English)").fill("New services added")
    await console.get_by_label("内容 (日本語)").fill("新しいサービスを追加しました。")
    await console.get_by_label("内容 (English)").fill("We added new services.")
    await console.get_by_role("button", name="登録する").click()
    await expect(console.get_by_role("status")).to_have_text("お知らせを登録しました。")

    # A maintenance window well in the future: announced now, holding nothing yet.
    start = datetime.now(UTC) + timedelta(days=3)
    maintenance_title = "定期メンテナンスのお知らせ"
    await console.get_by_label("区分").select_option("maintenance")
    await console.get_by_label("タイトル (日本語)").fill(maintenance_title)
    await console.get_by_label("タイトル (English)").fill("Scheduled maintenance")
    await console.get_by_label("内容 (日本語)").fill("請求機能を停止します。")
    await console.get_by_label("内容 (English)").fill("Billing is unavailable.")
    await console.get_by_label("メンテナンス開始").fill(local(start))
    await console.get_by_label("メンテナンス終了").fill(local(start + timedelta(hours=2)))
    # Without a function it is refused in the API's words.
    await console.get_by_role("button", name="登録する").click()
    await expect(console.locator(".problem")).to_contain_text("対象機能")
    await console.get_by_label("請求", exact=True).check()
    await console.get_by_role("button", name="登録する").click()
    await expect(console.get_by_role("status")).to_have_text("お知らせを登録しました。")
    await expect(console.locator("table.ops-notices")).to_contain_text(maintenance_title)
    await screens.shot(console, "ops-notices")

    page = await new_page()
    await page.goto(base)
    await expect(page.get_by_text(info_title)).to_be_visible()
    notices = page.locator("ul.notices > li")
    titles = [await title.inner_text() for title in await notices.locator("h3").all()]
    assert maintenance_title in titles and info_title in titles, titles
    assert titles.index(maintenance_title) < titles.index(info_title), titles
    assert "maintenance" in str(await notices.first.get_attribute("class"))
    await screens.shot(page, "top-with-notices")
    if README_SCREENSHOTS:
        await page.screenshot(path=str(DOCS_SCREENSHOTS / "top.png"))

    # Withdrawn: gone from the top page.
    for title in (maintenance_title, info_title):
        row = console.locator("table.ops-notices tr", has_text=title)
        await row.get_by_role("button", name="取り下げる").click()
        await expect(row.locator(".notice-state")).to_have_text("取り下げ済み")
    fresh = await new_page()
    await fresh.goto(base)
    await expect(fresh.get_by_role("heading", name="サービス一覧")).to_be_visible()
    await expect(fresh.locator("#notices-heading + *")).to_be_visible()
    await expect(fresh.get_by_text(maintenance_title)).to_have_count(0)
    await expect(fresh.get_by_text(info_title)).to_have_count(0)


async def test_dead_letter_queues_of_every_service_and_ops_only(
    stack: Any, new_page: Any, screens: Any, e2e: Any, ops: Any, kit: Any
) -> None:
    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="デッドレター").click()
    for service in ("identity", "catalog", "ordering", "billing", "notification"):
        await console.get_by_label("サービス").select_option(service)
        # Each service's queue answers (a list, or its empty state), never an error.
        await expect(console.locator("table.dead-letters, p.no-letters")).to_be_visible()
        await expect(console.locator(".problem")).to_have_count(0)
    await screens.shot(console, "dead-letters")

    # A member sees no console: the menu has none and the page refuses.
    member = await stack.register_and_login(entity_type="corporation")
    page = await new_page()
    await kit.member_log_in(page, stack.base_url, member.email, e2e.MEMBER_PASSWORD)
    await expect(page.get_by_role("link", name="運用コンソール")).to_have_count(0)
    await page.goto(f"{stack.base_url}/ops/dead-letters")
    await expect(page.get_by_role("alert")).to_have_text("運用担当者のみ利用できます。")
