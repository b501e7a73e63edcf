"""The accounting export (R38) and the names of the ops lists (R30) on the fake unit of
work: one CSV row per invoice issued in the month, figures as stored, members named."""

from __future__ import annotations

import csv
import io
from datetime import date

from billing.domain.accounting_export import COLUMNS
from billing.domain.billing_month import UsageMonth
from billing.service_layer import exports, invoices

from .conftest import Desk

NAMES = [name for name, _ in COLUMNS]


async def export(desk: Desk, month: str) -> bytes:
    chunks = [
        chunk
        async for chunk in exports.accounting_csv(
            uow_factory=desk.uow.factory(), month=UsageMonth.parse(month)
        )
    ]
    return b"".join(chunks)


async def test_r38_one_row_per_invoice_issued_in_the_month_with_its_own_figures(
    desk: Desk,
) -> None:
    first = await desk.member(organization_name="アルファ株式会社", name="佐藤 花子")
    second = await desk.member(organization_name="ベータ株式会社", name="鈴木 一郎")
    await desk.contract(first, start=date(2026, 3, 1), monthly_fee=3_333)
    await desk.contract(second, start=date(2026, 3, 10), monthly_fee=10_000, initial_fee=0)
    await desk.run("2026-03", on=date(2026, 4, 15))
    await desk.run("2026-04", on=date(2026, 5, 15))
    april = [i for i in desk.uow.invoices if i.issue_date.month == 4]
    assert len(april) == 2

    content = await export(desk, "2026-04")

    assert content.startswith("\ufeff".encode())
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header == [label for _, label in COLUMNS]
    cells = [dict(zip(NAMES, row, strict=True)) for row in rows]
    assert [c["invoice_number"] for c in cells] == sorted(i.invoice_number for i in april)
    for invoice in april:
        (row,) = [c for c in cells if c["invoice_number"] == invoice.invoice_number]
        assert int(row["taxable_10"]) == invoice.taxable_subtotal
        assert int(row["tax_10"]) == invoice.tax
        assert int(row["non_taxable"]) == invoice.non_taxable_subtotal
        assert int(row["total"]) == invoice.total
        assert row["issue_date"] == "2026-04-15"
        assert row["status"] == invoice.status
    assert sum(int(c["total"]) for c in cells) == sum(i.total for i in april)
    assert {c["organization_name"] for c in cells} == {"アルファ株式会社", "ベータ株式会社"}


async def test_r30_lists_name_members_and_narrow_to_an_issue_month(desk: Desk) -> None:
    member = await desk.member(organization_name="名前付き株式会社", name="高橋 次郎")
    await desk.contract(member, start=date(2026, 3, 1))
    await desk.run("2026-03", on=date(2026, 4, 15))
    await desk.run("2026-04", on=date(2026, 5, 15))
    async with desk.uow:
        may = await invoices.list_invoices(
            uow=desk.uow, limit=10, cursor=None, issued_in=UsageMonth.parse("2026-05")
        )
        names = await exports.member_names(uow=desk.uow, member_ids=[member])
        nobody = await exports.member_names(uow=desk.uow, member_ids=[])
    assert [i.issue_date for i in may.items] == [date(2026, 5, 15)]
    assert names[member].organization_name == "名前付き株式会社"
    assert names[member].name == "高橋 次郎"
    assert nobody == {}
