"""The order journey end to end (ordering's Done-when), through the gateway: a
verified corporation orders a demo service, gets the confirmation email whose
inquiry link works, ops accept, provision and activate it, the activation notice
arrives and the contract shows on My Page. Also R12, R14 and R15 as a member
meets them through the gateway."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bizmall_testkit.data import simple_options
from ordering.config import Settings as OrderingSettings

pytestmark = pytest.mark.integration

#: What ordering tells a member to call about (its local-mode default; the stack sets none).
CONTACT_PHONE = OrderingSettings.model_fields["contact_center_phone"].default


async def first_start_date(stack: Any, service_id: str) -> str:
    async with stack.http.get(f"/api/v1/services/{service_id}/start-dates") as response:
        assert response.status == 200, await response.text()
        calendar = await response.json()
    assert calendar["dates"][0] == calendar["earliest"]
    return str(calendar["dates"][0])


async def order_body(stack: Any, service: dict[str, Any], **changes: Any) -> dict[str, Any]:
    options = simple_options(service["order_fields"])
    assert options is not None, service["slug"]
    body = {
        "service_id": service["id"],
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": service["order_unit"],
        "desired_start_date": await first_start_date(stack, service["id"]),
        "options": options,
    }
    return {**body, **changes}


def error_codes(problem: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {error["code"]: error for error in problem.get("errors", [])}


async def test_a_corporation_orders_and_the_service_is_activated(stack: Any) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    service = next(
        s
        for s in await stack.lineup()
        if s["activation_notice"]["kind"] == "on_activation"
        and simple_options(s["order_fields"]) is not None
    )
    body = await order_body(stack, service)

    key = str(uuid.uuid4())
    status, order = await stack.order(member, body, key=key)
    assert status == 201, order
    assert order["status"] == "received"
    assert order["service_id"] == service["id"]
    assert order["options"] == body["options"]
    order_id = order["id"]
    # A retried request (the same key through the gateway) gets the same order back.
    headers = {**member.headers, "Idempotency-Key": key}
    async with stack.http.post("/api/v1/orders", json=body, headers=headers) as response:
        assert response.status == 200
        assert response.headers["Idempotent-Replayed"] == "true"
        assert (await response.json())["id"] == order_id

    # The confirmation email, with the inquiry form bound to this order (R19).
    confirmation = await stack.mail_to(
        member.email,
        lambda m: (
            m["Subject"].startswith("【bizmall】ご注文を受け付けました")
            and order_id in stack.text_of(m)
        ),
    )
    assert order["inquiry_reference"] in stack.text_of(confirmation)
    link = stack.link_query(confirmation, "/inquiries/new")
    assert link == {"order_id": order_id}
    inquiry = {
        "category": "order",
        "subject": "開始日について",
        "body": "開始日を確認させてください。",
        "order_id": link["order_id"],
    }
    async with stack.http.post("/api/v1/inquiries", json=inquiry, headers=member.headers) as r:
        assert r.status == 201, await r.text()
        assert (await r.json())["order_id"] == order_id

    # R15: another member neither sees nor learns of the order.
    other = await stack.register_and_login(entity_type="corporation")
    async with stack.http.get(f"/api/v1/orders/{order_id}", headers=other.headers) as response:
        problem = await response.json()
    assert response.status == 404
    assert problem["code"] == "order.not_found"
    async with stack.http.get("/api/v1/orders", headers=other.headers) as response:
        assert [o["id"] for o in (await response.json())["items"]] == []

    # Ops move it along.
    ops = await stack.ops_headers()
    ops_path = f"/api/v1/ops/ordering/orders/{order_id}"
    for action, expected in (("accept", "accepted"), ("start-provisioning", "provisioning")):
        async with stack.http.post(f"{ops_path}/{action}", headers=ops) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["status"] == expected
    start_date = order["planned_start_date"]
    async with stack.http.post(
        f"{ops_path}/activate", json={"start_date": start_date}, headers=ops
    ) as response:
        assert response.status == 200, await response.text()
        activation = await response.json()
    assert activation["order"]["status"] == "active"

    notice = await stack.mail_to(
        member.email, lambda m: m["Subject"].startswith("【bizmall】開通のお知らせ")
    )
    assert order_id in stack.text_of(notice)
    assert "以下のサービスが開通しました。" in stack.text_of(notice)

    async with stack.http.get("/api/v1/contracts", headers=member.headers) as response:
        assert response.status == 200
        contracts = (await response.json())["items"]
    assert [(c["order_id"], c["start_date"], c["status"]) for c in contracts] == [
        (order_id, start_date, "active")
    ]
    async with stack.http.get(f"/api/v1/orders/{order_id}", headers=member.headers) as response:
        history = [step["status"] for step in (await response.json())["status_history"]]
    assert history == ["received", "accepted", "provisioning", "active"]
    async with stack.http.get("/api/v1/contracts", headers=other.headers) as response:
        assert (await response.json())["items"] == []


async def test_a_sole_proprietor_is_refused_a_corporations_only_service(stack: Any) -> None:
    member = await stack.register_and_login(entity_type="sole_proprietor")
    service = next(
        s
        for s in await stack.lineup()
        if s["requires_corporation"] and simple_options(s["order_fields"]) is not None
    )

    status, problem = await stack.order(member, await order_body(stack, service))

    assert status == 422, problem
    assert problem["code"] == "order.invalid"
    assert list(error_codes(problem)) == ["order.requires_corporation"]
    assert "法人のお客さま専用" in problem["detail"]
    async with stack.http.get("/api/v1/orders", headers=member.headers) as response:
        assert (await response.json())["items"] == []


@pytest.mark.parametrize("takes_phone_orders", [True, False])
async def test_an_over_limit_quantity_is_refused_with_the_phone_where_it_helps(
    stack: Any, takes_phone_orders: bool
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    service = next(
        s
        for s in await stack.lineup()
        if s["takes_phone_orders"] is takes_phone_orders
        and simple_options(s["order_fields"]) is not None
    )
    over = service["max_quantity_per_order"] + service["order_unit"]
    body = await order_body(stack, service, quantity=over)

    status, problem = await stack.order(member, body)

    assert status == 422, problem
    error = error_codes(problem)["order.quantity_over_limit"]
    assert list(error_codes(problem)) == ["order.quantity_over_limit"]
    assert error["field"] == "quantity"
    assert f"{service['max_quantity_per_order']}まで" in error["message"]
    assert (CONTACT_PHONE in error["message"]) is takes_phone_orders
    assert (CONTACT_PHONE in problem["detail"]) is takes_phone_orders
