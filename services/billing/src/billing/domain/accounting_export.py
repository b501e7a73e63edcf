"""The accounting export (R38): a month's invoices as CSV, one row per invoice.

``GET /api/v1/ops/billing/invoices?month=YYYY-MM`` with ``Accept: text/csv``. The
file is UTF-8 with a byte-order mark (Excel opens it as UTF-8), CRLF line ends,
one header row with the labels of :data:`COLUMNS`, then one row per invoice
*issued* in the month (issue date in Asia/Tokyo), by invoice number. There is no
totals row: every row is an invoice, so accounting software imports the file as
it is and a spreadsheet sums a column itself.

Every figure is the invoice's own, as stored when it was issued and as printed on
its PDF (R25: tax once per invoice, rounded down): the 10% taxable subtotal
(before tax) and its tax, the 8% (reduced rate) subtotal and tax — always 0, the
mall sells nothing at the reduced rate — the non-taxable subtotal (termination
fees), the total including tax, and the paid amount. For each row
``taxable_10 + tax_10 + taxable_8 + tax_8 + non_taxable == total``. Void invoices
are listed with status ``void`` (their correction is its own row), so the
file keeps every number issued. Text cells starting like a spreadsheet formula
are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from billing.domain.invoice import Invoice

#: (column name, header label) in file order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("invoice_number", "請求書番号"),
    ("issue_date", "発行日"),
    ("member_id", "会員ID"),
    ("organization_name", "請求先（組織名）"),
    ("registration_number", "登録番号"),
    ("taxable_10", "10%対象額（税抜）"),
    ("tax_10", "10%消費税額"),
    ("taxable_8", "8%対象額（税抜）"),
    ("tax_8", "8%消費税額"),
    ("non_taxable", "不課税額"),
    ("total", "合計（税込）"),
    ("due_date", "支払期限"),
    ("status", "状態"),
    ("paid_amount", "入金額"),
)
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    # A spreadsheet would run a cell starting like a formula (CSV injection).
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def header() -> str:
    """The byte-order mark and the header row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([label for _, label in COLUMNS])
    return BOM + out.getvalue()


def row_of(inv: Invoice) -> list[str | int]:
    """One invoice's cells, in :data:`COLUMNS` order."""
    values: dict[str, str | int] = {
        "invoice_number": _text(inv.invoice_number),
        "issue_date": inv.issue_date.isoformat(),
        "member_id": str(inv.member_id),
        "organization_name": _text(str(inv.recipient.get("organization_name") or "")),
        "registration_number": _text(inv.issuer_registration_number),
        "taxable_10": inv.taxable_subtotal,
        "tax_10": inv.tax,
        "taxable_8": 0,
        "tax_8": 0,
        "non_taxable": inv.non_taxable_subtotal,
        "total": inv.total,
        "due_date": inv.due_date.isoformat(),
        "status": inv.status,
        "paid_amount": inv.paid_amount,
    }
    return [values[name] for name, _ in COLUMNS]


def rows(invoices: Iterable[Invoice]) -> str:
    """The CSV rows of ``invoices``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for inv in invoices:
        writer.writerow(row_of(inv))
    return out.getvalue()
