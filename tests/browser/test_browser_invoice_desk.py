"""The invoice desk in the ops console: ops open a member's invoice from the customer
page, record a partial payment by hand (R24: payments add up, the balance is shown),
then void the invoice and issue its correction with one line changed. The void one
keeps its number and shows its reason; the correction references it and nets what was
already paid (R37).

The member, the order and the billing run are made over the API; everything the
operator does happens in the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def _yen(amount: int) -> str:
    return f"{amount:,}円"


async def test_r24_r37_ops_record_a_partial_payment_then_void_and_correct(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    member = await stack.register_and_login()
    order = await stack.place_order(member)
    start = last_month_start()
    await stack.activate(order["id"], start)
    await stack.run_billing(f"{start:%Y-%m}")
    async with stack.http.get("/api/v1/invoices", headers=member.headers) as response:
        assert response.status == 200, await response.text()
        [invoice] = (await response.json())["items"]
    total = invoice["total"]
    assert total > 1000, invoice
    number = invoice["invoice_number"]

    console = await new_page()
    await ops.log_in(console)
    await console.goto(f"{stack.base_url}/ops/customers/{member.id}")
    row = console.locator(f"table.customer-invoices tr[data-invoice-id='{invoice['id']}']")
    await row.get_by_role("link", name=number).click()
    await expect(console.get_by_role("heading", name=f"請求書 {number}")).to_be_visible()
    await expect(console.locator("#invoice-status")).to_have_attribute("data-status", "issued")
    await expect(console.locator("#invoice-total")).to_have_text(_yen(total))
    await expect(console.locator("#invoice-balance")).to_have_text(_yen(total))
    await expect(console.locator(".member-note a")).to_have_attribute(
        "href", f"/ops/customers/{member.id}"
    )
    lines = console.locator("table.invoice-lines tbody tr")
    line_count = await lines.count()
    assert line_count >= 1
    # The payment amount defaults to the balance.
    amount = console.get_by_label("入金額（円）")
    await expect(amount).to_have_value(str(total))
    await screens.shot(console, "invoice-opened")

    # A partial payment: the balance is what is left (R24).
    await amount.fill("1000")
    await console.get_by_role("button", name="入金を記録", exact=True).click()
    await expect(console.get_by_role("status")).to_contain_text(
        f"入金を記録しました。残高 {_yen(total - 1000)}"
    )
    await expect(console.locator("#invoice-paid")).to_have_text(_yen(1000))
    await expect(console.locator("#invoice-balance")).to_have_text(_yen(total - 1000))
    await expect(console.locator("#invoice-payments")).to_contain_text(_yen(1000))
    await expect(console.locator("#invoice-status")).to_have_attribute("data-status", "issued")
    await screens.shot(console, "partial-payment")

    # Void and correct, changing the first line's unit price; a review step first.
    await console.get_by_label("訂正の理由").fill("単価の誤り")
    first = console.locator("fieldset.correct-line[data-line='1']")
    await expect(console.locator("fieldset.correct-line")).to_have_count(line_count)
    old_price = int(await first.get_by_label("単価").input_value())
    await first.get_by_label("単価").fill(str(old_price + 1000))
    await first.get_by_label("品目（日本語）").fill("月額料金（訂正）")
    await console.get_by_role("button", name="内容を確認する").click()
    await expect(console.get_by_role("alert")).to_contain_text(f"請求書 {number} を無効にし")
    await expect(console.get_by_role("alert")).to_contain_text(_yen(1000))
    await screens.shot(console, "correction-review")
    await console.get_by_role("button", name="無効にして訂正請求書を発行").click()

    # The correction's page: a new number, referencing the void one, 1000 yen netted (R37).
    await expect(console.get_by_role("heading", name=f"請求書 {number}")).to_have_count(0)
    await expect(console.get_by_role("link", name="訂正元の請求書")).to_be_visible()
    corrected_id = console.url.split("/ops/billing/invoices/")[1].split("?")[0]
    assert corrected_id != invoice["id"]
    ops_headers = await stack.ops_headers()
    async with stack.http.get(
        f"/api/v1/ops/billing/invoices/{corrected_id}", headers=ops_headers
    ) as response:
        assert response.status == 200, await response.text()
        corrected = await response.json()
    assert corrected["corrects_invoice_id"] == invoice["id"]
    assert corrected["invoice_number"] != number
    assert corrected["paid_amount"] == 1000
    assert corrected["total"] > total  # the first line costs 1,000 yen more (before tax)
    assert corrected["lines"][0]["name"]["ja"] == "月額料金（訂正）"
    assert corrected["lines"][0]["unit_price"] == old_price + 1000
    await expect(console.locator("#invoice-number")).to_have_text(corrected["invoice_number"])
    await expect(console.locator("#invoice-paid")).to_have_text(_yen(1000))
    await expect(console.locator("#invoice-balance")).to_have_text(_yen(corrected["total"] - 1000))
    await expect(console.locator("table.invoice-lines")).to_contain_text("月額料金（訂正）")
    await screens.shot(console, "correction")

    # The void one keeps its number and shows why; it takes no payment nor correction.
    await console.get_by_role("link", name="訂正元の請求書").click()
    await expect(console.get_by_role("heading", name=f"請求書 {number}")).to_be_visible()
    await expect(console.locator("#invoice-status")).to_have_attribute("data-status", "void")
    await expect(console.locator("#invoice-status")).to_have_text("無効")
    await expect(console.locator("#invoice-void-reason")).to_have_text("単価の誤り")
    await expect(console.get_by_role("button", name="入金を記録", exact=True)).to_have_count(0)
    await expect(console.get_by_role("button", name="内容を確認する")).to_have_count(0)
    await screens.shot(console, "void-original")
