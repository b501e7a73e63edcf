"""The ops lists of billing: account-transfer applications by state, oldest first, for
ops to decide (R21), and every member's invoices by state and member (R24); ops only."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

TRANSFER = {
    "bank_code": "0005",
    "branch_code": "123",
    "account_type": "ordinary",
    "account_number": "7654321",
    "holder_name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ",
}


async def apply(billing: Any, member_id: uuid.UUID, day: date) -> str:
    """The member applies for account transfer on ``day``; returns the application's id."""
    billing.pin(day)
    response = await billing.client.post(
        "/api/v1/billing/account-transfer", json=TRANSFER, headers=billing.member(member_id)
    )
    assert response.status_code == 201, response.text
    transfer_id: str = response.json()["id"]
    return transfer_id


async def ops_get(billing: Any, path: str, **params: Any) -> Any:
    response = await billing.client.get(path, params=params, headers=billing.ops_headers())
    return response


async def every_page(billing: Any, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Each page of an ops list, following ``next_cursor`` to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await ops_get(billing, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_r21_ops_list_applied_transfers_oldest_first_page_by_page(billing: Any) -> None:
    members = [await billing.verify_member() for _ in range(5)]
    applied = {
        member: await apply(billing, member, date(2026, 4, day))
        for member, day in zip(members, (3, 1, 5, 2, 4), strict=True)
    }
    completed, rejected = applied[members[0]], applied[members[1]]
    ops = billing.ops_headers()
    path = "/api/v1/ops/billing/account-transfers"
    done = await billing.client.post(f"{path}/{completed}/complete", headers=ops)
    assert done.status_code == 200, done.text
    refused = await billing.client.post(
        f"{path}/{rejected}/reject", json={"reason": "口座名義が一致しません"}, headers=ops
    )
    assert refused.status_code == 200, refused.text

    pages = await every_page(billing, path, status="applied", limit=2)

    assert [len(page) for page in pages] == [2, 1]
    items = [item for page in pages for item in page]
    # Applied on April 2nd (member 3), 4th (member 4), 5th (member 2).
    assert [item["id"] for item in items] == [
        applied[members[3]],
        applied[members[4]],
        applied[members[2]],
    ]
    assert [item["member_id"] for item in items] == [str(members[i]) for i in (3, 4, 2)]
    assert {item["status"] for item in items} == {"applied"}
    assert {item["account_number_masked"] for item in items} == {"****321"}
    assert "7654321" not in str(pages) and "ﾔﾏﾀﾞ" not in str(pages)

    (page,) = await every_page(billing, path, status="rejected")
    assert [(i["id"], i["reason"], i["decided_by"]) for i in page] == [
        (rejected, "口座名義が一致しません", "ops-1")
    ]
    (page,) = await every_page(billing, path)
    assert {i["id"] for i in page} == set(applied.values())


async def test_r21_transfer_list_refuses_members_and_bad_queries(billing: Any) -> None:
    path = "/api/v1/ops/billing/account-transfers"
    member = await billing.client.get(path, headers=billing.member(uuid.uuid4()))
    assert member.status_code == 403
    for params, code in (
        ({"status": "pending"}, "request.invalid"),
        ({"cursor": "not-a-cursor"}, "request.invalid_cursor"),
        ({"limit": "0"}, "request.invalid"),
    ):
        response = await ops_get(billing, path, **params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code, params


async def test_r24_ops_list_invoices_by_state_and_member(billing: Any) -> None:
    payer, debtor = await billing.verify_member(), await billing.verify_member()
    for member_id in (payer, debtor):
        for _ in range(2):  # two services: two invoices each
            await billing.activate(member_id, start=date(2026, 10, 1), initial_fee=0)
    billing.pin(date(2026, 11, 16))
    await billing.run("2026-10")
    paid_one, _ = await billing.invoices_of(payer)
    paid = await billing.client.post(
        f"/api/v1/ops/billing/invoices/{paid_one['id']}/payments",
        json={"amount": paid_one["total"], "paid_on": "2026-11-20"},
        headers=billing.ops_headers(),
    )
    assert paid.json()["status"] == "paid"
    path = "/api/v1/ops/billing/invoices"

    (page,) = await every_page(billing, path, status="paid")
    assert [(i["id"], i["member_id"], i["status"]) for i in page] == [
        (paid_one["id"], str(payer), "paid")
    ]
    pages = await every_page(billing, path, member_id=str(debtor), limit=1)
    assert [len(p) for p in pages] == [1, 1]
    debtors = {i["id"] for p in pages for i in p}
    assert debtors == {i["id"] for i in await billing.invoices_of(debtor)}
    (page,) = await every_page(billing, path, member_id=str(payer), status="issued")
    assert [i["id"] for i in page] == [
        i["id"] for i in await billing.invoices_of(payer) if i["id"] != paid_one["id"]
    ]
    (page,) = await every_page(billing, path, member_id=str(uuid.uuid4()))
    assert page == []


async def test_r24_invoice_list_is_ops_only_and_validates_its_filters(billing: Any) -> None:
    path = "/api/v1/ops/billing/invoices"
    member = await billing.client.get(path, headers=billing.member(uuid.uuid4()))
    assert member.status_code == 403
    for params in ({"status": "draft"}, {"member_id": "someone"}):
        response = await ops_get(billing, path, **params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "request.invalid"
