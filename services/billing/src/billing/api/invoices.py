"""``/api/v1/invoices``: a member's own invoices and their PDFs (R24, R25)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from billing.adapters.invoice_pdf import render_invoice_pdf
from billing.api.deps import MemberIdDep, SettingsDep, UowDep
from billing.api.schemas import InvoicePage, InvoiceSummary, InvoiceView
from billing.service_layer import invoices

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


@router.get("", response_model=InvoicePage)
async def list_invoices(
    member_id: MemberIdDep,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> InvoicePage:
    """The member's own invoices, newest first."""
    async with uow:
        page = await invoices.list_invoices(
            uow=uow, member_id=member_id, limit=limit, cursor=cursor
        )
    return InvoicePage(
        items=[InvoiceSummary.of(i) for i in page.items], next_cursor=page.next_cursor
    )


@router.get("/{invoice_id}", response_model=InvoiceView)
async def get_invoice(invoice_id: uuid.UUID, member_id: MemberIdDep, uow: UowDep) -> InvoiceView:
    """One of the member's invoices (404 for anyone else's)."""
    async with uow:
        found = await invoices.get_invoice(uow=uow, invoice_id=invoice_id, member_id=member_id)
    return InvoiceView.of(found)


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def get_invoice_pdf(
    invoice_id: uuid.UUID, member_id: MemberIdDep, uow: UowDep, settings: SettingsDep
) -> Response:
    """The invoice as a Japanese PDF with its receipt slip, or for account transfer the
    transfer notice with its receipt (R24). Own invoices only."""
    async with uow:
        found = await invoices.get_invoice(uow=uow, invoice_id=invoice_id, member_id=member_id)
    # Drawing takes a few milliseconds of CPU: keep the event loop free meanwhile.
    pdf = await asyncio.to_thread(
        render_invoice_pdf,
        found,
        font_path=settings.invoice_font_path,
        font_fallback=settings.local_mode,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{found.invoice_number}.pdf"'},
    )
