"""``/internal/...``: service-to-service routes of billing (the gateway never routes them).

``GET /internal/invoices/{invoice_id}/pdf``: the invoice PDF, for notification to attach
to the invoice email of a withdrawn member, who can no longer log in (R41). The caller
shows ``Authorization: Bearer <BILLING_INTERNAL_TOKEN>``.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response

from billing.adapters.invoice_pdf import render_invoice_pdf
from billing.api.deps import SettingsDep, UowDep
from billing.service_layer import invoices
from servicekit.problems import Problem


async def _internal_caller(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Only a service holding the internal token may call (the network policy is the
    first fence; this is the second, for a PDF full of personal data)."""
    expected = f"Bearer {settings.internal_token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise Problem(
            401,
            "auth.internal_only",
            ja="サービス間の呼び出しにのみ応答します。",
            en="Only other bizmall services may call this.",
        )


router = APIRouter(prefix="/internal", tags=["internal"], dependencies=[Depends(_internal_caller)])


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_pdf(invoice_id: uuid.UUID, uow: UowDep, settings: SettingsDep) -> Response:
    """Any member's invoice as PDF, drawn as the member's own download is (R24, R41)."""
    async with uow:
        found = await invoices.get_invoice(uow=uow, invoice_id=invoice_id)
    pdf = await asyncio.to_thread(
        render_invoice_pdf,
        found,
        font_path=settings.invoice_font_path,
        font_fallback=settings.local_mode,
    )
    return Response(pdf, media_type="application/pdf")
