"""The invoice (R22–R25): a qualified invoice with its lines and totals, and what may
happen to it once issued — payments, a failed debit (falling back to invoice
payment, R35), becoming overdue, voiding for a corrected one.

An issued invoice's amounts never change (the database refuses it as well);
only its status, the sum paid, whether a transfer failed and why it was voided
move, each move a guarded method that bumps the version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from billing.domain.charges import LineKind
from billing.domain.errors import InvoiceVoid, NotAPendingTransfer
from billing.domain.invoice_totals import InvoiceTotals
from billing.domain.subscription import Label
from bizmall_events import (
    InvoiceDebitFailed,
    InvoiceIssued,
    InvoiceOverdue,
    LocalizedText,
    PaymentMethod,
)
from servicekit.aggregate import Aggregate

#: The states of an invoice (R24).
InvoiceStatus = Literal["issued", "paid", "overdue", "void"]
PaymentKind = Literal["payment", "transfer_failed"]


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who issues the invoices (R25: name and qualified-invoice registration number)."""

    name: str
    registration_number: str
    address: str
    payee_bank_account: str
    inquiry_phone: str

    def as_dict(self) -> dict[str, str]:
        """The issuer printed on an invoice (stored with it, never changed)."""
        return {
            "name": self.name,
            "registration_number": self.registration_number,
            "address": self.address,
            "payee_bank_account": self.payee_bank_account,
            "inquiry_phone": self.inquiry_phone,
        }


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One item of an invoice, in one tax category (R25)."""

    position: int
    contract_id: uuid.UUID | None
    kind: LineKind
    plan_name: Label
    quantity: int
    unit_price: int
    amount: int
    taxable: bool
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class CorrectedLine:
    """A line of a corrected invoice as ops enter it (R24)."""

    label_ja: str
    label_en: str
    quantity: int
    unit_price: int
    taxable: bool
    contract_id: uuid.UUID | None = None
    kind: LineKind = "adjustment"

    def at(self, position: int) -> InvoiceLine:
        """The invoice line this entry becomes at ``position``."""
        return InvoiceLine(
            position=position,
            contract_id=self.contract_id,
            kind=self.kind,
            plan_name={"ja": self.label_ja, "en": self.label_en},
            quantity=self.quantity,
            unit_price=self.unit_price,
            amount=self.quantity * self.unit_price,
            taxable=self.taxable,
        )


@dataclass(frozen=True, slots=True)
class Payment:
    """A payment ops recorded, or a failed account-transfer debit (amount 0)."""

    id: uuid.UUID
    kind: PaymentKind
    amount: int
    paid_on: date
    recorded_by: str
    recorded_at: datetime


@dataclass(eq=False)
class Invoice(Aggregate):
    """An issued invoice of one member, service and usage month (R22)."""

    id: uuid.UUID
    invoice_number: str
    issuer_registration_number: str
    member_id: uuid.UUID
    service_id: uuid.UUID
    service_name: Label
    usage_month: date
    usage_period_start: date
    usage_period_end: date
    issue_date: date
    due_date: date
    payment_method: PaymentMethod
    taxable_subtotal: int
    non_taxable_subtotal: int
    tax: int
    total: int
    issuer: dict[str, str]
    recipient: dict[str, Any]
    consolidated_mailing: bool
    corrects_invoice_id: uuid.UUID | None
    status: InvoiceStatus
    paid_amount: int
    transfer_failed: bool
    void_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    #: The items; listings leave them out (empty).
    lines: tuple[InvoiceLine, ...] = ()
    #: Payments recorded since the invoice was loaded, stored with it on save.
    recorded_payments: tuple[Payment, ...] = ()
    #: 0 for the month's invoice; 1, 2, … for supplementary invoices of the same
    #: member, service and month billing charges that arrived late (R37).
    supplement_no: int = 0
    #: When an account-transfer debit failed, the invoice falls back to invoice payment
    #: due on this date (R35); ``due_date`` stays what was printed.
    fallback_due_date: date | None = None

    @classmethod
    def issue(
        cls,
        *,
        number: str,
        issuer: dict[str, str],
        issuer_registration_number: str,
        member_id: uuid.UUID,
        service_id: uuid.UUID,
        service_name: Label,
        usage_month: date,
        period: tuple[date, date],
        issue_date: date,
        due_date: date,
        payment_method: PaymentMethod,
        lines: Sequence[InvoiceLine],
        recipient: dict[str, Any],
        consolidated_mailing: bool,
        now: datetime,
        corrects_invoice_id: uuid.UUID | None = None,
        invoice_id: uuid.UUID | None = None,
        supplement_no: int = 0,
    ) -> Invoice:
        """A new invoice; tax is computed once over the whole invoice (R25). Records
        ``billing.invoice.issued``."""
        totals = InvoiceTotals.of(lines)
        invoice = cls(
            id=invoice_id or uuid.uuid4(),
            invoice_number=number,
            issuer_registration_number=issuer_registration_number,
            member_id=member_id,
            service_id=service_id,
            service_name=service_name,
            usage_month=usage_month,
            usage_period_start=period[0],
            usage_period_end=period[1],
            issue_date=issue_date,
            due_date=due_date,
            payment_method=payment_method,
            taxable_subtotal=totals.taxable_subtotal,
            non_taxable_subtotal=totals.non_taxable_subtotal,
            tax=totals.tax,
            total=totals.total,
            issuer=issuer,
            recipient=recipient,
            consolidated_mailing=consolidated_mailing,
            corrects_invoice_id=corrects_invoice_id,
            status="issued",
            paid_amount=0,
            transfer_failed=False,
            void_reason=None,
            version=1,
            created_at=now,
            updated_at=now,
            lines=tuple(lines),
            supplement_no=supplement_no,
        )
        invoice.record(
            InvoiceIssued(
                invoice_id=invoice.id,
                aggregate_version=invoice.version,
                invoice_number=number,
                member_id=member_id,
                service_id=service_id,
                service_name=LocalizedText.model_validate(service_name),
                usage_period_start=invoice.usage_period_start,
                usage_period_end=invoice.usage_period_end,
                due_date=due_date,
                total=invoice.total,
                payment_method=payment_method,
                issue_date=issue_date,
                corrects_invoice_id=corrects_invoice_id,
            )
        )
        return invoice

    @property
    def amount_due(self) -> int:
        """What is still to pay after partial payments."""
        return self.total - self.paid_amount

    def record_payment(self, *, amount: int, paid_on: date, actor: str, now: datetime) -> Payment:
        """A payment ops recorded (R24); payments add up, and the invoice is ``paid``
        once they cover its total."""
        if self.status == "void":
            raise InvoiceVoid()
        self.paid_amount += amount
        if self.paid_amount >= self.total:
            self.status = "paid"
        return self._recorded("payment", amount, paid_on, actor, now)

    @property
    def payable_by(self) -> date:
        """When payment is due now: the new due date after a failed debit (R35), else
        the printed one."""
        return self.fallback_due_date or self.due_date

    @property
    def awaiting_debit(self) -> bool:
        """An account-transfer invoice whose debit has neither been collected nor failed:
        nothing marks it paid but a bank result with code 0 (R35)."""
        return (
            self.status == "issued"
            and self.payment_method == "account_transfer"
            and not self.transfer_failed
        )

    def record_failed_transfer(
        self,
        *,
        failed_on: date,
        actor: str,
        now: datetime,
        new_due_date: date,
        result_code: Literal["1", "2", "3", "4", "8", "9"] = "9",
        reason: Label | None = None,
    ) -> Payment:
        """The account-transfer debit failed (a bank result code other than 0, R35): the
        invoice falls back to invoice payment due on ``new_due_date`` and records
        ``billing.invoice.debit_failed`` so the member is emailed."""
        if not self.awaiting_debit:
            raise NotAPendingTransfer()
        self.transfer_failed = True
        self.fallback_due_date = new_due_date
        payment = self._recorded("transfer_failed", 0, failed_on, actor, now)
        self.record(
            InvoiceDebitFailed(
                invoice_id=self.id,
                aggregate_version=self.version,
                invoice_number=self.invoice_number,
                member_id=self.member_id,
                service_id=self.service_id,
                service_name=LocalizedText.model_validate(self.service_name),
                usage_period_start=self.usage_period_start,
                usage_period_end=self.usage_period_end,
                due_date=new_due_date,
                total=self.total,
                payment_method="invoice",
                result_code=result_code,
                reason=LocalizedText.model_validate(
                    reason or {"ja": "その他", "en": "other reason"}
                ),
                collection_date=failed_on,
                amount_due=self.amount_due,
                payee_bank_account=self.issuer.get("payee_bank_account", ""),
            )
        )
        return payment

    def mark_overdue(self, *, today: date, now: datetime) -> bool:
        """Unpaid past its due date (an account-transfer one only once its debit failed):
        ``overdue``, recording ``billing.invoice.overdue`` so the member is reminded
        (R24). Whether it became overdue now."""
        if not (
            self.status == "issued"
            and self.payable_by < today
            and (self.payment_method == "invoice" or self.transfer_failed)
        ):
            return False
        self.status = "overdue"
        self._changed(now)
        self.record(
            InvoiceOverdue(
                invoice_id=self.id,
                aggregate_version=self.version,
                invoice_number=self.invoice_number,
                member_id=self.member_id,
                service_id=self.service_id,
                service_name=LocalizedText.model_validate(self.service_name),
                usage_period_start=self.usage_period_start,
                usage_period_end=self.usage_period_end,
                due_date=self.payable_by,
                total=self.total,
                payment_method=self.payment_method,
                amount_due=self.amount_due,
            )
        )
        return True

    def void(self, *, reason: str, now: datetime) -> None:
        """Void the invoice for a corrected one (R24): it is kept as it was, ``void``.
        What was paid on it stays recorded here and is netted by the correction (R37)."""
        if self.status == "void":
            raise InvoiceVoid()
        self.status = "void"
        self.void_reason = reason
        self._changed(now)

    def corrected(
        self,
        *,
        number: str,
        issuer_registration_number: str,
        lines: Sequence[CorrectedLine],
        issue_date: date,
        due_date: date,
        recipient: dict[str, Any],
        consolidated_mailing: bool,
        now: datetime,
    ) -> Invoice:
        """The corrected invoice of this (voided) one: same member, service, usage period,
        payment method and issuer, the lines ops entered, referencing this one (R24).
        What was paid on this one is netted (R37): it counts as paid on the correction,
        which is ``paid`` at once when that covers its total (an excess is a refund due)."""
        corrected = Invoice.issue(
            number=number,
            issuer=self.issuer,
            issuer_registration_number=issuer_registration_number,
            member_id=self.member_id,
            service_id=self.service_id,
            service_name=self.service_name,
            usage_month=self.usage_month,
            period=(self.usage_period_start, self.usage_period_end),
            issue_date=issue_date,
            due_date=due_date,
            payment_method=self.payment_method,
            lines=[line.at(position) for position, line in enumerate(lines, start=1)],
            recipient=recipient,
            consolidated_mailing=consolidated_mailing,
            now=now,
            corrects_invoice_id=self.id,
            supplement_no=self.supplement_no,
        )
        if self.paid_amount:
            corrected.paid_amount = self.paid_amount
            if corrected.paid_amount >= corrected.total:
                corrected.status = "paid"
        return corrected

    def _recorded(
        self, kind: PaymentKind, amount: int, paid_on: date, actor: str, now: datetime
    ) -> Payment:
        payment = Payment(uuid.uuid4(), kind, amount, paid_on, actor, now)
        self.recorded_payments = (*self.recorded_payments, payment)
        self._changed(now)
        return payment

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
