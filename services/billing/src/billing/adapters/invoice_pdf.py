"""The invoice as a Japanese PDF (R24, R25), drawn with reportlab.

Font: reportlab's built-in Adobe-Japan1 CID font HeiseiKakuGo-W5 (UniJIS-UCS2-H).
It needs no file at all, so nothing is downloaded or shipped at run time, and
every PDF reader with Japanese support renders it (the font is referenced, not
embedded). An embedded TTF was preferred, but the Japanese font packages on PyPI
ship CFF-outline OpenType (Noto Sans JP .otf), which reportlab cannot embed.

Invoice payment prints the bank account to pay into and a receipt slip
(領収証) below a cut line; account transfer prints the transfer notice with its
receipt instead. Both print the number to call about the invoice.
"""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from billing.domain.invoice import Invoice

FONT = "HeiseiKakuGo-W5"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_KIND_LABELS = {
    "monthly_fee": "月額料金",
    "prorated_fee": "月額料金（日割り）",
    "initial_fee": "初期費用",
    "termination_fee": "解約違約金（不課税）",
    "adjustment": "",
}


def yen(amount: int) -> str:
    """``12345`` → ``¥12,345``."""
    return f"¥{amount:,}"


def jdate(day: date) -> str:
    """A date as printed on the invoice: ``2026年04月15日``."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def render_invoice_pdf(inv: Invoice) -> bytes:
    """The PDF of an invoice with its lines."""
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"請求書 {inv.invoice_number}")
    width, height = A4
    by_transfer = inv.payment_method == "account_transfer"
    issuer, recipient = inv.issuer, inv.recipient
    y = height - 20 * mm

    def text(x: float, line: str, size: float = 9.5, *, right: bool = False) -> None:
        pdf.setFont(FONT, size)
        (pdf.drawRightString if right else pdf.drawString)(x, y, line)

    title = "請求書（口座振替のお知らせ）" if by_transfer else "請求書"
    if inv.corrects_invoice_id:
        title = "訂正" + title
    text(20 * mm, title, 18)
    text(width - 20 * mm, f"請求書番号 {inv.invoice_number}", right=True)
    y -= 6 * mm
    text(width - 20 * mm, f"請求日 {jdate(inv.issue_date)}", right=True)
    if inv.status == "void":
        y -= 6 * mm
        text(width - 20 * mm, f"無効（{inv.void_reason or ''}）", 12, right=True)
    y -= 12 * mm
    organization = recipient["organization_name"]
    text(20 * mm, f"{organization} 御中", 13)
    y -= 6 * mm
    person = " ".join(p for p in (recipient.get("department"), recipient["name"]) if p)
    text(20 * mm, f"{person} 様")
    y -= 5 * mm
    postal = recipient["postal_code"]
    text(20 * mm, f"〒{postal[:3]}-{postal[3:]} {recipient['address']}")
    issuer_y = y + 11 * mm
    for line in (
        issuer["name"],
        f"登録番号 {issuer['registration_number']}",
        issuer["address"],
        f"請求に関するお問い合わせ TEL {issuer['inquiry_phone']}",
    ):
        pdf.setFont(FONT, 9)
        pdf.drawRightString(width - 20 * mm, issuer_y, line)
        issuer_y -= 5 * mm
    y -= 12 * mm
    service = inv.service_name["ja"]
    text(20 * mm, f"サービス: {service}")
    y -= 6 * mm
    period = f"{jdate(inv.usage_period_start)}〜{jdate(inv.usage_period_end)}"
    text(20 * mm, f"ご利用期間: {period}")
    y -= 6 * mm
    text(20 * mm, f"ご請求金額（税込）: {yen(inv.total)}", 14)
    y -= 10 * mm

    columns = (20 * mm, 118 * mm, 140 * mm, 165 * mm, width - 20 * mm)
    for x, label in zip(columns, ("品目", "数量", "単価", "税区分"), strict=False):
        text(x, label, 9)
    text(columns[4], "金額", 9, right=True)
    y -= 2 * mm
    pdf.line(20 * mm, y, width - 20 * mm, y)
    for item in inv.lines:
        y -= 6 * mm
        label = " ".join(p for p in (item.plan_name["ja"], _KIND_LABELS[item.kind]) if p)
        if item.period_start:
            label += f" {item.period_start:%m/%d}〜{item.period_end:%m/%d}"
        text(columns[0], label, 9)
        text(columns[1], str(item.quantity), 9)
        text(columns[2], yen(item.unit_price), 9)
        text(columns[3], "10%" if item.taxable else "不課税", 9)
        text(columns[4], yen(item.amount), 9, right=True)
    y -= 3 * mm
    pdf.line(20 * mm, y, width - 20 * mm, y)
    for label, amount in (
        ("10%対象 小計（税抜）", inv.taxable_subtotal),
        ("消費税（10%）", inv.tax),
        ("不課税 小計", inv.non_taxable_subtotal),
        ("合計（税込）", inv.total),
    ):
        y -= 6 * mm
        text(columns[2], label, 9.5)
        text(columns[4], yen(amount), 9.5, right=True)
    y -= 10 * mm
    if by_transfer:
        text(20 * mm, "お支払方法: 口座振替")
        y -= 6 * mm
        text(20 * mm, f"振替日: {jdate(inv.due_date)}（ご登録の口座から引き落とします）")
    else:
        text(20 * mm, "お支払方法: 請求書払い（銀行振込）")
        y -= 6 * mm
        text(20 * mm, f"お支払期限: {jdate(inv.due_date)}")
        y -= 6 * mm
        text(20 * mm, f"お振込先: {issuer['payee_bank_account']}")
    if inv.consolidated_mailing:
        y -= 6 * mm
        text(20 * mm, "おまとめ送付（同封発送）")

    _receipt(pdf, inv, by_transfer, width)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _receipt(pdf: Canvas, inv: Invoice, by_transfer: bool, width: float) -> None:
    y = 70 * mm
    pdf.setDash(3, 3)
    pdf.line(10 * mm, y, width - 10 * mm, y)
    pdf.setDash()
    pdf.setFont(FONT, 8)
    pdf.drawCentredString(width / 2, y + 2 * mm, "キリトリ")
    y -= 12 * mm
    pdf.setFont(FONT, 14)
    pdf.drawString(20 * mm, y, "領収証")
    pdf.setFont(FONT, 9.5)
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
        y -= 6 * mm
        pdf.drawString(20 * mm, y, line)
