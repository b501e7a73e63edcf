"""``/api/v1/ops/billing/...``: billing runs, account-transfer decisions, payments,
corrections and consolidated mailing — every action audited (R29)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from billing.api.deps import SettingsDep, UowDep, UowFactoryDep
from billing.api.errors import export_month_required
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
    RunPage,
    RunView,
)
from billing.domain import accounting_export
from billing.domain.account_transfer import Decision, TransferStatus
from billing.domain.billing_month import UsageMonth
from billing.domain.invoice import CorrectedLine, InvoiceStatus
from billing.service_layer import accounts, billing_run, exports, invoices
from servicekit.auth import OpsOnly

router = APIRouter(prefix="/api/v1/ops/billing", tags=["ops: billing"])


@router.post("/runs", response_model=RunView, status_code=202)
async def run(body: RunBody, ops: OpsOnly, uow: UowDep) -> RunView:
    """Bill an ended usage month (R39): the run is queued for the billing worker and
    answered at once; follow it with ``GET /runs/{id}``. Idempotent: invoices already
    issued stay as they are, charges not billed yet go on supplementary invoices."""
    async with uow:
        queued = await billing_run.request_run(
            uow=uow, usage=UsageMonth.parse(body.month), actor=ops.subject
        )
    return RunView.of(queued)


@router.get("/runs", response_model=RunPage)
async def runs(
    ops: OpsOnly,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> RunPage:
    """Billing runs, newest first."""
    async with uow:
        page = await billing_run.list_runs(uow=uow, limit=limit, cursor=cursor)
    return RunPage(items=[RunView.of(r) for r in page.items], next_cursor=page.next_cursor)


@router.get("/runs/{run_id}", response_model=RunView)
async def run_progress(run_id: uuid.UUID, ops: OpsOnly, uow: UowDep) -> RunView:
    """A run with the progress committed so far: contracts done of total, invoices
    issued, failed groups with their reasons (R39)."""
    async with uow:
        found = await billing_run.get_run(uow=uow, run_id=run_id)
    return RunView.of(found)


@router.get("/account-transfers", response_model=OpsAccountTransferPage)
async def account_transfers(
    ops: OpsOnly,
    uow: UowDep,
    status: TransferStatus | None = None,
    member_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OpsAccountTransferPage:
    """Transfer applications, oldest first: ``status=applied`` is the queue to decide;
    ``member_id`` narrows to one member. Each names its member's organization and
    person (R30)."""
    async with uow:
        page = await accounts.list_account_transfers(
            uow=uow, status=status, limit=limit, cursor=cursor, member_id=member_id
        )
        names = await exports.member_names(uow=uow, member_ids=(t.member_id for t in page.items))
    return OpsAccountTransferPage(
        items=[OpsAccountTransferView.named(t, names) for t in page.items],
        next_cursor=page.next_cursor,
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


_ACCOUNTING_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of invoices (JSON), or with `Accept: text/csv` and `month` "
        "the accounting export (R38): UTF-8 with a BOM, CRLF, a header row, one row per "
        "invoice issued in the month by invoice number, no totals row; columns "
        + ", ".join(f"`{name}` ({label})" for name, label in accounting_export.COLUMNS)
        + ". Amounts are integer yen as on the invoice PDF; the 8% columns are 0 (nothing "
        "is sold at the reduced rate); void invoices are listed with status `void`.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


@router.get("/invoices", response_model=OpsInvoicePage, responses=_ACCOUNTING_CSV)
async def list_invoices(
    request: Request,
    ops: OpsOnly,
    uow: UowDep,
    uow_factory: UowFactoryDep,
    status: InvoiceStatus | None = None,
    member_id: uuid.UUID | None = None,
    month: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="`YYYY-MM`: only invoices issued in this month (Japan time); "
            "required for the CSV export.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Response | OpsInvoicePage:
    """Every member's invoices newest first, narrowed to a state, a member and/or an issue
    month, each naming its member's organization and person (R30). With
    `Accept: text/csv` and `month`: the month's accounting export, streamed (R38)."""
    issued_in = UsageMonth.parse(month) if month else None
    if _wants_csv(request):
        if issued_in is None:
            raise export_month_required()
        return StreamingResponse(
            exports.accounting_csv(uow_factory=uow_factory, month=issued_in),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="invoices-{issued_in}.csv"'},
        )
    async with uow:
        page = await invoices.list_invoices(
            uow=uow,
            member_id=member_id,
            status=status,
            issued_in=issued_in,
            limit=limit,
            cursor=cursor,
        )
        names = await exports.member_names(uow=uow, member_ids=(i.member_id for i in page.items))
    return OpsInvoicePage(
        items=[OpsInvoiceSummary.named(i, names) for i in page.items],
        next_cursor=page.next_cursor,
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
    invoice_id: uuid.UUID,
    body: FailedTransferBody,
    ops: OpsOnly,
    uow: UowDep,
    settings: SettingsDep,
) -> InvoiceView:
    """The account-transfer debit failed (recorded by hand; the bank's result file does
    it for a debit batch): the invoice falls back to invoice payment with a new due
    date and the member is emailed (R35)."""
    async with uow:
        failed = await invoices.record_failed_transfer(
            uow=uow,
            invoice_id=invoice_id,
            failed_on=body.failed_on,
            actor=ops.subject,
            fallback_business_days=settings.collection_fallback_business_days,
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
