"""``/api/v1/ops/billing/...``: billing runs, account-transfer decisions, payments,
corrections and consolidated mailing — every action audited (R29)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from billing.api.deps import ClockDep, RuntimeDep, SettingsDep
from billing.api.schemas import (
    AccountTransferView,
    AccountView,
    CorrectionBody,
    DecisionBody,
    FailedTransferBody,
    InvoiceStatus,
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
from billing.domain.account_transfer import TransferStatus
from billing.domain.billing_month import UsageMonth
from billing.service_layer import accounts, invoices
from billing.service_layer.billing_run import run_billing
from servicekit.auth import OpsOnly
from servicekit.clock import japan_today
from servicekit.problems import Problem, refusing_invalid_cursors

router = APIRouter(prefix="/api/v1/ops/billing", tags=["ops: billing"])


@router.post("/runs", response_model=RunView)
async def run(
    body: RunBody, ops: OpsOnly, runtime: RuntimeDep, settings: SettingsDep, clock: ClockDep
) -> RunView:
    """Bill an ended usage month now (idempotent: invoices already issued stay as they are)."""
    now = clock()
    today = japan_today(now)
    usage = UsageMonth.parse(body.month)
    if usage >= UsageMonth.of(today):
        raise Problem(
            422,
            "billing.month_not_ended",
            ja="利用月が終了していないため請求できません。",
            en="A usage month is billed once it has ended.",
        )
    result = await run_billing(
        uow_factory=runtime.uow, settings=settings, usage=usage, now=now, today=today
    )
    async with runtime.uow() as uow:
        uow.audit(
            actor=ops.subject,
            action="billing.run",
            target=str(usage),
            invoices_issued=result.invoices_issued,
        )
        await uow.commit()
    return RunView(
        month=str(usage),
        issue_date=result.issue_date,
        invoices_issued=result.invoices_issued,
        contracts_waiting_for_account=result.contracts_waiting_for_account,
    )


@router.get("/account-transfers", response_model=OpsAccountTransferPage)
async def account_transfers(
    ops: OpsOnly,
    runtime: RuntimeDep,
    status: TransferStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsAccountTransferPage:
    """Transfer applications, oldest first: ``status=applied`` is the queue to decide."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            rows, next_cursor = await accounts.list_account_transfers(
                session=session, status=status, limit=limit, cursor=cursor
            )
    return OpsAccountTransferPage(
        items=[OpsAccountTransferView.of(r) for r in rows], next_cursor=next_cursor
    )


async def _decide_transfer(
    runtime: RuntimeDep,
    transfer_id: uuid.UUID,
    decision: Literal["completed", "rejected"],
    reason: str | None,
    actor: str,
    now: datetime,
) -> AccountTransferView:
    async with runtime.uow() as uow:
        row = await accounts.decide_account_transfer(
            uow=uow, transfer_id=transfer_id, decision=decision, reason=reason, actor=actor, now=now
        )
    return AccountTransferView.of(row)


@router.post("/account-transfers/{transfer_id}/complete", response_model=AccountTransferView)
async def complete_transfer(
    transfer_id: uuid.UUID, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> AccountTransferView:
    """The bank confirmed the account: invoices from now on are debited (R21)."""
    return await _decide_transfer(runtime, transfer_id, "completed", None, ops.subject, clock())


@router.post("/account-transfers/{transfer_id}/reject", response_model=AccountTransferView)
async def reject_transfer(
    transfer_id: uuid.UUID, body: DecisionBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> AccountTransferView:
    """The application failed; the member is told why and stays on invoice payment."""
    return await _decide_transfer(
        runtime, transfer_id, "rejected", body.reason, ops.subject, clock()
    )


@router.put("/accounts/{member_id}/consolidated-mailing", response_model=AccountView)
async def consolidated_mailing(
    member_id: uuid.UUID, body: MailingBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> AccountView:
    """Mark an account for consolidated mailing on the member's request (R22)."""
    async with runtime.uow() as uow:
        await accounts.set_consolidated_mailing(
            uow=uow,
            member_id=member_id,
            enabled=body.consolidated_mailing,
            actor=ops.subject,
            now=clock(),
        )
    async with runtime.sessions() as session:
        found = await accounts.get_account(session=session, member_id=member_id)
    if found is None:
        raise accounts.account_not_found()
    return AccountView.of(found)


async def _invoice_view(runtime: RuntimeDep, invoice_id: uuid.UUID) -> InvoiceView:
    async with runtime.sessions() as session:
        found = await invoices.get_invoice(session=session, invoice_id=invoice_id)
    if found is None:
        raise invoices.invoice_not_found()
    return InvoiceView.of(found)


@router.get("/invoices", response_model=OpsInvoicePage)
async def list_invoices(
    ops: OpsOnly,
    runtime: RuntimeDep,
    status: InvoiceStatus | None = None,
    member_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsInvoicePage:
    """Every member's invoices newest first, narrowed to a state and/or a member."""
    async with runtime.sessions() as session:
        with refusing_invalid_cursors():
            rows, next_cursor = await invoices.list_invoices(
                session=session, member_id=member_id, status=status, limit=limit, cursor=cursor
            )
    return OpsInvoicePage(items=[OpsInvoiceSummary.of(r) for r in rows], next_cursor=next_cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceView)
async def invoice(invoice_id: uuid.UUID, ops: OpsOnly, runtime: RuntimeDep) -> InvoiceView:
    """Any member's invoice."""
    return await _invoice_view(runtime, invoice_id)


@router.post("/invoices/{invoice_id}/payments", response_model=InvoiceView)
async def record_payment(
    invoice_id: uuid.UUID, body: PaymentBody, ops: OpsOnly, runtime: RuntimeDep, clock: ClockDep
) -> InvoiceView:
    """Record a payment; partial payments add up, and the invoice is paid once covered."""
    async with runtime.uow() as uow:
        await invoices.record_payment(
            uow=uow,
            invoice_id=invoice_id,
            amount=body.amount,
            paid_on=body.paid_on,
            actor=ops.subject,
            now=clock(),
        )
    return await _invoice_view(runtime, invoice_id)


@router.post("/invoices/{invoice_id}/failed-transfer", response_model=InvoiceView)
async def failed_transfer(
    invoice_id: uuid.UUID,
    body: FailedTransferBody,
    ops: OpsOnly,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> InvoiceView:
    """The account-transfer debit failed: the invoice is not settled on its transfer date."""
    async with runtime.uow() as uow:
        await invoices.record_failed_transfer(
            uow=uow,
            invoice_id=invoice_id,
            failed_on=body.failed_on,
            actor=ops.subject,
            now=clock(),
        )
    return await _invoice_view(runtime, invoice_id)


@router.post("/invoices/{invoice_id}/correct", response_model=InvoiceView, status_code=201)
async def correct(
    invoice_id: uuid.UUID,
    body: CorrectionBody,
    ops: OpsOnly,
    runtime: RuntimeDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> InvoiceView:
    """Void the invoice and issue the corrected one referencing it (R24); answers the
    corrected invoice."""
    now = clock()
    async with runtime.uow() as uow:
        head = await invoices.void_and_correct(
            uow=uow,
            invoice_id=invoice_id,
            reason=body.reason,
            lines=[invoices.CorrectedLine(**line.model_dump()) for line in body.lines],
            actor=ops.subject,
            now=now,
            today=japan_today(now),
            settings=settings,
        )
    return await _invoice_view(runtime, head["id"])
