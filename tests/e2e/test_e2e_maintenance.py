"""Maintenance windows end to end (notification's Done-when, R1): ops post a notice
covering ordering; the gateway then holds ordering's writes with a 503 carrying the
notice's text and Retry-After, while reads, other services' writes and ops routes
keep working. An upcoming window holds nothing; a withdrawn one stops holding."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from servicekit.testing.helpers import eventually

pytestmark = pytest.mark.integration

NOTICES = "/api/v1/ops/notification/notices"


@pytest_asyncio.fixture
async def notices(stack: Any) -> AsyncIterator[Any]:
    """Posts maintenance notices; withdraws whatever is left at the end, so a failing
    test never leaves the shared stack under maintenance."""
    posted: list[str] = []
    ops = await stack.ops_headers()

    async def post(*, starts_in: timedelta, lasts: timedelta, text: str) -> dict[str, Any]:
        starts_at = datetime.now(UTC) + starts_in
        body = {
            "category": "maintenance",
            "title": {"ja": f"注文受付の停止（{text}）", "en": f"Ordering paused ({text})"},
            "body": {"ja": f"{text} の作業中です。", "en": f"Working on {text}."},
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + lasts).isoformat(),
            "functions": ["ordering"],
        }
        async with stack.http.post(NOTICES, json=body, headers=ops) as response:
            notice: dict[str, Any] = await response.json()
            assert response.status == 201, notice
        posted.append(notice["id"])
        return notice

    yield post
    for notice_id in posted:
        async with stack.http.post(f"{NOTICES}/{notice_id}/withdraw", headers=ops) as response:
            assert response.status in (200, 409), await response.text()


async def _order_body(stack: Any) -> dict[str, Any]:
    # web-conference: no required order fields, and any member may order it.
    async with stack.http.get("/api/v1/services", params={"limit": "100"}) as response:
        summaries = (await response.json())["items"]
    service_id = next(s["id"] for s in summaries if s["slug"] == "web-conference")
    async with stack.http.get(f"/api/v1/services/{service_id}") as response:
        service = await response.json()
    async with stack.http.get(f"/api/v1/services/{service_id}/start-dates") as response:
        start = (await response.json())["earliest"]
    return {
        "service_id": service_id,
        "plan_id": service["plans"][0]["plan_id"],
        "quantity": 1,
        "desired_start_date": start,
        "options": {},
    }


async def _post_order(stack: Any, member: Any, body: dict[str, Any]) -> tuple[int, Any, Any]:
    headers = {**member.headers, "Idempotency-Key": str(uuid.uuid4())}
    async with stack.http.post("/api/v1/orders", json=body, headers=headers) as response:
        return response.status, response.headers, await response.json()


async def test_a_maintenance_window_holds_ordering_writes_until_withdrawn(
    stack: Any, notices: Any
) -> None:
    member = await stack.register_and_login(entity_type="corporation")
    body = await _order_body(stack)
    ops = await stack.ops_headers()

    async def order_placed() -> bool:
        # Ordering learns the lineup from catalog's events; until then it answers 422.
        status, _, _ = await _post_order(stack, member, body)
        return status == 201

    upcoming = await notices(
        starts_in=timedelta(hours=1), lasts=timedelta(hours=1), text="来週の定期保守"
    )
    async with stack.http.get("/api/v1/notices") as response:
        public = {n["id"]: n for n in (await response.json())["items"]}
    assert public[upcoming["id"]]["in_progress"] is False
    # Before its window an announced maintenance holds nothing.
    await eventually(order_placed, timeout=30)

    current = await notices(
        starts_in=timedelta(minutes=-1), lasts=timedelta(minutes=30), text="緊急のDB保守"
    )

    async def held() -> tuple[Any, Any] | None:
        status, headers, problem = await _post_order(stack, member, body)
        return (headers, problem) if status == 503 else None

    headers, problem = await eventually(held, timeout=15)
    assert problem["code"] == "gateway.maintenance"
    assert problem["notice_id"] == current["id"]
    assert problem["detail"] == "注文受付の停止（緊急のDB保守）：緊急のDB保守 の作業中です。"
    assert 0 < int(headers["Retry-After"]) <= 30 * 60
    english = {**member.headers, "Accept-Language": "en", "Idempotency-Key": str(uuid.uuid4())}
    async with stack.http.post("/api/v1/orders", json=body, headers=english) as response:
        assert response.status == 503
        assert (await response.json())["detail"] == (
            "Ordering paused (緊急のDB保守): Working on 緊急のDB保守."
        )

    # Reads go on, so do other services' writes and the operators' routes.
    async with stack.http.get("/api/v1/orders", headers=member.headers) as response:
        assert response.status == 200
        placed_while_held = [o["id"] for o in (await response.json())["items"]]
    assert placed_while_held  # at least the order placed before the window
    inquiry = {"category": "order", "subject": "メンテナンス", "body": "いつ終わりますか。"}
    async with stack.http.post("/api/v1/inquiries", json=inquiry, headers=member.headers) as r:
        assert r.status == 201, await r.text()
    async with stack.http.get("/api/v1/ops/ordering/orders", headers=ops) as response:
        assert response.status == 200
        assert set(placed_while_held) <= {o["id"] for o in (await response.json())["items"]}
    async with stack.http.get("/api/v1/notices") as response:
        public = {n["id"]: n for n in (await response.json())["items"]}
    assert public[current["id"]]["in_progress"] is True

    async with stack.http.post(f"{NOTICES}/{current['id']}/withdraw", headers=ops) as response:
        assert response.status == 200, await response.text()
    # Withdrawn, the window stops holding writes; the upcoming one still holds none.
    await eventually(order_placed, timeout=15)
    async with stack.http.get("/api/v1/orders", headers=member.headers) as response:
        assert len((await response.json())["items"]) == len(placed_while_held) + 1
