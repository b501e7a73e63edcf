"""Request and response bodies of the billing API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from billing.domain.account_transfer import AccountTransfer, is_katakana_name
from billing.domain.billing_run import RunRecord
from billing.domain.invoice import Invoice, InvoiceLine, InvoiceStatus
from billing.domain.member_name import MemberName
from billing.service_layer.accounts import AccountWithTransfer
from bizmall_events import LocalizedText, PaymentMethod


class AccountTransferView(BaseModel):
    """An account-transfer application as its member (or ops) sees it: no full number."""

    id: uuid.UUID
    status: Literal["applied", "completed", "rejected"]
    bank_code: str
    branch_code: str
    account_type: Literal["ordinary", "current"]
    account_number_masked: str
    applied_at: datetime
    expected_completion_date: date
    decided_at: datetime | None = None
    reason: str | None = None

    @classmethod
    def of(cls, transfer: AccountTransfer) -> Self:
        return cls.model_validate(
            {**vars(transfer), "account_number_masked": transfer.masked_number}
        )


class OpsAccountTransferView(AccountTransferView):
    """An application in the ops list: whose it is (R30: organization and person, null
    only if billing has no copy of the member) and who decided it."""

    member_id: uuid.UUID
    member_organization_name: str | None = None
    member_name: str | None = None
    decided_by: str | None = None

    @classmethod
    def named(cls, transfer: AccountTransfer, names: Mapping[uuid.UUID, MemberName]) -> Self:
        view = cls.of(transfer)
        found = names.get(view.member_id)
        if found is not None:
            view.member_organization_name = found.organization_name
            view.member_name = found.name
        return view


class OpsAccountTransferPage(BaseModel):
    items: list[OpsAccountTransferView]
    next_cursor: str | None


class AccountView(BaseModel):
    """``GET /billing/account``: the payment method and the transfer application's state."""

    id: uuid.UUID
    member_id: uuid.UUID
    payment_method: PaymentMethod
    consolidated_mailing: bool
    account_transfer: AccountTransferView | None

    @classmethod
    def of(cls, found: AccountWithTransfer) -> AccountView:
        account, transfer = found.account, found.account_transfer
        return cls(
            id=account.id,
            member_id=account.member_id,
            payment_method=account.payment_method,
            consolidated_mailing=account.consolidated_mailing,
            account_transfer=AccountTransferView.of(transfer) if transfer else None,
        )


class PatchAccountBody(BaseModel):
    """``PATCH /billing/account``. Unknown fields are kept so card data can be recognised
    and refused (R21), never stored or echoed."""

    model_config = ConfigDict(extra="allow")

    payment_method: str | None = None


class AccountTransferBody(BaseModel):
    """``POST /billing/account-transfer``: the bank account to debit (R21)."""

    bank_code: str = Field(pattern=r"^\d{4}$", description="4-digit bank code (金融機関コード).")
    branch_code: str = Field(pattern=r"^\d{3}$", description="3-digit branch code (支店コード).")
    account_type: Literal["ordinary", "current"] = Field(description="普通 or 当座.")
    account_number: str = Field(pattern=r"^\d{7}$", description="7-digit account number.")
    holder_name_kana: str = Field(
        min_length=1, max_length=60, description="Holder name in full- or half-width katakana."
    )

    @field_validator("holder_name_kana")
    @classmethod
    def _katakana_only(cls, value: str) -> str:
        if not is_katakana_name(value):
            raise ValueError("the holder name must be written in katakana only")
        return value


class InvoiceLineView(BaseModel):
    position: int
    contract_id: uuid.UUID | None
    kind: str
    name: LocalizedText
    quantity: int
    unit_price: int
    amount: int
    tax_category: Literal["10%", "non_taxable"]
    period_start: date | None
    period_end: date | None

    @classmethod
    def of(cls, line: InvoiceLine) -> InvoiceLineView:
        return cls(
            position=line.position,
            contract_id=line.contract_id,
            kind=line.kind,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            period_start=line.period_start,
            period_end=line.period_end,
            name=LocalizedText.model_validate(line.plan_name),
            tax_category="10%" if line.taxable else "non_taxable",
        )


class TaxSubtotal(BaseModel):
    """Amounts of one tax category (R25)."""

    category: Literal["10%", "non_taxable"]
    subtotal: int
    tax: int


class InvoiceSummary(BaseModel):
    id: uuid.UUID
    invoice_number: str
    status: InvoiceStatus
    service_id: uuid.UUID
    service_name: LocalizedText
    usage_period_start: date
    usage_period_end: date
    issue_date: date
    due_date: date
    payment_method: PaymentMethod
    total: int
    paid_amount: int
    consolidated_mailing: bool
    corrects_invoice_id: uuid.UUID | None
    #: 0: the month's invoice; 1, 2, …: a supplementary invoice of the month (R37).
    supplement_no: int = 0
    #: The account-transfer debit failed (R35): the invoice is back on invoice payment,
    #: due on ``fallback_due_date`` (``due_date`` stays the printed one).
    transfer_failed: bool = False
    fallback_due_date: date | None = None

    @classmethod
    def of(cls, invoice: Invoice) -> Self:
        return cls.model_validate(invoice, from_attributes=True)


class OpsInvoiceSummary(InvoiceSummary):
    """An invoice in the ops list: which member it bills (R30: organization and person as
    billing's copy of the member says now, else as the invoice was addressed)."""

    member_id: uuid.UUID
    member_organization_name: str | None = None
    member_name: str | None = None

    @classmethod
    def named(cls, invoice: Invoice, names: Mapping[uuid.UUID, MemberName]) -> Self:
        view = cls.of(invoice)
        found = names.get(invoice.member_id)
        view.member_organization_name = (
            found.organization_name if found else invoice.recipient.get("organization_name")
        )
        view.member_name = found.name if found else invoice.recipient.get("name")
        return view


class OpsInvoicePage(BaseModel):
    items: list[OpsInvoiceSummary]
    next_cursor: str | None


class InvoiceView(InvoiceSummary):
    """One invoice with every qualified-invoice item (R25)."""

    issuer: dict[str, str]
    recipient: dict[str, Any]
    lines: list[InvoiceLineView]
    tax_subtotals: list[TaxSubtotal]
    taxable_subtotal: int
    non_taxable_subtotal: int
    tax: int
    void_reason: str | None

    @classmethod
    def of(cls, invoice: Invoice) -> Self:
        return cls.model_validate(
            {
                **vars(invoice),
                "lines": [InvoiceLineView.of(line) for line in invoice.lines],
                "tax_subtotals": [
                    TaxSubtotal(category="10%", subtotal=invoice.taxable_subtotal, tax=invoice.tax),
                    TaxSubtotal(
                        category="non_taxable", subtotal=invoice.non_taxable_subtotal, tax=0
                    ),
                ],
            }
        )


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    next_cursor: str | None


class RunBody(BaseModel):
    """``POST /ops/billing/runs``: the usage month to bill."""

    # 20xx: the business-day calendar of invoice dates covers 1949–2099 only.
    month: str = Field(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-04"])


class FailedGroupView(BaseModel):
    """A group a run could not bill, and why (retried by the next run)."""

    member_id: uuid.UUID
    service_id: uuid.UUID
    reason: str
    organization_name: str
    name: str


class RunView(BaseModel):
    """A background billing run and the progress it committed so far (R39)."""

    id: uuid.UUID
    month: str
    status: Literal["queued", "running", "done", "failed"]
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    #: How many times a worker started executing it (more than 1: resumed after a stop).
    attempts: int
    issue_date: date | None
    contracts_total: int
    contracts_done: int
    invoices_issued: int
    supplementary_issued: int
    contracts_waiting_for_account: int
    failed_groups: list[FailedGroupView]
    error: str | None

    @classmethod
    def of(cls, run: RunRecord) -> Self:
        return cls.model_validate(
            {
                **{name: getattr(run, name) for name in cls.model_fields if hasattr(run, name)},
                "month": str(run.usage),
                "failed_groups": [asdict(f) for f in run.failed_groups],
            }
        )


class RunPage(BaseModel):
    items: list[RunView]
    next_cursor: str | None


class DecisionBody(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class MailingBody(BaseModel):
    consolidated_mailing: bool


class PaymentBody(BaseModel):
    amount: int = Field(gt=0)
    paid_on: date


class FailedTransferBody(BaseModel):
    failed_on: date


class CorrectedLineBody(BaseModel):
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)
    taxable: bool = True
    contract_id: uuid.UUID | None = None
    kind: Literal["monthly_fee", "prorated_fee", "initial_fee", "termination_fee", "adjustment"] = (
        "adjustment"
    )


class CorrectionBody(BaseModel):
    """``POST /ops/billing/invoices/{id}/correct``: why, and the corrected lines."""

    reason: str = Field(min_length=1, max_length=500)
    lines: list[CorrectedLineBody] = Field(min_length=1)
