"""Billing's ``/internal`` route for notification (R41): any member's invoice PDF, only to a
caller holding the internal token; the gateway never forwards ``/internal`` (security suite)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any


async def test_r41_the_internal_invoice_pdf_needs_the_internal_token(billing: Any) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2026, 8, 1))
    billing.pin(date(2026, 9, 15))
    await billing.run("2026-08")
    (item,) = await billing.invoices_of(member_id)
    path = f"/internal/invoices/{item['id']}/pdf"
    token = billing.settings.internal_token.get_secret_value()

    answer = await billing.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")

    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        billing.member(member_id),  # a member's own access token is no internal token
        billing.ops_headers(),
    ):
        refused = await billing.client.get(path, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json()["code"] == "auth.internal_only"

    unknown = await billing.client.get(
        f"/internal/invoices/{uuid.uuid4()}/pdf", headers={"Authorization": f"Bearer {token}"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "billing.invoice_not_found"
