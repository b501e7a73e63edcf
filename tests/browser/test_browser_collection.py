"""Account-transfer collection in the ops console (R35): two members pay by account
transfer; the operator builds the debit batch of their collection date, downloads the
Zengin request file, uploads the bank's result file (one debited, one short of funds)
and sees the failed debit — the member is emailed and the invoice is back on invoice
payment, while the debited one is paid. Building the batch again shows the same batch.

The members, their account-transfer applications, the orders and the billing run are
made over the API; everything the operator does happens in the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from billing.domain import zengin
from bizmall_testkit.client import Member
from bizmall_testkit.data import last_month_start
from bizmall_testkit.mail import body_of
from servicekit.testing.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TRANSFER = {
    "bank_code": "0005",
    "branch_code": "123",
    "account_type": "ordinary",
    "holder_name_kana": "ヤマダ タロウ",
}


async def transfer_member(stack: Any, account_number: str) -> Member:
    """A member whose account-transfer application ops completed."""
    member = await stack.register_and_login()
    body = {**TRANSFER, "account_number": account_number}

    async def applied() -> dict[str, Any] | None:
        # The billing account opens once identity's member.verified reaches billing.
        status, answer = await stack.call(
            "POST", "/api/v1/billing/account-transfer", json=body, headers=member.headers
        )
        return answer if status == 201 else None

    application = await eventually(applied, timeout=60)
    status, answer = await stack.call(
        "POST",
        f"/api/v1/ops/billing/account-transfers/{application['id']}/complete",
        headers=await stack.ops_headers(),
    )
    assert status == 200, answer
    return member


async def transfer_service(stack: Any) -> dict[str, Any]:
    from bizmall_testkit.data import simple_options

    return next(
        s
        for s in await stack.lineup()
        if simple_options(s["order_fields"]) is not None and s.get("allows_account_transfer", True)
    )


async def test_r35_a_debit_batch_is_built_downloaded_and_its_results_applied(
    stack: Any, new_page: Any, screens: Any, ops: Any, tmp_path: Path
) -> None:
    service = await transfer_service(stack)
    debited = await transfer_member(stack, "1357913")
    short = await transfer_member(stack, "2468024")
    start = last_month_start()
    for member in (debited, short):
        order = await stack.place_order(member, service)
        await stack.activate(order["id"], start)
    await stack.run_billing(f"{start:%Y-%m}")
    invoices = {}
    for member in (debited, short):
        status, answer = await stack.call("GET", "/api/v1/invoices", headers=member.headers)
        assert status == 200, answer
        [invoice] = answer["items"]
        assert invoice["payment_method"] == "account_transfer", invoice
        invoices[member.email] = invoice
    collection_date = invoices[debited.email]["due_date"]
    assert invoices[short.email]["due_date"] == collection_date

    console = await new_page()
    await ops.log_in(console)
    await console.get_by_role("link", name="口座振替の引落し", exact=True).click()
    await expect(console.get_by_role("heading", name="口座振替データの作成")).to_be_visible()
    await console.get_by_label("振替日").fill(collection_date)
    await console.get_by_role("button", name="作成する").click()
    await expect(console.get_by_role("status")).to_contain_text("振替データを")
    await screens.shot(console, "batch-built")
    # Building the same date again answers the batch already built.
    await console.get_by_role("button", name="作成する").click()
    await expect(console.get_by_role("status")).to_contain_text("作成済みです")
    batch_row = console.locator("table.batches tr", has_text=collection_date).first
    await expect(batch_row).to_contain_text("結果待ち")
    await batch_row.get_by_role("link").click()

    heading = console.get_by_role("heading", name=f"振替日 {collection_date} の振替データ")
    await expect(heading).to_be_visible()
    for invoice in invoices.values():
        row = console.locator(f"table.debits tr[data-invoice='{invoice['invoice_number']}']")
        await expect(row).to_have_attribute("data-status", "pending")
    await screens.shot(console, "batch-page")

    async with console.expect_download() as downloading:
        await console.get_by_role(
            "button", name="依頼ファイルをダウンロード（全銀フォーマット）"
        ).click()
    download = await downloading.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    content = saved.read_bytes()
    assert download.suggested_filename == f"zengin-91-{collection_date.replace('-', '')}.txt"
    records = content.split(b"\r\n")[:-1]
    assert all(len(r) == 120 for r in records)
    request = zengin.decode(content, year=int(collection_date[:4]))
    numbers = {r.customer_number: r for r in request.records}
    assert numbers[invoices[short.email]["invoice_number"]].account_number == "2468024"
    assert numbers[invoices[short.email]["invoice_number"]].payer_name == "ﾔﾏﾀﾞ ﾀﾛｳ"

    # The bank's answer: the second member's account was short of funds (code 1).
    codes = [
        "1" if r.customer_number == invoices[short.email]["invoice_number"] else "0"
        for r in request.records
    ]
    result = zengin.encode(zengin.result_file(request, codes))
    await console.locator("input#result-file").set_input_files(
        files=[{"name": "result.txt", "mimeType": "application/octet-stream", "buffer": result}]
    )
    await console.get_by_role("button", name="反映する").click()
    await expect(console.get_by_role("status")).to_contain_text("振替不能 1")
    failed_row = console.locator(
        f"table.debits tr[data-invoice='{invoices[short.email]['invoice_number']}']"
    )
    await expect(failed_row).to_have_attribute("data-status", "failed")
    await expect(failed_row).to_contain_text("資金不足")
    paid_row = console.locator(
        f"table.debits tr[data-invoice='{invoices[debited.email]['invoice_number']}']"
    )
    await expect(paid_row).to_have_attribute("data-status", "collected")
    await screens.shot(console, "results-applied")

    # Only the failed ones, and the same file again changes nothing.
    await console.locator("select#debit-filter").select_option("failed")
    await expect(console.locator("table.debits tbody tr")).to_have_count(codes.count("1"))
    await console.get_by_role("button", name="反映する").click()
    await expect(console.get_by_role("status")).to_contain_text(f"反映済み {len(request.records)}")
    await screens.shot(console, "failed-only")

    await console.get_by_role("link", name="振替データ一覧").click()
    failed_list = console.locator("table.failed-debits")
    await expect(failed_list).to_contain_text(invoices[short.email]["invoice_number"])
    await expect(failed_list).to_contain_text("資金不足")
    await screens.shot(console, "failed-debits")

    status, paid = await stack.call(
        "GET", f"/api/v1/invoices/{invoices[debited.email]['id']}", headers=debited.headers
    )
    assert (paid["status"], paid["paid_amount"]) == ("paid", paid["total"])
    status, fallen = await stack.call(
        "GET", f"/api/v1/invoices/{invoices[short.email]['id']}", headers=short.headers
    )
    assert (fallen["status"], fallen["transfer_failed"]) == ("issued", True)
    # The new due date comes after the debit date, whenever the result arrives.
    assert fallen["fallback_due_date"] > collection_date
    mail = await stack.mail_to(
        short.email, lambda m: m["X-Bizmall-Template"] == "invoice_debit_failed"
    )
    assert "資金不足" in body_of(mail)
    assert invoices[short.email]["invoice_number"] in mail["Subject"]
