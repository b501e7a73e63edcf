"""R34: notification's audit trail — ops closing a member's inquiry is read back by ops
through the filters and as CSV, and the database refuses to change it."""

from __future__ import annotations

import uuid
from typing import Any

from servicekit.testing.audit import check_audit_trail


async def test_r34_ops_closing_an_inquiry_is_in_the_members_trail_and_its_csv(
    notification: Any, token_issuer: Any
) -> None:
    n = notification
    member_id = await n.member(email="audit@example.jp", name="監査 花子")
    member = token_issuer.member(str(member_id))
    asked = await n.client.post(
        "/api/v1/inquiries",
        json={"category": "billing", "subject": "請求書", "body": "再発行できますか"},
        headers=member,
    )
    assert asked.status_code == 201, asked.text
    actor = f"ops-{uuid.uuid4().hex[:8]}"
    ops = token_issuer.ops(actor)
    closed = await n.client.post(
        f"/api/v1/ops/notification/inquiries/{asked.json()['id']}/close", headers=ops
    )
    assert closed.status_code == 200, closed.text

    row = await check_audit_trail(
        n.client,
        "notification",
        ops=ops,
        member=member,
        sessions=n.runtime.sessions,
        action="inquiry.closed",
        actor=actor,
        entity="inquiry",
        member_id=str(member_id),
    )
    assert row["target"] == asked.json()["id"]
