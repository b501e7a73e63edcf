"""The invoice as a Japanese PDF (R24, R25), drawn with reportlab.

Font: IPAex Gothic (Debian's ``fonts-ipaexfont-gothic``, IPA Font License, which
allows embedding), registered as a TrueType font so that reportlab embeds the
subset of glyphs used: every font of the document is embedded (``pdffonts``
shows ``emb yes``) and the invoice is self-contained for its seven years of
keeping. ``BILLING_INVOICE_FONT_PATH`` names the file; outside local mode a
process without it refuses to start (``billing.config``). In local mode only, a
missing file falls back to reportlab's built-in CID font HeiseiKakuGo-W5 — which
is referenced, not embedded — so ``make dev`` works on a machine without the
package.

Layout: page 1 carries the header (issuer, recipient, amount billed) and the
first line items. Lines that do not fit go on following pages: each page that
continues ends with the running subtotal carried forward (次頁へ繰越) and the next
one starts with it (前頁より繰越), so every line is printed once and the carried
figures add up to the subtotal. The totals, the payment instructions and the
receipt slip (領収証, below a cut line) are on the last page only, never
overlapping the lines. Long texts (the payee account, addresses) wrap instead of
running off the page. Every page is numbered ``n / N``.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from billing.config import DEFAULT_INVOICE_FONT_PATH
from billing.domain.invoice import Invoice, InvoiceLine

log = logging.getLogger(__name__)

DEFAULT_FONT_PATH = DEFAULT_INVOICE_FONT_PATH
EMBEDDED_FONT = "IPAexGothic"
#: Local mode's fallback when the font file is missing (not embedded).
FALLBACK_FONT = "HeiseiKakuGo-W5"

_KIND_LABELS = {
    "monthly_fee": "月額料金",
    "prorated_fee": "月額料金（日割り）",
    "initial_fee": "初期費用",
    "termination_fee": "解約違約金（不課税）",
    "adjustment": "",
}

WIDTH, HEIGHT = A4
LEFT = 20 * mm
RIGHT = WIDTH - 20 * mm
ROW = 6 * mm
#: The cut line of the receipt slip; nothing of the invoice above may come below
#: ``SLIP_TOP``.
CUT_Y = 70 * mm
SLIP_TOP = CUT_Y + 8 * mm
#: The lowest line row of a page that continues (the carried row goes below it).
CONTINUED_BOTTOM = 30 * mm
#: The line table's heading on continuation pages (page 1: below its header).
CONTINUATION_HEAD = 265 * mm
COLUMNS = (LEFT, 118 * mm, 140 * mm, 165 * mm, RIGHT)


def yen(amount: int) -> str:
    """``12345`` → ``¥12,345``."""
    return f"¥{amount:,}"


def jdate(day: date) -> str:
    """A date as printed on the invoice: ``2026年04月15日``."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


class InvoiceFontMissing(RuntimeError):
    """The configured font file does not exist."""


@cache
def register_font(path: str, *, fallback: bool = True) -> str:
    """Register the invoice font once per path; the font name to draw with.

    A missing file raises :class:`InvoiceFontMissing` unless ``fallback`` (local
    mode), where the built-in, non-embedded CID font is used instead."""
    if os.path.isfile(path):
        name = (
            EMBEDDED_FONT if path == DEFAULT_FONT_PATH else f"InvoiceFont-{os.path.basename(path)}"
        )
        pdfmetrics.registerFont(TTFont(name, path))
        return name
    if not fallback:
        raise InvoiceFontMissing(path)
    log.warning(
        "invoice font %s not found: using the built-in CID font (not embedded); "
        "install fonts-ipaexfont-gothic or set BILLING_INVOICE_FONT_PATH",
        path,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def line_label(item: InvoiceLine) -> str:
    """What an invoice line is called on the PDF."""
    label = " ".join(p for p in (item.plan_name["ja"], _KIND_LABELS[item.kind]) if p)
    if item.period_start and item.period_end:
        label += f" {item.period_start:%m/%d}〜{item.period_end:%m/%d}"
    return label


def paginate(
    count: int, *, first_top: float, continuation_top: float, last_bottom: float
) -> list[range]:
    """Which lines (by index) go on which page.

    ``first_top``: page 1's first row; ``continuation_top``: a continuation page's first
    row, which holds the subtotal carried in (its lines start one row lower). A page
    that continues holds lines down to ``CONTINUED_BOTTOM`` (the carried subtotal goes
    below); the last page's lines end above ``last_bottom`` (the totals, payment
    instructions and the receipt slip)."""

    def rows(top: float, bottom: float) -> int:
        return max(0, int((top - bottom) // ROW) + 1)

    pages: list[range] = []
    start = 0
    while True:
        top = first_top if not pages else continuation_top - ROW
        if count - start <= rows(top, last_bottom):
            pages.append(range(start, count))
            return pages
        fits = rows(top, CONTINUED_BOTTOM)
        # Leave at least one line for the last page, beside the totals.
        take = max(1, min(fits, count - start - 1))
        pages.append(range(start, start + take))
        start += take


@dataclass
class _Page:
    """Drawing helpers on one canvas with one font."""

    pdf: Canvas
    font: str

    def text(
        self, x: float, y: float, line: str, size: float = 9.5, *, right: bool = False
    ) -> None:
        self.pdf.setFont(self.font, size)
        (self.pdf.drawRightString if right else self.pdf.drawString)(x, y, line)

    def fitted(self, x: float, y: float, line: str, width: float, size: float = 9) -> None:
        """``line`` in one row no wider than ``width``: the font shrinks (to 5 pt) to fit."""
        while size > 5 and pdfmetrics.stringWidth(line, self.font, size) > width:
            size -= 0.5
        self.text(x, y, line, size)

    def wrapped(self, line: str, width: float, size: float = 9.5) -> list[str]:
        """``line`` cut into rows no wider than ``width`` (by character: Japanese has
        no spaces to break at)."""
        rows: list[str] = []
        current = ""
        for char in line:
            if current and pdfmetrics.stringWidth(current + char, self.font, size) > width:
                rows.append(current)
                current = ""
            current += char
        rows.append(current)
        return rows


def render_invoice_pdf(
    inv: Invoice, *, font_path: str = DEFAULT_FONT_PATH, font_fallback: bool = True
) -> bytes:
    """The PDF of an invoice with its lines, paginated (see the module docstring)."""
    buffer = io.BytesIO()
    font = register_font(font_path, fallback=font_fallback)
    # The canvas's initial font is the invoice font too: no Helvetica, which is
    # never embedded, appears in the document.
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=font)
    pdf.setTitle(f"請求書 {inv.invoice_number}")
    page = _Page(pdf, font)
    by_transfer = inv.payment_method == "account_transfer"

    payment_rows = _payment_rows(inv, by_transfer, page)
    footer = 3 * mm + 4 * ROW + 10 * mm + len(payment_rows) * ROW
    title = "請求書（口座振替のお知らせ）" if by_transfer else "請求書"
    if inv.corrects_invoice_id:
        title = "訂正" + title
    first_head = _header(page, inv, title)
    pages = paginate(
        len(inv.lines),
        first_top=first_head - ROW,
        continuation_top=CONTINUATION_HEAD - ROW,
        last_bottom=SLIP_TOP + footer,
    )
    carried = 0
    for number, indexes in enumerate(pages, start=1):
        last = number == len(pages)
        y = first_head
        if number > 1:
            page.text(LEFT, HEIGHT - 20 * mm, f"{title}（続き）", 13)
            page.text(RIGHT, HEIGHT - 20 * mm, f"請求書番号 {inv.invoice_number}", right=True)
            y = CONTINUATION_HEAD
        _table_head(page, y)
        if number > 1:
            y -= ROW
            page.text(COLUMNS[0], y, "前頁より繰越", 9)
            page.text(COLUMNS[4], y, yen(carried), 9, right=True)
        for index in indexes:
            item = inv.lines[index]
            y -= ROW
            page.fitted(COLUMNS[0], y, line_label(item), COLUMNS[1] - COLUMNS[0] - 2 * mm)
            page.text(COLUMNS[1], y, str(item.quantity), 9)
            page.text(COLUMNS[2], y, yen(item.unit_price), 9)
            page.text(COLUMNS[3], y, "10%" if item.taxable else "不課税", 9)
            page.text(COLUMNS[4], y, yen(item.amount), 9, right=True)
            carried += item.amount
        if last:
            _totals(page, inv, y, payment_rows)
            _receipt(page, inv, by_transfer)
        else:
            y = CONTINUED_BOTTOM - ROW - 2 * mm
            pdf.line(LEFT, y + 4.5 * mm, RIGHT, y + 4.5 * mm)
            page.text(COLUMNS[0], y, "次頁へ繰越（小計）", 9)
            page.text(COLUMNS[4], y, yen(carried), 9, right=True)
        page.text(WIDTH / 2 - 6 * mm, 8 * mm, f"{number} / {len(pages)}", 8)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _header(page: _Page, inv: Invoice, title: str) -> float:
    """The first page's header (on the canvas's first page); the y of the line
    table's heading below it."""
    issuer, recipient = inv.issuer, inv.recipient
    y = HEIGHT - 20 * mm
    page.text(LEFT, y, title, 18)
    page.text(RIGHT, y, f"請求書番号 {inv.invoice_number}", right=True)
    y -= 6 * mm
    page.text(RIGHT, y, f"請求日 {jdate(inv.issue_date)}", right=True)
    if inv.status == "void":
        y -= 6 * mm
        page.text(RIGHT, y, f"無効（{inv.void_reason or ''}）", 12, right=True)
    y -= 12 * mm
    page.fitted(LEFT, y, f"{recipient['organization_name']} 御中", 95 * mm, 13)
    y -= 6 * mm
    person = " ".join(p for p in (recipient.get("department"), recipient["name"]) if p)
    page.fitted(LEFT, y, f"{person} 様", 95 * mm, 9.5)
    y -= 5 * mm
    postal = recipient["postal_code"]
    page.fitted(LEFT, y, f"〒{postal[:3]}-{postal[3:]} {recipient['address']}", 95 * mm, 9.5)
    issuer_y = y + 11 * mm
    for line in (
        issuer["name"],
        f"登録番号 {issuer['registration_number']}",
        *page.wrapped(issuer["address"], 70 * mm, 9),
        f"請求に関するお問い合わせ TEL {issuer['inquiry_phone']}",
    ):
        page.text(RIGHT, issuer_y, line, 9, right=True)
        issuer_y -= 5 * mm
    y = min(y, issuer_y + 5 * mm) - 12 * mm
    page.fitted(LEFT, y, f"サービス: {inv.service_name['ja']}", RIGHT - LEFT)
    y -= 6 * mm
    period = f"{jdate(inv.usage_period_start)}〜{jdate(inv.usage_period_end)}"
    page.text(LEFT, y, f"ご利用期間: {period}")
    y -= 6 * mm
    page.text(LEFT, y, f"ご請求金額（税込）: {yen(inv.total)}", 14)
    return y - 10 * mm


def _table_head(page: _Page, y: float) -> None:
    """The line table's heading at ``y``; its rows follow one ``ROW`` apart below."""
    for x, label in zip(COLUMNS, ("品目", "数量", "単価", "税区分"), strict=False):
        page.text(x, y, label, 9)
    page.text(COLUMNS[4], y, "金額", 9, right=True)
    page.pdf.line(LEFT, y - 2 * mm, RIGHT, y - 2 * mm)


def _payment_rows(inv: Invoice, by_transfer: bool, page: _Page) -> list[str]:
    if by_transfer:
        rows = [
            "お支払方法: 口座振替",
            f"振替日: {jdate(inv.due_date)}（ご登録の口座から引き落とします）",
        ]
    else:
        rows = [
            "お支払方法: 請求書払い（銀行振込）",
            f"お支払期限: {jdate(inv.due_date)}",
            # The payee account whole, on as many rows as it needs.
            *page.wrapped(f"お振込先: {inv.issuer['payee_bank_account']}", RIGHT - LEFT),
        ]
    if inv.consolidated_mailing:
        rows.append("おまとめ送付（同封発送）")
    return rows


def _totals(page: _Page, inv: Invoice, y: float, payment_rows: Sequence[str]) -> None:
    y -= 3 * mm
    page.pdf.line(LEFT, y, RIGHT, y)
    for label, amount in (
        ("10%対象 小計（税抜）", inv.taxable_subtotal),
        ("消費税（10%）", inv.tax),
        ("不課税 小計", inv.non_taxable_subtotal),
        ("合計（税込）", inv.total),
    ):
        y -= ROW
        page.text(COLUMNS[2], y, label, 9.5)
        page.text(COLUMNS[4], y, yen(amount), 9.5, right=True)
    y -= 10 * mm
    for row in payment_rows:
        page.text(LEFT, y, row)
        y -= ROW


def _receipt(page: _Page, inv: Invoice, by_transfer: bool) -> None:
    pdf = page.pdf
    y = CUT_Y
    pdf.setDash(3, 3)
    pdf.line(10 * mm, y, WIDTH - 10 * mm, y)
    pdf.setDash()
    pdf.setFont(page.font, 8)
    pdf.drawCentredString(WIDTH / 2, y + 2 * mm, "キリトリ")
    y -= 12 * mm
    page.text(LEFT, y, "領収証", 14)
    recipient = inv.recipient
    lines = [
        f"{recipient['organization_name']} 様",
        f"金額 {yen(inv.total)}（うち消費税 {yen(inv.tax)}）",
        f"請求書番号 {inv.invoice_number}",
    ]
    if by_transfer:
        lines.append(f"口座振替日 {jdate(inv.due_date)} の引落しをもって領収いたしました。")
        lines.append("口座振替のお知らせ兼領収証")
    else:
        lines.append(f"お支払期限 {jdate(inv.due_date)}")
        lines.append("上記金額をお振込みいただいたことをもって領収とします（領収証控え）。")
    issuer = inv.issuer
    lines.append(f"{issuer['name']} 登録番号 {issuer['registration_number']}")
    lines.append(f"お問い合わせ TEL {issuer['inquiry_phone']}")
    for line in lines:
        y -= ROW
        page.fitted(LEFT, y, line, RIGHT - LEFT, 9.5)
