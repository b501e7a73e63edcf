"""Deposit reconciliation in the ops console (R36): ops upload a bank statement (a
Shift_JIS CSV, as banks give it); one line pays part of an invoice by its number in
the reference, the other — a payer billing cannot tell — waits unmatched until ops
match it by hand to the invoice, which is then paid. The import is listed with its
outcome and its lines can be read again.

The member, the order and the billing run are made over the API; everything the
operator does happens in the browser."""

from __future__ import annotations

import random
from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]

_KANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓ"


async def test_r36_a_statement_is_imported_and_its_unmatched_line_matched_by_hand(
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
    # A payer no member is (billing cannot match it by amount and kana).
    stranger = "ｿﾉﾀ " + "".join(random.choices(_KANA, k=8))
    content = (
        "value_date,amount,payer_kana,reference\r\n"
        f"{start:%Y-%m}-25,1000,ｹﾝｼﾖｳ ｶｲｼﾔ,ｾｲｷﾕｳ {invoice['invoice_number']}\r\n"
        f"{start:%Y-%m}-26,{total - 1000},{stranger},\r\n"
    ).encode("shift_jis")

    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="入金消込").click()
    await expect(console.get_by_role("heading", name="入金明細（CSV）の取込み")).to_be_visible()
    await console.get_by_label("入金明細ファイル").set_input_files(
        files=[{"name": "statement-sjis.csv", "mimeType": "text/csv", "buffer": content}]
    )
    await screens.shot(console, "file-chosen")
    await console.get_by_role("button", name="取り込む").click()

    await expect(console.get_by_role("status")).to_contain_text("2行を取り込みました。")
    by_reference = console.locator("table.statement-lines tr[data-line='2']")
    waiting = console.locator("table.statement-lines tr[data-line='3']")
    await expect(by_reference).to_have_attribute("data-status", "matched")
    await expect(by_reference).to_contain_text("請求書番号で照合")
    await expect(by_reference).to_contain_text("一部入金（残額あり）")
    await expect(by_reference).to_contain_text(invoice["invoice_number"])
    await expect(waiting).to_have_attribute("data-status", "unmatched")
    await expect(waiting).to_contain_text(stranger)
    await screens.shot(console, "imported")

    # The operator matches the waiting line to the invoice (its balance is what it pays).
    choice = waiting.get_by_label("消込する請求書")
    await expect(choice.locator(f"option[value='{invoice['id']}']")).to_have_count(1)
    await choice.select_option(invoice["id"])
    await waiting.get_by_role("button", name="消込する").click()
    await expect(waiting).to_have_attribute("data-status", "matched")
    await expect(waiting).to_contain_text("手動で消込")
    await expect(waiting).to_contain_text(invoice["invoice_number"])
    await expect(console.locator(".statement-summary")).to_contain_text("消込 2")
    await screens.shot(console, "matched-by-hand")

    ops_headers = await stack.ops_headers()
    async with stack.http.get(
        f"/api/v1/ops/billing/invoices/{invoice['id']}", headers=ops_headers
    ) as response:
        paid = await response.json()
    assert (paid["status"], paid["paid_amount"]) == ("paid", total)

    # The import is in the history with its outcome; its lines read the same again.
    history = console.locator("table.statements tr", has_text="statement-sjis.csv").first
    await expect(history).to_contain_text("消込 2")
    await history.get_by_role("link").click()
    await expect(console.locator("table.statement-lines tr[data-line='3']")).to_contain_text(
        "手動で消込"
    )
    await screens.shot(console, "statement-page")
