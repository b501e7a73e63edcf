"""Billing end to end (billing's Done-when), through the gateway: a member's service is
activated with an actual start date in last month, ops bill that ended month, the
member gets exactly one invoice and its email, reads the qualified invoice as a PDF
(R22–R25), nobody else can; billing the month again issues nothing new (R23)."""

from __future__ import annotations

import calendar
import io
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from jpcalendar import first_business_day_on_or_after, to_jst
from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

#: How long billing may take to learn of the member's account and contract (events).
EVENT_TIMEOUT = 60.0


def last_month(today: date) -> date:
    """The first day of the month before ``today``'s."""
    return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)


def simple_options(order_fields: dict[str, Any]) -> dict[str, Any] | None:
    """Values for the required order fields, or None when one is a free-form string."""
    options: dict[str, Any] = {}
    for name in order_fields.get("required", []):
        spec = order_fields["properties"][name]
        if "enum" in spec:
            options[name] = spec["enum"][0]
        elif spec["type"] == "integer":
            options[name] = spec.get("minimum", 1)
        elif spec["type"] == "boolean":
            options[name] = True
        else:
            return None
    return options


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


async def lineup(stack: Any) -> list[dict[str, Any]]:
    status, page = await get_json(stack, "/api/v1/services?limit=100", {})
    assert status == 200, page
    services = []
    for summary in page["items"]:
        status, service = await get_json(stack, f"/api/v1/services/{summary['id']}", {})
        assert status == 200, service
        services.append(service)
    return services


async def activate_in(stack: Any, member: Any, service: dict[str, Any], start: date) -> str:
    """Order ``service`` for ``member``, then ops accept, provision and activate it on
    ``start``; returns the order id."""
    async with stack.http.get(f"/api/v1/services/{service['id']}/start-dates") as response:
        desired = (await response.json())["earliest"]
    body = {
        "service_id": service["id"],
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": service["order_unit"],
        "desired_start_date": desired,
        "options": simple_options(service["order_fields"]),
    }
    headers = {**member.headers, "Idempotency-Key": str(uuid.uuid4())}

    async def place() -> dict[str, Any] | None:
        # Ordering learns the demo lineup from catalog's events; until then it answers
        # order.service_unavailable, and only that answer is retried.
        async with stack.http.post("/api/v1/orders", json=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
        if [e.get("code") for e in answer.get("errors", [])] == ["order.service_unavailable"]:
            return None
        assert response.status == 201, answer
        return answer

    order: dict[str, Any] = await eventually(place, timeout=30)
    ops = await stack.ops_headers()
    path = f"/api/v1/ops/ordering/orders/{order['id']}"
    for action in ("accept", "start-provisioning"):
        async with stack.http.post(f"{path}/{action}", headers=ops) as response:
            assert response.status == 200, await response.text()
    async with stack.http.post(
        f"{path}/activate", json={"start_date": start.isoformat()}, headers=ops
    ) as response:
        activation = await response.json()
        assert response.status == 200, activation
    assert activation["contract"]["start_date"] == start.isoformat()
    order_id: str = order["id"]
    return order_id


async def run_month(stack: Any, month: str) -> dict[str, Any]:
    """``POST /ops/billing/runs`` through the gateway."""
    ops = await stack.ops_headers()
    async with stack.http.post(
        "/api/v1/ops/billing/runs", json={"month": month}, headers=ops
    ) as response:
        answer: dict[str, Any] = await response.json()
        assert response.status == 200, answer
    return answer


async def test_r22_r25_an_ended_month_is_billed_once_emailed_and_read_as_a_pdf(
    stack: Any,
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    other = await stack.register_and_login(entity_type="corporation")
    service = billable_service(await lineup(stack))
    assert service is not None, "the demo lineup has no service billed from its start month"
    today = to_jst(datetime.now(UTC)).date()
    # Ordering takes any actual start date, so the usage month can have ended already.
    start = first_business_day_on_or_after(last_month(today))
    month = f"{start:%Y-%m}"
    await activate_in(stack, member, service, start)

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
        await run_month(stack, month)
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

    # Billing the month again issues nothing new.
    again = await run_month(stack, month)
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
