"""Ending a contract by phone, end to end through the gateway (R31, R32): a corporation
orders the demo IoT SIM — a service not cancellable on the site — ops read the order
with its entered fields labelled, the member cannot cancel it on the site, ops quote
and end it with a reason, and the member gets the cancellation email with the end date
and R20's fee.

The final invoice with the fee is billing's (it bills the end month once that month has
ended, from the same ``ordering.contract.cancelled`` event); a stack running on today's
clock cannot reach it, so billing's own integration tests prove that part."""

from __future__ import annotations

from typing import Any

import pytest

from bizmall_testkit.data import today_in_japan

pytestmark = pytest.mark.integration


async def _json(stack: Any, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with stack.http.request(method, path, headers=headers, **kw) as response:
        return response.status, await response.json()


async def test_r32_ops_end_an_iot_sim_contract_by_phone_and_the_member_is_emailed(
    stack: Any,
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    service = await stack.service_by_slug("iot-sim")
    assert service["cancellable_on_site"] is False
    body = await stack.order_body(service, {"apn_name": "sensors.example"})
    body["options"]["delivery_date"] = body["desired_start_date"]
    status, order = await stack.order(member, body)
    assert status == 201, order
    ops = await stack.ops_headers()

    # R31: ops read what the member entered, labelled as the order form showed it.
    status, view = await _json(stack, "GET", f"/api/v1/ops/ordering/orders/{order['id']}", ops)
    assert status == 200, view
    labels = {f["name"]: (f["label"]["ja"], f["value"]) for f in view["entered_fields"]}
    assert labels["apn_name"] == ("APN名", "sensors.example")
    assert labels["delivery_date"][0] == "配送希望日"
    assert view["member"]["id"] == member.id

    today = today_in_japan()
    contract = await stack.activate(order["id"], today)
    path = f"/api/v1/ops/ordering/contracts/{contract['id']}"

    # R20: the site sends the member to the contact center ...
    status, refused = await _json(
        stack, "POST", f"/api/v1/contracts/{contract['id']}/cancel", member.headers, json={}
    )
    assert (status, refused["code"]) == (409, "contract.cancel_by_contact_center")
    # ... which ops are, for any service (R32); the member may not use the ops routes.
    status, _ = await _json(stack, "GET", f"{path}/cancellation-quote", member.headers)
    assert status == 403

    status, quote = await _json(stack, "GET", f"{path}/cancellation-quote", ops)
    assert status == 200, quote
    # Within the 6-month minimum term: the fixed 5,000 yen.
    assert quote["early_termination_fee"] == 5000
    reason = "お電話にて解約のお申し出"
    status, ended = await _json(
        stack,
        "POST",
        f"{path}/cancel",
        ops,
        json={"end_date": quote["end_date"], "reason": reason},
    )
    assert status == 200, ended
    assert (ended["cancelled_by"], ended["early_termination_fee"]) == ("ops", 5000)
    status, mine = await _json(stack, "GET", f"/api/v1/contracts/{contract['id']}", member.headers)
    assert (mine["end_date"], mine["early_termination_fee"]) == (quote["end_date"], 5000)

    email = await stack.mail_to(
        member.email, lambda m: m["Subject"].startswith("【bizmall】ご解約の受付")
    )
    text = stack.text_of(email)
    y, m, d = (int(part) for part in quote["end_date"].split("-"))
    assert f"{y}年{m}月{d}日" in text
    assert "5,000円（不課税）" in text
    assert reason not in text
