"""After placing: purchase history (R15), document review (R12), ops progression and
contracts (R17, R29), activation notices (R18), cancellation (R20), withdrawal (R11)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from jpcalendar import JST, subtract_business_days
from ordering.service_layer import notices
from servicekit.audit import AuditRecord

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
START = date(2026, 6, 8)


async def _activate(ordering: Any, order_id: str, start: str = "2026-06-08") -> dict[str, Any]:
    assert (await ordering.ops(order_id, "accept")).status_code == 200
    assert (await ordering.ops(order_id, "start-provisioning")).status_code == 200
    activated = await ordering.ops(order_id, "activate", {"start_date": start})
    assert activated.status_code == 200, activated.text
    result: dict[str, Any] = activated.json()
    return result


async def test_r15_history_lists_own_orders_newest_first_and_a_colleagues_is_404(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    me, colleague = uuid.uuid4(), uuid.uuid4()
    mine = []
    for minute in range(3):
        ordering.pin(NOW + timedelta(minutes=minute))
        mine.append(await ordering.place(me, snapshot, START))
    theirs = await ordering.place(colleague, snapshot, START)

    first = await ordering.client.get("/api/v1/orders?limit=2", headers=ordering.member(me))
    page = first.json()
    assert [o["id"] for o in page["items"]] == [mine[2]["id"], mine[1]["id"]]
    second = await ordering.client.get(
        "/api/v1/orders",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=ordering.member(me),
    )
    assert [o["id"] for o in second.json()["items"]] == [mine[0]["id"]]
    assert second.json()["next_cursor"] is None
    assert second.json()["items"][0]["status_history"][0]["status"] == "received"

    other = await ordering.client.get(f"/api/v1/orders/{theirs['id']}", headers=ordering.member(me))
    assert other.status_code == 404
    assert other.json()["code"] == "order.not_found"
    bad = await ordering.client.get(
        "/api/v1/orders", params={"cursor": "nonsense"}, headers=ordering.member(me)
    )
    assert bad.status_code == 422


async def test_r12_sole_proprietor_waits_for_an_approved_document(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id, entity_type="sole_proprietor")
    order = await ordering.place(member_id, snapshot, START)
    assert order["status"] == "awaiting_documents"
    [placed] = await ordering.outbox("ordering.order.placed", order_id=order["id"])
    assert placed["status"] == "awaiting_documents"

    await ordering.review_document(member_id, "rejected", reason="裏面が写っています")
    waiting = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert waiting.json()["status"] == "awaiting_documents"
    accept_too_early = await ordering.ops(order["id"], "accept")
    assert accept_too_early.status_code == 409

    await ordering.review_document(member_id, "approved")
    released = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert released.json()["status"] == "received"
    assert [h["status"] for h in released.json()["status_history"]] == [
        "awaiting_documents",
        "received",
    ]
    # Once approved, the next order goes straight to review.
    assert (await ordering.place(member_id, snapshot, START))["status"] == "received"


async def test_r12_order_still_waiting_30_days_after_ordering_is_rejected(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    # No member copy yet: the token says sole proprietor, so the order waits.
    order = await ordering.place(
        member_id, snapshot, START, claims={"entity_type": "sole_proprietor"}
    )
    assert order["status"] == "awaiting_documents"

    async def run_job_at(moment: datetime) -> None:
        ordering.pin(moment)
        async with ordering.runtime.uow() as uow:
            await notices.reject_orders_without_documents(uow=uow, wait_days=30)

    await run_job_at(NOW + timedelta(days=30) - timedelta(minutes=1))
    still = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert still.json()["status"] == "awaiting_documents"

    await run_job_at(NOW + timedelta(days=30))
    rejected = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert rejected.json()["status"] == "rejected"
    assert "30日" in rejected.json()["reason"]
    [event] = await ordering.outbox("ordering.order.rejected", order_id=order["id"])
    assert "30" in event["reason"]


async def test_ops_flow_to_active_opens_a_contract_the_member_sees(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START, quantity=3)

    member_try = await ordering.client.post(
        f"/api/v1/ops/ordering/orders/{order['id']}/accept", headers=ordering.member(member_id)
    )
    assert member_try.status_code == 403
    listed = await ordering.client.get(
        "/api/v1/ops/ordering/orders",
        params={"status": "received", "limit": 200},
        headers=ordering.tokens.ops(),
    )
    assert order["id"] in {o["id"] for o in listed.json()["items"]}

    hold = await ordering.ops(order["id"], "hold", {"reason": "設置先住所に番地がありません"})
    assert hold.json()["status"] == "on_hold"
    seen = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert seen.json()["reason"] == "設置先住所に番地がありません"
    [held] = await ordering.outbox("ordering.order.on_hold", order_id=order["id"])
    assert held["reason"] == "設置先住所に番地がありません"
    # A date beyond the holiday calendar's years is no business day (422, not a 500).
    beyond = await ordering.ops(order["id"], "release", {"planned_start_date": "2150-01-05"})
    assert (beyond.status_code, beyond.json()["code"]) == (422, "order.not_a_business_day")
    release = await ordering.ops(order["id"], "release", {"planned_start_date": "2026-06-15"})
    assert (release.json()["status"], release.json()["planned_start_date"]) == (
        "received",
        "2026-06-15",
    )

    activation = await _activate(ordering, order["id"], start="2026-06-16")
    contract = activation["contract"]
    assert activation["order"]["status"] == "active"
    assert (contract["planned_start_date"], contract["start_date"]) == ("2026-06-15", "2026-06-16")
    assert contract["terms"]["monthly_fee"] == 3000

    mine = await ordering.client.get("/api/v1/contracts", headers=ordering.member(member_id))
    assert [c["id"] for c in mine.json()["items"]] == [contract["id"]]
    one = await ordering.client.get(
        f"/api/v1/contracts/{contract['id']}", headers=ordering.member(member_id)
    )
    assert one.json()["status"] == "active"
    stranger = await ordering.client.get(
        f"/api/v1/contracts/{contract['id']}", headers=ordering.member(uuid.uuid4())
    )
    assert stranger.status_code == 404

    [activated] = await ordering.outbox("ordering.contract.activated", order_id=order["id"])
    assert activated["start_date"] == "2026-06-16" and activated["quantity"] == 3
    assert await ordering.outbox("ordering.order.accepted", order_id=order["id"])
    async with ordering.runtime.sessions() as session:
        actions = set(
            (
                await session.execute(
                    sa.select(AuditRecord.action).where(AuditRecord.target == order["id"])
                )
            ).scalars()
        )
    assert actions == {
        "order.hold",
        "order.release",
        "order.accept",
        "order.start_provisioning",
        "order.activate",
    }
    again = await ordering.ops(order["id"], "activate", {"start_date": "2026-06-16"})
    assert again.status_code == 409
    assert again.json()["code"] == "order.invalid_transition"


async def test_ops_reject_with_reason_the_member_reads(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START)
    rejected = await ordering.ops(order["id"], "reject", {"reason": "提供エリア外です"})
    assert rejected.json()["status"] == "rejected"
    seen = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert seen.json()["reason"] == "提供エリア外です"
    assert (await ordering.ops(order["id"], "reject", {"reason": "x"})).status_code == 409
    missing = await ordering.ops(str(uuid.uuid4()), "accept")
    assert missing.status_code == 404


async def test_r18_on_activation_notice_is_published_once_at_activation(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(activation_notice={"kind": "on_activation"})
    order = await ordering.place(uuid.uuid4(), snapshot, START)
    await ordering.ops(order["id"], "accept")
    assert await ordering.outbox("ordering.activation_notice.due", order_id=order["id"]) == []
    activation = await _activate_from_accepted(ordering, order["id"])
    async with ordering.runtime.uow() as uow:
        await notices.issue_due_activation_notices(uow=uow)
    [notice] = await ordering.outbox("ordering.activation_notice.due", order_id=order["id"])
    assert notice["contract_id"] == activation["contract"]["id"]
    assert notice["timing"] == {"kind": "on_activation"}


async def _activate_from_accepted(ordering: Any, order_id: str) -> dict[str, Any]:
    activated = await ordering.ops(order_id, "activate", {"start_date": "2026-06-08"})
    assert activated.status_code == 200, activated.text
    result: dict[str, Any] = activated.json()
    return result


async def test_r18_notice_n_business_days_before_the_start_is_published_once_when_due(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(
        activation_notice={"kind": "business_days_before_start", "business_days": 3}
    )
    start = date(2026, 6, 22)
    due_on = subtract_business_days(start, 3)
    order = await ordering.place(uuid.uuid4(), snapshot, start)
    await ordering.ops(order["id"], "accept")

    async def tick(day: date) -> int:
        ordering.pin(datetime(day.year, day.month, day.day, 9, 0, tzinfo=JST))
        async with ordering.runtime.uow() as uow:
            return await notices.issue_due_activation_notices(uow=uow)

    await tick(due_on - timedelta(days=1))
    assert await ordering.outbox("ordering.activation_notice.due", order_id=order["id"]) == []
    await tick(due_on)
    await tick(due_on + timedelta(days=2))  # a later tick (or catching up) sends nothing more
    [notice] = await ordering.outbox("ordering.activation_notice.due", order_id=order["id"])
    assert notice["planned_start_date"] == "2026-06-22"
    assert notice["timing"] == {"kind": "business_days_before_start", "business_days": 3}
    assert notice["contract_id"] is None


async def test_r18_a_worker_that_was_down_catches_up_on_missed_notices(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(
        activation_notice={"kind": "business_days_before_start", "business_days": 2}
    )
    order = await ordering.place(uuid.uuid4(), snapshot, START)
    await ordering.ops(order["id"], "accept")
    # Nobody ran the job until after the start date.
    ordering.pin(datetime(2026, 6, 10, 9, 0, tzinfo=JST))
    async with ordering.runtime.uow() as uow:
        await notices.issue_due_activation_notices(uow=uow)
    assert len(await ordering.outbox("ordering.activation_notice.due", order_id=order["id"])) == 1


async def test_r20_quote_and_cancel_on_the_site(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(
        cancellable_on_site=True,
        early_termination={"kind": "remaining_months"},
        minimum_term_months=12,
    )
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START, quantity=2)
    contract = (await _activate(ordering, order["id"], start="2026-06-08"))["contract"]
    # Term 8 June 2026 – 7 June 2027; ending in September leaves Oct–Jun: 9 months.
    ordering.pin(datetime(2026, 9, 1, 10, 0, tzinfo=JST))
    quote = await ordering.client.get(
        f"/api/v1/contracts/{contract['id']}/cancellation-quote",
        headers=ordering.member(member_id),
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["end_date"] == "2026-09-30"
    assert quote.json()["early_termination_fee"] == 3000 * 2 * 9
    assert quote.json()["cancellable_on_site"] is True

    other_member = await ordering.client.get(
        f"/api/v1/contracts/{contract['id']}/cancellation-quote",
        headers=ordering.member(uuid.uuid4()),
    )
    assert other_member.status_code == 404

    cancelled = await ordering.client.post(
        f"/api/v1/contracts/{contract['id']}/cancel",
        json={"end_date": "2026-09-30"},
        headers=ordering.member(member_id),
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancellation_scheduled"
    assert cancelled.json()["early_termination_fee"] == 54000
    [event] = await ordering.outbox("ordering.contract.cancelled", contract_id=contract["id"])
    assert (event["end_date"], event["early_termination_fee"]) == ("2026-09-30", 54000)

    twice = await ordering.client.post(
        f"/api/v1/contracts/{contract['id']}/cancel", headers=ordering.member(member_id)
    )
    assert twice.status_code == 409


async def test_r20_a_service_not_cancellable_on_site_points_to_the_contact_center(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(
        cancellable_on_site=False, early_termination={"kind": "fixed", "amount": 10000}
    )
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START)
    contract = (await _activate(ordering, order["id"]))["contract"]
    quote = await ordering.client.get(
        f"/api/v1/contracts/{contract['id']}/cancellation-quote",
        headers=ordering.member(member_id),
    )
    assert quote.json()["early_termination_fee"] == 10000
    assert quote.json()["contact_center"]["phone"] == "0120-003300"
    refused = await ordering.client.post(
        f"/api/v1/contracts/{contract['id']}/cancel", headers=ordering.member(member_id)
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "contract.cancel_by_contact_center"
    assert "0120-003300" in refused.json()["detail"]
    assert await ordering.outbox("ordering.contract.cancelled", contract_id=contract["id"]) == []


async def test_r11_withdrawal_blockers_name_open_orders_and_unended_contracts(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    strict = await ordering.publish_service(withdrawal_requires_contracts_ended=True)
    lenient = await ordering.publish_service(withdrawal_requires_contracts_ended=False)
    member_id = uuid.uuid4()
    url = f"/internal/members/{member_id}/withdrawal-blockers"
    assert (await ordering.client.get(url)).json() == {"items": []}

    open_order = await ordering.place(member_id, strict, START)
    await ordering.place(member_id, lenient, START)
    rejected = await ordering.place(member_id, strict, START)
    await ordering.ops(rejected["id"], "reject", {"reason": "重複"})
    blockers = (await ordering.client.get(url)).json()["items"]
    assert [(b["kind"], b["id"]) for b in blockers] == [("order", open_order["id"])]

    contract = (await _activate(ordering, open_order["id"]))["contract"]
    cancelled = await ordering.client.post(
        f"/api/v1/contracts/{contract['id']}/cancel",
        json={"end_date": "2026-06-30"},
        headers=ordering.member(member_id),
    )
    assert cancelled.status_code == 200, cancelled.text
    # A cancellation ending in the future still blocks (R11).
    blockers = (await ordering.client.get(url)).json()["items"]
    assert [(b["kind"], b["id"], b["ends_on"]) for b in blockers] == [
        ("contract", contract["id"], "2026-06-30")
    ]
    ordering.pin(datetime(2026, 7, 1, 10, 0, tzinfo=JST))
    assert (await ordering.client.get(url)).json() == {"items": []}


@pytest.mark.parametrize("start", ["2016-06-08", "2026-02-27", "2026-07-03"])
async def test_activation_date_far_from_today_is_refused(ordering: Any, start: str) -> None:
    """A mistyped start date must not reach billing, which bills every month from it."""
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START)
    assert (await ordering.ops(order["id"], "accept")).status_code == 200
    refused = await ordering.ops(order["id"], "activate", {"start_date": start})
    assert refused.status_code == 422
    assert refused.json()["code"] == "order.start_date_out_of_range"
    contracts = await ordering.client.get("/api/v1/contracts", headers=ordering.member(member_id))
    assert contracts.json()["items"] == []
