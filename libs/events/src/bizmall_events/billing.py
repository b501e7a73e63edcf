"""Events published by billing: invoices and payment methods (R21–R25).

Consumer: notification, which emails the member; amounts are the ones printed
on the invoice, so the email never recomputes them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from bizmall_events.aggregate import AggregateEvent
from bizmall_events.values import LocalizedText, PaymentMethod, Yen


class _InvoiceEvent(AggregateEvent):
    AGGREGATE_ID_FIELD: ClassVar[str] = "invoice_id"

    invoice_id: uuid.UUID
    invoice_number: str
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: LocalizedText
    usage_period_start: date
    usage_period_end: date
    due_date: date
    #: Everything on the invoice, consumption tax included.
    total: Yen
    payment_method: PaymentMethod


class InvoiceIssued(_InvoiceEvent):
    """An invoice was issued for a member, service and usage month (R22, R23).
    billing → notification."""

    TYPE: ClassVar[str] = "billing.invoice.issued"

    issue_date: date
    #: The voided invoice this one corrects (R24), if any.
    corrects_invoice_id: uuid.UUID | None = None


class InvoiceOverdue(_InvoiceEvent):
    """An invoice is unpaid past its due date (R24). billing → notification,
    which sends a reminder."""

    TYPE: ClassVar[str] = "billing.invoice.overdue"

    #: What is still to pay after partial payments.
    amount_due: Yen = Field(gt=0)


class InvoiceDebitFailed(_InvoiceEvent):
    """The bank could not debit an account-transfer invoice (R35): the result file said
    a code other than 0. The invoice falls back to invoice payment, due on
    ``due_date`` (the new due date) into ``payee_bank_account``. billing →
    notification, which emails the member."""

    TYPE: ClassVar[str] = "billing.invoice.debit_failed"

    #: The Zengin 振替結果コード (1, 2, 3, 4, 8 or 9) and what it means.
    result_code: Literal["1", "2", "3", "4", "8", "9"]
    reason: LocalizedText
    #: The collection date the debit was asked for.
    collection_date: date
    #: What is still to pay.
    amount_due: Yen = Field(gt=0)
    payee_bank_account: str


class AccountTransferDecided(AggregateEvent):
    """Ops completed or rejected a member's account-transfer application (R21).
    billing → notification. ``payment_method`` is the account's method after the
    decision."""

    TYPE: ClassVar[str] = "billing.account_transfer.decided"
    AGGREGATE_ID_FIELD: ClassVar[str] = "billing_account_id"

    billing_account_id: uuid.UUID
    member_id: uuid.UUID
    decision: Literal["completed", "rejected"]
    reason: str | None = None
    payment_method: PaymentMethod

    @model_validator(mode="after")
    def _decision_matches_method(self) -> AccountTransferDecided:
        if self.decision == "completed" and self.payment_method != "account_transfer":
            raise ValueError("a completed transfer puts the account on account_transfer")
        if self.decision == "rejected" and not self.reason:
            raise ValueError("a rejected account transfer needs the reason shown to the member")
        return self
