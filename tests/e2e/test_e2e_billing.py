"""Billing end to end (billing's Done-when), through the gateway: a member's service is
activated with an actual start date in last month, ops bill that ended month, the
member gets exactly one invoice and its email, reads the qualified invoice as a PDF
(R22–R25), nobody else can; billing the month again issues nothing new (R23)."""

from __future__ import annotations

import calendar
import io
import re
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from bizmall_testkit.data import last_month_start, simple_options, today_in_japan
from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

#: How long billing may take to learn of the member's account and contract (events).
EVENT_TIMEOUT = 60.0


def billable_service(services: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A service whose start month is charged (no free first month, a monthly fee) and
    whose order fields take simple values."""
    for service in services:
        if (
            simple_options(service["order_fields"]) is not None
            and not service["free_first_month"]
            and service["plans"][0]["monthly_fee"] > 0
        ):
            return service
    return None


def expected_total(plan: dict[str, Any], quantity: int, start: date) -> int:
    """R23: the start month by days used (rounded down), the initial fee, 10% tax once."""
    days = calendar.monthrange(start.year, start.month)[1]
    used = plan["monthly_fee"] * quantity * (days - start.day + 1) // days
    taxable = used + plan["initial_fee"]
    return taxable + taxable // 10


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def get_json(stack: Any, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    async with stack.http.get(path, headers=headers) as response:
        return response.status, await response.json()


async def test_r22_r25_an_ended_month_is_billed_once_emailed_and_read_as_a_pdf(
    stack: Any,
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    other = await stack.register_and_login(entity_type="corporation")
    service = billable_service(await stack.lineup())
    assert service is not None, "the demo lineup has no service billed from its start month"
    today = today_in_japan()
    # Ordering takes any actual start date, so the usage month can have ended already.
    start = last_month_start()
    month = f"{start:%Y-%m}"
    order = await stack.place_order(member, service)
    await stack.activate(order["id"], start)

    # The current month has not ended: ops cannot bill it yet.
    ops = await stack.ops_headers()
    async with stack.http.post(
        "/api/v1/ops/billing/runs", json={"month": f"{today:%Y-%m}"}, headers=ops
    ) as response:
        assert response.status == 422
        assert (await response.json())["code"] == "billing.month_not_ended"

    async def billed() -> list[dict[str, Any]] | None:
        # Billing learns of the contract from ordering's event; the run is idempotent,
        # so running until the invoice is there bills it once. (Billing's own scheduled
        # catch-up may get there first: the invoice is the same one either way.)
        await stack.run_billing(month)
        status, page = await get_json(stack, "/api/v1/invoices", member.headers)
        assert status == 200, page
        return page["items"] or None

    items = await eventually(billed, timeout=EVENT_TIMEOUT)
    (summary,) = items
    assert summary["service_id"] == service["id"]
    assert summary["usage_period_start"] == start.isoformat()
    assert summary["payment_method"] == "invoice"
    total = expected_total(service["plans"][0], service["order_unit"], start)
    assert summary["total"] == total

    # Billing the month again issues nothing new. (The shared stack's other contracts of
    # this month were activated before this test's, so billing, learning of contracts in
    # the order ordering publishes them, knew of them all when it billed this one.)
    again = await stack.run_billing(month)
    assert again["invoices_issued"] == 0
    status, page = await get_json(stack, "/api/v1/invoices", member.headers)
    assert [i["id"] for i in page["items"]] == [summary["id"]]
    status, listed = await get_json(
        stack, f"/api/v1/ops/billing/invoices?member_id={member.id}", ops
    )
    assert status == 200, listed
    assert [i["id"] for i in listed["items"]] == [summary["id"]]

    email = await stack.mail_to(
        member.email,
        lambda m: (
            m["Subject"].startswith("【bizmall】ご請求書発行のお知らせ")
            and summary["invoice_number"] in stack.text_of(m)
        ),
    )
    assert f"{total:,}円" in stack.text_of(email)
    assert f"/invoices/{summary['id']}" in stack.text_of(email)

    status, detail = await get_json(stack, f"/api/v1/invoices/{summary['id']}", member.headers)
    assert status == 200, detail
    registration = detail["issuer"]["registration_number"]
    assert re.fullmatch(r"T\d{13}", registration)
    async with stack.http.get(
        f"/api/v1/invoices/{summary['id']}/pdf", headers=member.headers
    ) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "application/pdf"
        content = await response.read()
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert re.findall(r"T\d{13}", text)[0] == registration
    assert summary["invoice_number"] in text
    assert f"¥{total:,}" in text
    assert "領収証" in text

    # R24: nobody else reads it, nor learns it exists.
    for path in (f"/api/v1/invoices/{summary['id']}", f"/api/v1/invoices/{summary['id']}/pdf"):
        status, problem = await get_json(stack, path, other.headers)
        assert status == 404
        assert problem["code"] == "billing.invoice_not_found"
    status, page = await get_json(stack, "/api/v1/invoices", other.headers)
    assert page["items"] == []
