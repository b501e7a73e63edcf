"""The accounting export in the ops console (R38): the operator picks the issue month
and downloads its invoices as CSV — UTF-8 with a BOM, one row per invoice, the member's
organization, the same total as the invoice."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from bizmall_testkit.data import last_month_start

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_r38_the_operator_downloads_the_months_invoices_as_csv(
    stack: Any, new_page: Any, screens: Any, ops: Any
) -> None:
    member = await stack.register_and_login()
    order = await stack.place_order(member)
    start = last_month_start()
    await stack.activate(order["id"], start)
    await stack.run_billing(f"{start:%Y-%m}")
    status, page = await stack.call(
        "GET",
        f"/api/v1/ops/billing/invoices?member_id={member.id}",
        headers=await stack.ops_headers(),
    )
    assert status == 200, page
    (invoice,) = page["items"]
    assert invoice["member_organization_name"], invoice  # R30: named, not a bare id
    issue_month = invoice["issue_date"][:7]

    console = await new_page()
    await ops.log_in(console)
    await console.goto(f"{stack.base_url}/ops/billing")
    await expect(console.get_by_role("heading", name="会計用CSV（請求書一覧）")).to_be_visible()
    await console.get_by_label("発行月").fill(issue_month)
    await screens.shot(console, "accounting-export")
    async with console.expect_download() as started:
        await console.get_by_role("button", name="CSVをダウンロード").click()
    download = await started.value
    assert download.suggested_filename == f"invoices-{issue_month}.csv"
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)

    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header[:4] == ["請求書番号", "発行日", "会員ID", "請求先（組織名）"]
    (row,) = [r for r in rows if r[0] == invoice["invoice_number"]]
    assert row[2] == member.id
    assert row[3] == invoice["member_organization_name"]
    assert int(row[header.index("合計（税込）")]) == invoice["total"]
