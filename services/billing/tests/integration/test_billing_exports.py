"""The accounting export (R38), the invoice PDF it agrees with (R24, R25: paginated with
carried totals, the payee whole, its font embedded) and the ops lists naming their
members (R30), on the billing app against a real database."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from billing.domain.accounting_export import COLUMNS
from billing.domain.invoice import Invoice, InvoiceLine
from jpcalendar import JST

OPS_INVOICES = "/api/v1/ops/billing/invoices"
CSV_ACCEPT = {"Accept": "text/csv"}
LABELS = [label for _, label in COLUMNS]


def line(position: int, amount: int, *, taxable: bool = True) -> InvoiceLine:
    return InvoiceLine(
        position=position,
        contract_id=None,
        kind="monthly_fee" if taxable else "termination_fee",
        plan_name={"ja": f"明細{position:02d} ビジネスプラン", "en": f"Line {position}"},
        quantity=1,
        unit_price=amount,
        amount=amount,
        taxable=taxable,
    )


async def issue(
    billing: Any, member_id: uuid.UUID, issued: date, lines: list[InvoiceLine]
) -> Invoice:
    """An invoice of ``member_id`` issued on ``issued``, stored as a run stores it."""
    settings = billing.settings
    issuer = {
        "name": settings.issuer_name,
        "registration_number": settings.issuer_registration_number,
        "address": settings.issuer_address,
        "payee_bank_account": settings.payee_bank_account,
        "inquiry_phone": settings.billing_inquiry_phone,
    }
    async with billing.runtime.uow() as uow:
        account = await uow.accounts.get(member_id)
        assert account is not None
        invoice = Invoice.issue(
            number=f"X{uuid.uuid4().hex[:12].upper()}",
            issuer=issuer,
            issuer_registration_number=settings.issuer_registration_number,
            member_id=member_id,
            service_id=uuid.uuid4(),
            service_name={"ja": "クラウドサーバー", "en": "Cloud server"},
            usage_month=date(issued.year, issued.month, 1),
            period=(date(issued.year, issued.month, 1), date(issued.year, issued.month, 28)),
            issue_date=issued,
            due_date=date(issued.year, issued.month, 28),
            payment_method="invoice",
            lines=lines,
            recipient=account.recipient.as_dict(),
            consolidated_mailing=False,
            now=datetime(issued.year, issued.month, issued.day, 9, tzinfo=JST),
        )
        await uow.invoices.add(invoice)
        await uow.commit()
    return invoice


async def pdf_of(billing: Any, invoice: Invoice, tmp_path: Path) -> Path:
    response = await billing.client.get(
        f"/api/v1/invoices/{invoice.id}/pdf", headers=billing.member(invoice.member_id)
    )
    assert response.status_code == 200, response.text
    path = tmp_path / f"{invoice.invoice_number}.pdf"
    path.write_bytes(response.content)
    return path


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdffonts(path: Path) -> str:
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout


def printed(text: str, label: str) -> int:
    """The yen amount printed after ``label`` in the PDF's text."""
    found = re.search(re.escape(label) + r"\s+¥([\d,]+)", text)
    assert found, f"{label} not in the PDF"
    return int(found.group(1).replace(",", ""))


async def test_r38_the_accounting_csv_agrees_with_every_invoice_and_its_pdf(
    billing: Any, tmp_path: Path
) -> None:
    alpha = await billing.verify_member(organization_name="アルファ工業株式会社", name="佐藤 花子")
    beta = await billing.verify_member(organization_name="=ベータ商会", name="鈴木 一郎")
    long_one = await issue(
        billing, alpha, date(2031, 5, 1), [line(i, 1_000 + 37 * i) for i in range(1, 41)]
    )
    mixed = await issue(
        billing, beta, date(2031, 5, 20), [line(1, 3_333), line(2, 12_000, taxable=False)]
    )
    # Issued the month after: not in May's file.
    await issue(billing, beta, date(2031, 6, 1), [line(1, 9_999)])
    paid = await billing.client.post(
        f"{OPS_INVOICES}/{mixed.id}/payments",
        json={"amount": 5_000, "paid_on": "2031-05-25"},
        headers=billing.ops_headers(),
    )
    assert paid.status_code == 200, paid.text

    response = await billing.client.get(
        OPS_INVOICES, params={"month": "2031-05"}, headers={**billing.ops_headers(), **CSV_ACCEPT}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="invoices-2031-05.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == LABELS
    by_number = {row[0]: dict(zip([name for name, _ in COLUMNS], row, strict=True)) for row in rows}
    assert set(by_number) == {long_one.invoice_number, mixed.invoice_number}

    for invoice in (long_one, mixed):
        row = by_number[invoice.invoice_number]
        detail = await billing.client.get(
            f"{OPS_INVOICES}/{invoice.id}", headers=billing.ops_headers()
        )
        stored = detail.json()
        assert row["issue_date"] == stored["issue_date"]
        assert row["due_date"] == stored["due_date"]
        assert row["member_id"] == str(invoice.member_id)
        assert row["registration_number"] == billing.settings.issuer_registration_number
        assert row["status"] == stored["status"]
        assert int(row["paid_amount"]) == stored["paid_amount"]
        assert int(row["taxable_10"]) == stored["taxable_subtotal"]
        assert int(row["tax_10"]) == stored["tax"]
        assert int(row["non_taxable"]) == stored["non_taxable_subtotal"]
        assert int(row["total"]) == stored["total"]
        assert (row["taxable_8"], row["tax_8"]) == ("0", "0")
        parts = ("taxable_10", "tax_10", "taxable_8", "tax_8", "non_taxable")
        assert sum(int(row[p]) for p in parts) == int(row["total"])
        # The same yen as printed on the invoice's PDF.
        text = pdftotext(await pdf_of(billing, invoice, tmp_path))
        assert invoice.invoice_number in text
        assert printed(text, "10%対象 小計（税抜）") == int(row["taxable_10"])
        assert printed(text, "消費税（10%）") == int(row["tax_10"])
        assert printed(text, "不課税 小計") == int(row["non_taxable"])
        assert printed(text, "合計（税込）") == int(row["total"])

    assert by_number[long_one.invoice_number]["organization_name"] == "アルファ工業株式会社"
    # A name starting like a formula is defused for the spreadsheet.
    assert by_number[mixed.invoice_number]["organization_name"] == "'=ベータ商会"
    assert by_number[mixed.invoice_number]["paid_amount"] == "5000"
    assert sum(int(r["total"]) for r in by_number.values()) == long_one.total + mixed.total
    assert long_one.total == sum(1_000 + 37 * i for i in range(1, 41)) * 110 // 100


async def test_r38_the_export_needs_a_month_and_ops(billing: Any) -> None:
    ops_csv = {**billing.ops_headers(), **CSV_ACCEPT}
    missing = await billing.client.get(OPS_INVOICES, headers=ops_csv)
    assert missing.status_code == 422
    assert missing.json()["code"] == "billing.export_month_required"
    malformed = await billing.client.get(OPS_INVOICES, params={"month": "2031-13"}, headers=ops_csv)
    assert malformed.status_code == 422
    assert "month" in malformed.text
    member = await billing.client.get(
        OPS_INVOICES,
        params={"month": "2031-05"},
        headers={**billing.member(uuid.uuid4()), **CSV_ACCEPT},
    )
    assert member.status_code == 403
    empty = await billing.client.get(OPS_INVOICES, params={"month": "1999-01"}, headers=ops_csv)
    assert empty.status_code == 200
    assert empty.content.decode("utf-8-sig").splitlines() == [",".join(LABELS)]


async def test_r30_ops_lists_filter_by_member_and_name_organization_and_person(
    billing: Any,
) -> None:
    named = await billing.verify_member(organization_name="名前付き株式会社", name="高橋 次郎")
    other = await billing.verify_member(organization_name="別会社株式会社", name="田中 三郎")
    mine = await issue(billing, named, date(2031, 8, 1), [line(1, 1_000)])
    await issue(billing, other, date(2031, 8, 1), [line(1, 2_000)])

    listed = await billing.client.get(
        OPS_INVOICES, params={"member_id": str(named)}, headers=billing.ops_headers()
    )
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert item["id"] == str(mine.id)
    assert (item["member_organization_name"], item["member_name"]) == (
        "名前付き株式会社",
        "高橋 次郎",
    )
    by_month = await billing.client.get(
        OPS_INVOICES, params={"month": "2031-08"}, headers=billing.ops_headers()
    )
    assert {i["member_name"] for i in by_month.json()["items"]} == {"高橋 次郎", "田中 三郎"}

    for member in (named, other):
        billing.pin(date(2031, 8, 2))
        applied = await billing.client.post(
            "/api/v1/billing/account-transfer",
            json={
                "bank_code": "0005",
                "branch_code": "123",
                "account_type": "ordinary",
                "account_number": "7654321",
                "holder_name_kana": "ﾀｶﾊｼ ｼﾞﾛｳ",
            },
            headers=billing.member(member),
        )
        assert applied.status_code == 201, applied.text
    transfers = await billing.client.get(
        "/api/v1/ops/billing/account-transfers",
        params={"member_id": str(named)},
        headers=billing.ops_headers(),
    )
    assert transfers.status_code == 200, transfers.text
    (transfer,) = transfers.json()["items"]
    assert transfer["member_id"] == str(named)
    assert (transfer["member_organization_name"], transfer["member_name"]) == (
        "名前付き株式会社",
        "高橋 次郎",
    )


async def test_r24_a_forty_line_invoice_is_paginated_with_carried_totals(
    billing: Any, tmp_path: Path
) -> None:
    member = await billing.verify_member()
    amounts = [1_000 + 37 * i for i in range(1, 41)]
    invoice = await issue(
        billing, member, date(2031, 9, 1), [line(i, a) for i, a in enumerate(amounts, 1)]
    )
    path = await pdf_of(billing, invoice, tmp_path)
    text = pdftotext(path)
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]

    assert len(pages) >= 2
    # Every line once, in order, never below the receipt slip's cut line.
    positions = [text.index(f"明細{i:02d} ビジネスプラン") for i in range(1, 41)]
    assert positions == sorted(positions)
    assert all(text.count(f"明細{i:02d} ビジネスプラン") == 1 for i in range(1, 41))
    assert positions[-1] < text.index("キリトリ")
    assert "キリトリ" in pages[-1] and all("キリトリ" not in p for p in pages[:-1])
    # Each page that continues carries its running subtotal to the next.
    for number, page in enumerate(pages[:-1]):
        shown = [i for i in range(1, 41) if f"明細{i:02d} " in "\f".join(pages[: number + 1])]
        carried = printed(page, "次頁へ繰越（小計）")
        assert carried == sum(amounts[: max(shown)])
        assert printed(pages[number + 1], "前頁より繰越") == carried
        assert re.search(rf"\b{number + 1}\s*/\s*{len(pages)}\b", page)
    assert printed(pages[-1], "10%対象 小計（税抜）") == sum(amounts)
    assert printed(pages[-1], "合計（税込）") == invoice.total


async def test_r24_every_font_is_embedded_and_the_payee_is_whole(
    billing: Any, tmp_path: Path
) -> None:
    member = await billing.verify_member()
    invoice = await issue(billing, member, date(2031, 10, 1), [line(1, 5_000)])
    path = await pdf_of(billing, invoice, tmp_path)

    fonts = pdffonts(path)
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    for row in rows:
        # name type encoding emb sub uni object ID: "emb" is the 4th column from the end.
        assert row.split()[-5] == "yes", f"not embedded: {row}"
    payee = billing.settings.payee_bank_account
    text = pdftotext(path)
    assert f"お振込先: {payee}" in text
    assert payee.endswith("ビズモール株式会社")


@pytest.mark.parametrize("length", [80, 200])
def test_r24_a_long_payee_account_wraps_instead_of_running_off_the_page(length: int) -> None:
    from billing.adapters.invoice_pdf import render_invoice_pdf

    payee = ("みずほ銀行 丸の内支店 普通預金 1234567 口座名義 " * 10)[:length] + "終"
    invoice = Invoice.issue(
        number="X000000000001",
        issuer={
            "name": "ビズモール株式会社",
            "registration_number": "T1234567890123",
            "address": "東京都千代田区丸の内1-1-1",
            "payee_bank_account": payee,
            "inquiry_phone": "0120-004400",
        },
        issuer_registration_number="T1234567890123",
        member_id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        service_name={"ja": "クラウド", "en": "Cloud"},
        usage_month=date(2031, 1, 1),
        period=(date(2031, 1, 1), date(2031, 1, 31)),
        issue_date=date(2031, 2, 1),
        due_date=date(2031, 2, 28),
        payment_method="invoice",
        lines=[line(1, 1_000)],
        recipient={
            "entity_type": "corporation",
            "name": "山田 太郎",
            "organization_name": "山田商事株式会社",
            "department": None,
            "postal_code": "1000001",
            "address": "東京都千代田区千代田1-1",
        },
        consolidated_mailing=False,
        now=datetime(2031, 2, 1, 9, tzinfo=JST),
    )
    pdf = render_invoice_pdf(invoice)
    text = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    # Wrapped rows lose the space they broke at: compare without whitespace.
    assert re.sub(r"\s", "", payee) in re.sub(r"\s", "", text)
