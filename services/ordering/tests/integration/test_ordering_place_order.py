"""POST /api/v1/orders through the HTTP API: R4, R12–R14, R17, R28 and idempotency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bizmall_events import ServiceRetired, ServiceUpdated
from jpcalendar import JST
from ordering.adapters.tables import OrderRow

# Monday 1 June 2026, before the 13:00 cut-off; lead time 5 → earliest Monday 8 June.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
START = date(2026, 6, 8)


async def test_r4_an_anonymous_order_is_401(ordering: Any) -> None:
    snapshot = await ordering.publish_service()
    response = await ordering.client.post(
        "/api/v1/orders", json=ordering.order_body(snapshot, START)
    )
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_r28_order_keeps_plan_version_prices_and_publishes_placed(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    plan = snapshot.plans[0]
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(
            snapshot, START, quantity=2, plan_version_id=str(plan.plan_version_id)
        ),
        headers=ordering.member(member_id),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "received"
    assert order["plan_version_id"] == str(plan.plan_version_id)
    assert (order["monthly_fee"], order["initial_fee"]) == (3000, 5000)
    assert order["desired_start_date"] == order["planned_start_date"] == "2026-06-08"
    assert [h["status"] for h in order["status_history"]] == ["received"]
    assert order["created_at"].endswith("Z") or "+00:00" in order["created_at"]

    [placed] = await ordering.outbox("ordering.order.placed", order_id=order["id"])
    assert placed["member_id"] == str(member_id)
    assert placed["inquiry_reference"] == order["inquiry_reference"]
    assert placed["quantity"] == 2 and placed["monthly_fee"] == 3000
    assert "email" not in str(placed).lower()

    # A new catalog version with another price leaves the order's price alone (R28).
    changed = snapshot.model_copy(
        update={
            "service_version": 2,
            "plans": (
                plan.model_copy(update={"plan_version_id": uuid.uuid4(), "monthly_fee": 9999}),
            ),
        }
    )
    await ordering.deliver(
        ServiceUpdated(service_id=snapshot.service_id, aggregate_version=2, snapshot=changed)
    )
    again = await ordering.client.get(
        f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
    )
    assert again.json()["monthly_fee"] == 3000


async def test_every_problem_is_answered_at_once(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(order_unit=5, max_quantity_per_order=20)
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(
            snapshot,
            date(2026, 6, 6),
            quantity=7,
            options={"domain_name": "not a domain", "seats": 0, "colour": "red"},
        ),
        headers=ordering.member(uuid.uuid4()),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "order.invalid"
    assert {(e["field"], e["code"]) for e in problem["errors"]} >= {
        ("options.domain_name", "order.options.pattern"),
        ("options.seats", "order.options.minimum"),
        ("options", "order.options.additionalProperties"),
        ("quantity", "order.quantity_not_multiple_of_unit"),
        ("desired_start_date", "order.start_date_not_selectable"),
    }
    assert all(e["message"] for e in problem["errors"])
    assert await ordering.outbox("ordering.order.placed", service_id=snapshot.service_id) == []


async def test_r13_required_order_field_missing(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START, options={}),
        headers={**ordering.member(uuid.uuid4()), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("options", "order.options.required")
    assert "domain_name" in error["message"]


async def test_r12_sole_proprietor_is_told_before_ordering_a_corporate_service(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(requires_corporation=True)
    # No member copy yet: the token's claim decides.
    fresh = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers=ordering.member(uuid.uuid4(), entity_type="sole_proprietor"),
    )
    # The copy wins over an older token once identity's event has arrived.
    known = uuid.uuid4()
    await ordering.verify_member(known, entity_type="sole_proprietor")
    copied = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers=ordering.member(known, entity_type="corporation"),
    )
    for response in (fresh, copied):
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["code"] == "order.requires_corporation"
        assert "法人" in error["message"]
    corporation = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers=ordering.member(uuid.uuid4(), entity_type="corporation"),
    )
    assert corporation.status_code == 201


async def test_r14_over_the_maximum_names_the_contact_centers_phone_and_hours(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(takes_phone_orders=True, max_quantity_per_order=10)
    body = ordering.order_body(snapshot, START, quantity=11)
    ja = await ordering.client.post(
        "/api/v1/orders", json=body, headers=ordering.member(uuid.uuid4())
    )
    en = await ordering.client.post(
        "/api/v1/orders",
        json=body,
        headers={**ordering.member(uuid.uuid4()), "Accept-Language": "en"},
    )
    [ja_error], [en_error] = ja.json()["errors"], en.json()["errors"]
    assert ja_error["code"] == "order.quantity_over_limit"
    # The hours come with the days the center is closed, never as a bare "weekdays" (R14).
    assert (
        "0120-003300" in ja_error["message"]
        and "9:00〜17:00、土曜・日曜・祝日・年末年始は休業" in ja_error["message"]
    )
    assert "0120-003300" in en_error["message"]
    assert (
        "9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break"
        in en_error["message"]
    )
    assert "0120-003300" in ja.json()["detail"]


async def test_r14_a_service_without_phone_orders_does_not_offer_the_phone(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(takes_phone_orders=False, max_quantity_per_order=10)
    body = ordering.order_body(snapshot, START, quantity=11)
    for language in ("ja", "en"):
        response = await ordering.client.post(
            "/api/v1/orders",
            json=body,
            headers={**ordering.member(uuid.uuid4()), "Accept-Language": language},
        )
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["code"] == "order.quantity_over_limit"
        assert "0120-003300" not in response.text
        assert "電話" not in response.text and "call" not in response.text.lower()


async def test_r17_cutoff_1259_keeps_the_day_and_1300_moves_to_the_next_business_day(
    ordering: Any,
) -> None:
    snapshot = await ordering.publish_service(lead_time_business_days=5)
    ordering.pin(datetime(2026, 6, 1, 12, 59, tzinfo=JST))
    before = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, date(2026, 6, 8)),
        headers=ordering.member(uuid.uuid4()),
    )
    assert before.status_code == 201, before.text

    ordering.pin(datetime(2026, 6, 1, 13, 0, tzinfo=JST))
    after = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, date(2026, 6, 8)),
        headers=ordering.member(uuid.uuid4()),
    )
    assert after.status_code == 422
    [error] = after.json()["errors"]
    assert error["code"] == "order.start_date_not_selectable"
    assert "2026-06-09" in error["message"]
    next_day = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, date(2026, 6, 9)),
        headers=ordering.member(uuid.uuid4()),
    )
    assert next_day.status_code == 201


async def test_r17_at_most_six_months_ahead(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, date(2026, 12, 9)),
        headers=ordering.member(uuid.uuid4()),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "order.start_date_not_selectable"


async def test_an_outdated_plan_version_is_409(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    plan = snapshot.plans[0]
    newer = snapshot.model_copy(
        update={
            "service_version": 2,
            "plans": (plan.model_copy(update={"plan_version_id": uuid.uuid4()}),),
        }
    )
    await ordering.deliver(
        ServiceUpdated(service_id=snapshot.service_id, aggregate_version=2, snapshot=newer)
    )
    # A late, older event does not bring the old version back.
    await ordering.deliver(
        ServiceUpdated(service_id=snapshot.service_id, aggregate_version=1, snapshot=snapshot)
    )
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START, plan_version_id=str(plan.plan_version_id)),
        headers=ordering.member(uuid.uuid4()),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "order.plan_version_outdated"
    assert response.json()["current_plan_version_id"] == str(newer.plans[0].plan_version_id)


async def test_unknown_plan_and_retired_or_unknown_service_cannot_be_ordered(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    wrong_plan = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START, plan_id=str(uuid.uuid4())),
        headers=ordering.member(uuid.uuid4()),
    )
    assert wrong_plan.json()["errors"][0]["code"] == "order.plan_not_found"
    unknown = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START, service_id=str(uuid.uuid4())),
        headers=ordering.member(uuid.uuid4()),
    )
    assert unknown.json()["errors"][0]["code"] == "order.service_unavailable"
    retired = snapshot.model_copy(update={"service_version": 2, "status": "retired"})
    await ordering.deliver(
        ServiceRetired(service_id=snapshot.service_id, aggregate_version=2, snapshot=retired)
    )
    gone = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers=ordering.member(uuid.uuid4()),
    )
    assert gone.status_code == 422
    assert gone.json()["errors"][0]["code"] == "order.service_unavailable"


async def test_idempotency_key_returns_the_first_order_and_refuses_another_body(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    headers = {**ordering.member(member_id), "Idempotency-Key": "order-1"}
    first = await ordering.client.post(
        "/api/v1/orders", json=ordering.order_body(snapshot, START), headers=headers
    )
    repeat = await ordering.client.post(
        "/api/v1/orders", json=ordering.order_body(snapshot, START), headers=headers
    )
    assert (first.status_code, repeat.status_code) == (201, 200)
    assert repeat.json() == first.json()
    other = await ordering.client.post(
        "/api/v1/orders", json=ordering.order_body(snapshot, START, quantity=2), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["code"] == "order.idempotency_key_reused"
    # Another member's identical key is theirs alone.
    stranger = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers={**ordering.member(uuid.uuid4()), "Idempotency-Key": "order-1"},
    )
    assert stranger.status_code == 201 and stranger.json()["id"] != first.json()["id"]
    # After 24 hours the key is forgotten: the same key places a new order.
    ordering.pin(NOW + timedelta(hours=24, seconds=1))
    later = await ordering.client.post(
        "/api/v1/orders", json=ordering.order_body(snapshot, date(2026, 6, 9)), headers=headers
    )
    assert later.status_code == 201, later.text
    assert later.json()["id"] != first.json()["id"]


async def test_concurrent_duplicates_with_one_key_create_one_order(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    headers = {**ordering.member(member_id), "Idempotency-Key": str(uuid.uuid4())}
    body = ordering.order_body(snapshot, START)
    responses = await asyncio.gather(
        *(ordering.client.post("/api/v1/orders", json=body, headers=headers) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    async with ordering.runtime.sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).select_from(OrderRow).where(OrderRow.member_id == member_id)
        )
    assert count == 1
    assert len(await ordering.outbox("ordering.order.placed", member_id=member_id)) == 1


async def test_a_withdrawn_member_cannot_order(ordering: Any) -> None:
    from bizmall_events import WithdrawalDecided

    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    await ordering.deliver(
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            aggregate_version=1,
            member_id=member_id,
            decision="withdrawn",
        )
    )
    response = await ordering.client.post(
        "/api/v1/orders",
        json=ordering.order_body(snapshot, START),
        headers=ordering.member(member_id),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "member.withdrawn"
