"""R34: ordering's audit trail — an ops action on a member's order is read back by ops
through the filters and as CSV, and the database refuses to change it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from jpcalendar import JST
from servicekit.testing.audit import check_audit_trail


async def test_r34_ops_accepting_an_order_is_in_the_members_trail_and_its_csv(
    ordering: Any,
) -> None:
    ordering.pin(datetime(2026, 6, 1, 10, 0, tzinfo=JST))
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    order = await ordering.place(member_id, snapshot, date(2026, 6, 8))
    actor = f"ops-{uuid.uuid4().hex[:8]}"
    ops = ordering.tokens.ops(actor)
    accepted = await ordering.client.post(
        f"/api/v1/ops/ordering/orders/{order['id']}/accept", headers=ops
    )
    assert accepted.status_code == 200, accepted.text

    row = await check_audit_trail(
        ordering.client,
        "ordering",
        ops=ops,
        member=ordering.member(member_id),
        sessions=ordering.runtime.sessions,
        action="order.accept",
        actor=actor,
        entity="order",
        member_id=str(member_id),
    )
    assert row["target"] == order["id"]
