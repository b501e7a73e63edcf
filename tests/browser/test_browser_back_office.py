"""The back office in a real browser (issue 16, R30–R34): an operator finds a customer
by the kana of the person's name, opens the customer page composed from every
service's ops API, reads the member's order with the order fields as entered (R31),
ends a contract of a service not cancellable on the site after a fee quote, with a
reason (R32), confirms another member's withdrawal at the desk (R33), and reads the
member's merged, time-ordered audit trail across the five services and the
operator's own (R34); every ops list names the member and links the customer page.

Members and their orders are made over the API; everything the operator does
happens in the browser."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import expect

from bizmall_testkit.client import Member
from bizmall_testkit.data import last_month_start, today_in_japan

pytestmark = [pytest.mark.integration, pytest.mark.browser]

#: Katakana for a reading no other test's member has.
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモ"


async def member_with_kana(stack: Any, kana: str) -> Member:
    """A corporation member registered with ``kana`` as the reading of the person's
    name, verified and logged in."""
    headers = stack.caller()
    address = f"backoffice-{uuid.uuid4().hex[:12]}@example.co.jp"
    body = {
        "email": address,
        "password": stack.member_password,
        "name": "裏方 花子",
        "name_kana": kana,
        "entity_type": "corporation",
        "corporate_number": stack.corporate_number(),
        "organization_name": "バックオフィス検証株式会社",
        "postal_code": "100-0001",
        "address": "東京都千代田区千代田1-1",
        "phone": "03-1234-5678",
        "accept_privacy_policy": True,
    }
    async with stack.http.post("/api/v1/auth/register", json=body, headers=headers) as response:
        assert response.status == 202, await response.text()
    token = await stack.verification_token(address)
    await stack.verify(token, headers)
    session = await stack.login(address, headers=headers)
    ip = headers.get("X-Forwarded-For", "")
    member = Member(address, "corporation", session["access_token"], ip=ip)
    async with stack.http.get("/api/v1/me", headers=member.headers) as response:
        assert response.status == 200, await response.text()
        member.id = (await response.json())["id"]
    return member


async def awaiting_confirmation(stack: Any, member: Member) -> dict[str, Any]:
    """``member``'s withdrawal request, asked for and waiting for ops (ordering checked it)."""
    async with stack.http.post("/api/v1/me/withdrawal", headers=member.headers) as response:
        assert response.status == 202, await response.text()
    for _ in range(60):
        async with stack.http.get("/api/v1/me/withdrawal", headers=member.headers) as response:
            request: dict[str, Any] = await response.json()
            assert response.status == 200, request
        if request["stage"] == "awaiting_confirmation":
            return request
        await asyncio.sleep(1)
    raise AssertionError(f"the withdrawal request stays {request}")


async def audit_times(page: Any) -> list[str]:
    """The times of the merged trail's rows, top to bottom."""
    return [
        str(at)
        for at in await page.locator("table.audit tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.at)"
        )
    ]


async def test_issue16_r30_r34_operator_finds_reads_ends_confirms_and_audits(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    # The member: an IoT SIM (not cancellable on the site; a fixed 5,000 yen fee within
    # its minimum term of six months) ordered with its order fields, active since last month.
    reading = "ウラカタ" + "".join(random.choices(KATAKANA, k=6))
    member = await member_with_kana(stack, reading)
    iot = await stack.service_by_slug("iot-sim")
    assert not iot["cancellable_on_site"]
    delivery = (today_in_japan() + timedelta(days=14)).isoformat()
    order = await stack.place_order(
        member, iot, {"apn_name": "sensors.backoffice.example", "delivery_date": delivery}
    )
    contract = await stack.activate(order["id"], last_month_start())
    # Another member, with nothing open, asks to withdraw.
    leaving = await stack.register_and_login(entity_type="corporation")
    request = await awaiting_confirmation(stack, leaving)

    console = await new_page()
    await ops.log_in(console)

    # R30: the directory finds the member by part of the kana, with the keyboard alone.
    await console.get_by_role("link", name="顧客検索").click()
    search = console.get_by_label("検索語")
    await expect(search).to_be_focused()
    await search.fill(reading[4:])
    await search.press("Enter")
    found = console.locator(f"table.customers tr[data-member-id='{member.id}']")
    await expect(found).to_contain_text("バックオフィス検証株式会社")
    await expect(found).to_contain_text(reading)
    await screens.shot(console, "directory")
    await found.get_by_role("link").focus()
    await console.keyboard.press("Enter")

    # The customer page: profile, status, policy acceptance, withdrawal state, and the
    # member's order and contract from ordering.
    heading = console.get_by_role("heading", name="バックオフィス検証株式会社 / 裏方 花子")
    await expect(heading).to_be_visible()
    profile = console.locator("dl.profile")
    await expect(profile).to_contain_text(reading)
    await expect(profile).to_contain_text(member.email)
    await expect(console.locator(".member-status")).to_have_text("有効")
    await expect(console.locator(".withdrawal-state")).to_have_text("退会の申請はありません。")
    order_row = console.locator(f"table.customer-orders tr[data-order-id='{order['id']}']")
    await expect(order_row).to_contain_text("IoT SIM")
    await expect(order_row).to_contain_text("利用中")
    contract_row = console.locator(
        f"table.customer-contracts tr[data-contract-id='{contract['id']}']"
    )
    await expect(contract_row).to_contain_text("利用中")
    for part in ("invoices", "transfers", "inquiries"):
        section = console.locator(f"section[aria-labelledby='customer-{part}']")
        await expect(section).not_to_contain_text("読み込み中")
    await expect(console.locator(".problem")).to_have_count(0)
    await screens.shot(console, "customer-page")
    customer_url = console.url

    # R31: the order as entered, labelled as the order form showed it.
    await order_row.get_by_role("link").click()
    fields = console.locator("dl.entered-fields")
    await expect(fields).to_contain_text("APN名")
    await expect(fields).to_contain_text("sensors.backoffice.example")
    await expect(fields).to_contain_text("配送希望日")
    await expect(fields).to_contain_text(delivery)
    await expect(console.locator(".order-status")).to_have_text("利用中")
    await expect(console.locator("ol.history li")).to_have_count(4)
    await expect(console.locator(".member-note")).to_contain_text("バックオフィス検証株式会社")
    await screens.shot(console, "ops-order")

    # R32: the contract ended by ops: the fee quoted first, then confirmed with a reason.
    await console.goto(customer_url)
    await contract_row.get_by_role("link").click()
    await expect(console.locator(".contract-status")).to_have_text("利用中")
    await console.get_by_role("button", name="解約金を確認する").click()
    await expect(console.locator(".quote-fee")).to_have_text("5,000円")
    end_date = await console.locator(".quote-end-date").inner_text()
    await expect(console.get_by_role("note")).to_contain_text("サイトからは解約できない")
    async with stack.http.get(f"/api/v1/contracts/{contract['id']}", headers=member.headers) as r:
        assert (await r.json())["status"] == "active"  # the quote booked nothing
    await screens.shot(console, "contract-quote")
    await console.get_by_label("理由（記録に残ります）").fill("電話で解約の申し出（検証）")
    await console.get_by_role("button", name="この内容で契約を終了する").click()
    await expect(console.get_by_role("status")).to_have_text("契約の終了を登録しました。")
    await expect(console.locator(".contract-end-date")).to_have_text(end_date)
    await expect(console.locator(".contract-fee")).to_have_text("5,000円")
    await expect(console.locator("dl.contract")).to_contain_text("電話で解約の申し出（検証）")
    await screens.shot(console, "contract-ended")

    # R33: the withdrawal desk names the member, shows no blockers, and confirms.
    await console.get_by_role("link", name="退会受付").click()
    desk_row = console.locator(f"tr[data-withdrawal-id='{request['id']}']")
    await expect(desk_row.locator(".member-note")).to_contain_text("テスト株式会社")
    await expect(desk_row.locator(".blockers")).to_have_text("なし")
    await screens.shot(console, "withdrawal-desk")
    await desk_row.get_by_role("button", name="退会を確定する").click()
    await expect(desk_row).to_have_count(0)  # no longer pending
    await console.get_by_label("状態で絞り込み").select_option("withdrawn")
    await expect(desk_row.locator(".withdrawal-status")).to_contain_text("退会済み")
    await desk_row.locator(".member-note a").click()
    await expect(console.locator(".member-status")).to_have_text("退会済み")
    await expect(console.locator(".withdrawal-status")).to_have_text("退会済み")

    # R34: the member's trail, merged across the services and newest first, with the
    # ops end of the contract (ordering); each service's part downloads as CSV.
    await console.goto(customer_url)
    trail = console.locator("table.audit")
    ended = trail.locator("tr[data-service='ordering'][data-action*='cancel']")
    await expect(ended).to_contain_text("電話で解約の申し出（検証）")
    await expect(console.locator(".audit-failure")).to_have_count(0)
    times = await audit_times(console)
    assert times == sorted(times, reverse=True), times
    await screens.shot(console, "customer-audit-trail")
    async with console.expect_download() as started:
        await console.get_by_role("button", name="CSV（申込・契約）").click()
    download = await started.value
    content = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
    assert contract["id"] in content, content[:500]

    # The operator's own trail (the signed-in operator by default) across the services:
    # the withdrawal confirmed (identity) and the contract ended (ordering). A service
    # that does not answer is named in a note; the others' rows stay.
    await console.route(
        "**/api/v1/ops/catalog/audit-log*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"status": 503, "code": "service.unavailable", "detail": "down for the test"}',
        ),
    )
    await console.get_by_role("link", name="監査ログ").click()
    own = console.locator("table.audit")
    confirmed = own.locator("tr[data-service='identity']", has_text=request["id"])
    await expect(confirmed).to_contain_text("withdraw")
    cancelled = own.locator("tr[data-service='ordering']", has_text=contract["id"])
    await expect(cancelled).to_contain_text("cancel")
    await expect(console.locator(".audit-failure[data-service='catalog']")).to_contain_text(
        "down for the test"
    )
    times = await audit_times(console)
    assert times == sorted(times, reverse=True), times
    await screens.shot(console, "operator-audit-trail")
    await console.unroute("**/api/v1/ops/catalog/audit-log*")

    # The member's own security actions are in the trail too (R34): the login (identity).
    await console.goto(customer_url)
    await expect(trail.locator("tr[data-service='identity']").first).to_be_visible()


async def test_r30_document_and_inquiry_desks_name_the_member_and_link_the_customer_page(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    # A sole proprietor (the registration's organization is the shop's name) sends an
    # identity document and asks a question; both desks name the shop and the person.
    proprietor = await stack.register_and_login(entity_type="sole_proprietor")
    form = aiohttp.FormData()
    form.add_field("document_type", "passport")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    form.add_field("file", png, filename="passport.png", content_type="image/png")
    async with stack.http.post(
        "/api/v1/me/identity-documents", data=form, headers=proprietor.headers
    ) as response:
        document = await response.json()
        assert response.status == 201, document
    question = {"category": "general", "subject": "名寄せ確認", "body": "書類を送りました。"}
    async with stack.http.post(
        "/api/v1/inquiries", json=question, headers=proprietor.headers
    ) as response:
        inquiry = await response.json()
        assert response.status == 201, inquiry
    names = "山田商店 / 山田 太郎"

    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="書類審査").click()
    document_row = console.locator(f"tr[data-document-id='{document['id']}']")
    await expect(document_row.locator(".member-note")).to_contain_text(names)
    await screens.shot(console, "documents-desk-names")

    await console.get_by_role("link", name="お問い合わせ対応").click()
    inquiry_row = console.locator(f"tr[data-inquiry-id='{inquiry['id']}']")
    # Notification names the member once identity's verification event reached its copy.
    await expect(inquiry_row.locator(".member-note")).to_contain_text(names)
    await screens.shot(console, "inquiries-desk-names")
    await inquiry_row.locator(".member-note a").click()
    await expect(console.get_by_role("heading", name=names)).to_be_visible()
    await expect(console.locator("dl.profile")).to_contain_text(proprietor.email)
