"""R35: a failed account-transfer debit (billing's ``billing.invoice.debit_failed``) emails
the member the bank's reason, the new due date and the account to pay into, in the
member's language — once, even when the event is delivered twice."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from bizmall_events import InvoiceDebitFailed, LocalizedText
from bizmall_testkit.mail import body_of
from servicekit.testing.smtp import SmtpSink

#: The running service (the ``notification`` fixture of conftest.py).
Notification = Any

PAYEE = "みずほ銀行 丸の内支店 普通預金 1234567 口座名義 ビズモール株式会社"


def _failed(member_id: uuid.UUID) -> InvoiceDebitFailed:
    return InvoiceDebitFailed(
        invoice_id=uuid.uuid4(),
        aggregate_version=3,
        invoice_number="2026-000042",
        member_id=member_id,
        service_id=uuid.uuid4(),
        service_name=LocalizedText(ja="クラウドPBX", en="Cloud PBX"),
        usage_period_start=date(2026, 6, 1),
        usage_period_end=date(2026, 6, 30),
        due_date=date(2026, 8, 14),
        total=3300,
        payment_method="invoice",
        result_code="1",
        reason=LocalizedText(ja="資金不足", en="insufficient funds"),
        collection_date=date(2026, 7, 27),
        amount_due=3300,
        payee_bank_account=PAYEE,
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ja",
            ["口座振替ができませんでした", "理由：資金不足", "2026年8月14日", "3,300円", PAYEE],
        ),
        (
            "en",
            ["Account transfer failed", "Reason: insufficient funds", "14 Aug 2026", PAYEE],
        ),
    ],
)
async def test_r35_a_failed_debit_emails_the_member_the_reason_and_new_due_date(
    notification: Notification, smtp_sink: SmtpSink, language: str, expected: list[str]
) -> None:
    email = f"debit-{uuid.uuid4().hex[:8]}@example.jp"
    member_id = await notification.member(email=email, language=language)
    envelope = await notification.publish(_failed(member_id))
    await notification.runtime.bus.publish(envelope)  # the broker redelivers it
    mail = await smtp_sink.wait_for(lambda m: m["X-Bizmall-Event-ID"] == str(envelope.id))
    assert (mail["To"], mail["X-Bizmall-Template"]) == (email, "invoice_debit_failed")
    text = mail["Subject"] + "\n" + body_of(mail)
    for part in expected:
        assert part in text, part
    # A later email arriving means the duplicate was consumed already: still one mail.
    later = await notification.publish(_failed(member_id))
    await smtp_sink.wait_for(lambda m: m["X-Bizmall-Event-ID"] == str(later.id))
    sent = [m for m in smtp_sink.messages if m["X-Bizmall-Event-ID"] == str(envelope.id)]
    assert len(sent) == 1
