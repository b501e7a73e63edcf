"""R34: billing's audit trail — ops recording a payment on a member's invoice is read
back by ops through the filters and as CSV, and the database refuses to change it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from servicekit.testing.audit import check_audit_trail


async def test_r34_ops_recording_a_payment_is_in_the_members_trail_and_its_csv(
    billing: Any,
) -> None:
    member_id = await billing.verify_member()
    await billing.activate(member_id, start=date(2026, 4, 1))
    billing.pin(date(2026, 5, 15))
    await billing.run("2026-04")
    [invoice] = await billing.invoices_of(member_id)
    actor = f"ops-{uuid.uuid4().hex[:8]}"
    ops = billing.tokens.ops(actor)
    paid = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{invoice['id']}/payments",
        json={"amount": invoice["total"], "paid_on": "2026-05-20"},
        headers=ops,
    )
    assert paid.status_code == 200, paid.text

    row = await check_audit_trail(
        billing.client,
        "billing",
        ops=ops,
        member=billing.member(member_id),
        sessions=billing.runtime.sessions,
        action="billing.invoice.payment_recorded",
        actor=actor,
        entity="invoice",
        member_id=str(member_id),
    )
    assert row["target"] == invoice["id"]
    assert row["details"] == {"amount": invoice["total"], "paid_on": "2026-05-20"}
