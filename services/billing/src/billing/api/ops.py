"""``/api/v1/ops/billing/...``: billing runs, account-transfer decisions, payments,
corrections and consolidated mailing — every action audited (R29)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from billing.api.deps import SettingsDep, UowDep, UowFactoryDep
from billing.api.schemas import (
    AccountTransferView,
    AccountView,
    CorrectionBody,
    DecisionBody,
    FailedTransferBody,
    InvoiceView,
    MailingBody,
    OpsAccountTransferPage,
    OpsAccountTransferView,
    OpsInvoicePage,
    OpsInvoiceSummary,
    PaymentBody,
    RunBody,
    RunView,
)
from billing.domain.account_transfer import Decision, TransferStatus
from billing.domain.billing_month import UsageMonth
from billing.domain.invoice import CorrectedLine, InvoiceStatus
from billing.service_layer import accounts, invoices
from billing.service_layer.billing_run import run_billing
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/billing", tags=["ops: billing"])


@router.post("/runs", response_model=RunView)
async def run(
    body: RunBody, ops: OpsOnly, uow_factory: UowFactoryDep, settings: SettingsDep
) -> RunView:
    """Bill an ended usage month now (idempotent: invoices already issued stay as they are)."""
    result = await run_billing(
        uow_factory=uow_factory,
        settings=settings,
        usage=UsageMonth.parse(body.month),
        actor=ops.subject,
    )
    return RunView(
        month=str(result.usage_month),
        issue_date=result.issue_date,
        invoices_issued=result.invoices_issued,
        contracts_waiting_for_account=result.contracts_waiting_for_account,
    )


@router.get("/account-transfers", response_model=OpsAccountTransferPage)
async def account_transfers(
    ops: OpsOnly,
    uow: UowDep,
    status: TransferStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsAccountTransferPage:
    """Transfer applications, oldest first: ``status=applied`` is the queue to decide."""
    async with uow:
        page = await accounts.list_account_transfers(
            uow=uow, status=status, limit=limit, cursor=cursor
        )
    return OpsAccountTransferPage(
        items=[OpsAccountTransferView.of(t) for t in page.items], next_cursor=page.next_cursor
    )


async def _decide_transfer(
    uow: UowDep, transfer_id: uuid.UUID, decision: Decision, reason: str | None, actor: str
) -> AccountTransferView:
    async with uow:
        transfer = await accounts.decide_account_transfer(
            uow=uow, transfer_id=transfer_id, decision=decision, reason=reason, actor=actor
        )
    return AccountTransferView.of(transfer)


@router.post("/account-transfers/{transfer_id}/complete", response_model=AccountTransferView)
async def complete_transfer(
    transfer_id: uuid.UUID, ops: OpsOnly, uow: UowDep
) -> AccountTransferView:
    """The bank confirmed the account: invoices from now on are debited (R21)."""
    return await _decide_transfer(uow, transfer_id, "completed", None, ops.subject)


@router.post("/account-transfers/{transfer_id}/reject", response_model=AccountTransferView)
async def reject_transfer(
    transfer_id: uuid.UUID, body: DecisionBody, ops: OpsOnly, uow: UowDep
) -> AccountTransferView:
    """The application failed; the member is told why and stays on invoice payment."""
    return await _decide_transfer(uow, transfer_id, "rejected", body.reason, ops.subject)


@router.put("/accounts/{member_id}/consolidated-mailing", response_model=AccountView)
async def consolidated_mailing(
    member_id: uuid.UUID, body: MailingBody, ops: OpsOnly, uow: UowDep
) -> AccountView:
    """Mark an account for consolidated mailing on the member's request (R22)."""
    async with uow:
        found = await accounts.set_consolidated_mailing(
            uow=uow, member_id=member_id, enabled=body.consolidated_mailing, actor=ops.subject
        )
    return AccountView.of(found)


@router.get("/invoices", response_model=OpsInvoicePage)
async def list_invoices(
    ops: OpsOnly,
    uow: UowDep,
    status: InvoiceStatus | None = None,
    member_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsInvoicePage:
    """Every member's invoices newest first, narrowed to a state and/or a member."""
    async with uow:
        page = await invoices.list_invoices(
            uow=uow, member_id=member_id, status=status, limit=limit, cursor=cursor
        )
    return OpsInvoicePage(
        items=[OpsInvoiceSummary.of(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceView)
async def invoice(invoice_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> InvoiceView:
    """Any member's invoice."""
    async with uow:
        found = await invoices.get_invoice(uow=uow, invoice_id=invoice_id)
    return InvoiceView.of(found)


@router.post("/invoices/{invoice_id}/payments", response_model=InvoiceView)
async def record_payment(
    invoice_id: uuid.UUID, body: PaymentBody, ops: OpsOnly, uow: UowDep
) -> InvoiceView:
    """Record a payment; partial payments add up, and the invoice is paid once covered."""
    async with uow:
        paid = await invoices.record_payment(
            uow=uow,
            invoice_id=invoice_id,
            amount=body.amount,
            paid_on=body.paid_on,
            actor=ops.subject,
        )
    return InvoiceView.of(paid)


@router.post("/invoices/{invoice_id}/failed-transfer", response_model=InvoiceView)
async def failed_transfer(
    invoice_id: uuid.UUID, body: FailedTransferBody, ops: OpsOnly, uow: UowDep
) -> InvoiceView:
    """The account-transfer debit failed: the invoice is not settled on its transfer date."""
    async with uow:
        failed = await invoices.record_failed_transfer(
            uow=uow, invoice_id=invoice_id, failed_on=body.failed_on, actor=ops.subject
        )
    return InvoiceView.of(failed)


@router.post("/invoices/{invoice_id}/correct", response_model=InvoiceView, status_code=201)
async def correct(
    invoice_id: uuid.UUID,
    body: CorrectionBody,
    ops: OpsOnly,
    uow: UowDep,
    settings: SettingsDep,
) -> InvoiceView:
    """Void the invoice and issue the corrected one referencing it (R24); answers the
    corrected invoice."""
    async with uow:
        corrected = await invoices.void_and_correct(
            uow=uow,
            invoice_id=invoice_id,
            reason=body.reason,
            lines=[CorrectedLine(**line.model_dump()) for line in body.lines],
            actor=ops.subject,
            settings=settings,
        )
    return InvoiceView.of(corrected)
