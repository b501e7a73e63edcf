"""Ordering's back office on the real database: the ops order view and search (R31), ops
lists naming the member (R30), and contracts ended by ops for any service (R32)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bizmall_events import MemberProfile, MemberProfileChanged
from jpcalendar import JST
from servicekit.audit import AuditRecord

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
START = date(2026, 6, 8)

LABELLED_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "domain_name": {
            "type": "string",
            "pattern": r"^[a-z0-9-]+\.[a-z]{2,}$",
            "title": "ドメイン名",
            "x-title-en": "Domain name",
        },
        "seats": {"type": "integer", "minimum": 1, "title": "席数", "x-title-en": "Seats"},
    },
    "required": ["domain_name"],
    "additionalProperties": False,
}

#: The demo IoT SIM's terms (catalog's demo lineup): not cancellable on the site, a fixed
#: 5,000 yen within a 6-month minimum term.
IOT_SIM: dict[str, Any] = {
    "cancellable_on_site": False,
    "early_termination": {"kind": "fixed", "amount": 5000},
    "minimum_term_months": 6,
}

OPS_ORDERS = "/api/v1/ops/ordering/orders"
OPS_CONTRACTS = "/api/v1/ops/ordering/contracts"


async def _activate(ordering: Any, order_id: str, start: str = "2026-06-08") -> dict[str, Any]:
    for action, body in (("accept", None), ("activate", {"start_date": start})):
        response = await ordering.ops(order_id, action, body)
        assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _refused_to_members_and_anonymous(
    ordering: Any, method: str, path: str, **kwargs: Any
) -> None:
    member = await ordering.client.request(
        method, path, headers=ordering.member(uuid.uuid4()), **kwargs
    )
    anonymous = await ordering.client.request(method, path, **kwargs)
    assert (member.status_code, anonymous.status_code) == (403, 401), path
    assert "items" not in member.text and "member" not in anonymous.json()


async def test_r31_ops_order_view_answers_the_entered_fields_labelled_as_ordered(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(order_fields=LABELLED_FIELDS)
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    order = await ordering.place(
        member_id,
        snapshot,
        START,
        quantity=2,
        options={"seats": 5, "domain_name": "yamada-shop.jp"},
    )
    # Catalog relabels the field afterwards: the order keeps the labels it was placed with.
    relabelled = {**LABELLED_FIELDS["properties"]}
    relabelled["domain_name"] = {**relabelled["domain_name"], "title": "独自ドメイン"}
    await ordering.publish_service(
        service_id=snapshot.service_id,
        service_version=2,
        order_fields={**LABELLED_FIELDS, "properties": relabelled},
    )
    held = await ordering.ops(order["id"], "hold", {"reason": "ドメインの所有確認が必要です"})
    assert held.status_code == 200, held.text

    response = await ordering.client.get(
        f"{OPS_ORDERS}/{order['id']}", headers=ordering.tokens.ops()
    )

    assert response.status_code == 200, response.text
    view = response.json()
    # (JSONB keeps the definition's properties in its own key order, as catalog serves them.)
    assert sorted(view["entered_fields"], key=lambda f: f["name"]) == [
        {
            "name": "domain_name",
            "label": {"ja": "ドメイン名", "en": "Domain name"},
            "value": "yamada-shop.jp",
        },
        {"name": "seats", "label": {"ja": "席数", "en": "Seats"}, "value": 5},
    ]
    assert view["options"] == {"seats": 5, "domain_name": "yamada-shop.jp"}
    assert view["member"] == {
        "id": str(member_id),
        "organization_name": "山田商店",
        "name": "山田 太郎",
    }
    assert (view["service_version"], view["quantity"]) == (1, 2)
    assert (view["monthly_fee"], view["initial_fee"]) == (3000, 5000)
    assert view["terms"]["minimum_term_months"] == 12
    assert (view["desired_start_date"], view["planned_start_date"]) == (
        "2026-06-08",
        "2026-06-08",
    )
    assert (view["status"], view["reason"]) == ("on_hold", "ドメインの所有確認が必要です")
    assert [(h["status"], h["reason"]) for h in view["status_history"]] == [
        ("received", None),
        ("on_hold", "ドメインの所有確認が必要です"),
    ]

    unknown = await ordering.client.get(
        f"{OPS_ORDERS}/{uuid.uuid4()}", headers=ordering.tokens.ops()
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "order.not_found")
    await _refused_to_members_and_anonymous(ordering, "GET", f"{OPS_ORDERS}/{order['id']}")


async def test_r31_ops_search_orders_by_member_service_status_and_order_date(
    ordering: Any,
) -> None:
    snapshot = await ordering.publish_service()
    other_service = await ordering.publish_service()
    member_id, stranger = uuid.uuid4(), uuid.uuid4()
    await ordering.verify_member(member_id)
    # 23:30 on 1 June and 00:10 on 2 June, Japan time: two order dates.
    ordering.pin(datetime(2026, 6, 1, 23, 30, tzinfo=JST))
    first = await ordering.place(member_id, snapshot, date(2026, 6, 9))
    placed = []
    orders = [(member_id, snapshot), (member_id, other_service), (stranger, snapshot)]
    for minute, (who, service) in enumerate([*orders, (member_id, snapshot)]):
        ordering.pin(datetime(2026, 6, 2, 0, 10 + minute, tzinfo=JST))
        placed.append(await ordering.place(who, service, date(2026, 6, 9)))
    second, elsewhere, theirs, rejected = placed
    assert (await ordering.ops(rejected["id"], "reject", {"reason": "重複"})).status_code == 200

    async def search(**params: Any) -> list[dict[str, Any]]:
        response = await ordering.client.get(
            OPS_ORDERS, params={"limit": 200, **params}, headers=ordering.tokens.ops()
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def ids(items: list[dict[str, Any]]) -> list[str]:
        return [item["id"] for item in items]

    mine = await search(member_id=str(member_id))
    assert ids(mine) == [rejected["id"], elsewhere["id"], second["id"], first["id"]]
    assert {(i["member"]["organization_name"], i["member"]["name"]) for i in mine} == {
        ("山田商店", "山田 太郎")
    }
    by_service = await search(service_id=str(snapshot.service_id))
    assert ids(by_service) == [rejected["id"], theirs["id"], second["id"], first["id"]]
    # No copy of the stranger yet: the list says so rather than inventing a name.
    assert by_service[1]["member"] == {
        "id": str(stranger),
        "organization_name": None,
        "name": None,
    }
    received = await search(
        member_id=str(member_id), service_id=str(snapshot.service_id), status="received"
    )
    assert ids(received) == [second["id"], first["id"]]
    on_the_1st = await search(
        service_id=str(snapshot.service_id), placed_from="2026-06-01", placed_to="2026-06-01"
    )
    assert ids(on_the_1st) == [first["id"]]
    from_the_2nd = await search(member_id=str(member_id), placed_from="2026-06-02")
    assert ids(from_the_2nd) == [rejected["id"], elsewhere["id"], second["id"]]

    page = await ordering.client.get(
        OPS_ORDERS,
        params={"member_id": str(member_id), "limit": 3},
        headers=ordering.tokens.ops(),
    )
    rest = await ordering.client.get(
        OPS_ORDERS,
        params={"member_id": str(member_id), "limit": 3, "cursor": page.json()["next_cursor"]},
        headers=ordering.tokens.ops(),
    )
    assert ids(page.json()["items"]) + ids(rest.json()["items"]) == ids(mine)
    await _refused_to_members_and_anonymous(
        ordering, "GET", OPS_ORDERS, params={"member_id": str(member_id)}
    )


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"placed_from": "2026-06-02", "placed_to": "2026-06-01"}, "order.invalid_period"),
        ({"placed_from": "0001-01-01"}, "order.invalid_period"),
        ({"placed_to": "9999-12-31"}, "order.invalid_period"),
        ({"placed_from": "2026-13-01"}, "request.invalid"),
        ({"placed_to": "yesterday"}, "request.invalid"),
        ({"member_id": "not-a-uuid"}, "request.invalid"),
        ({"status": "lost"}, "request.invalid"),
    ],
)
async def test_r31_a_bad_order_search_is_422_with_a_problem(
    ordering: Any, params: dict[str, str], code: str
) -> None:
    response = await ordering.client.get(OPS_ORDERS, params=params, headers=ordering.tokens.ops())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


async def test_r32_ops_end_a_contract_the_site_cannot_cancel_with_r20s_fee_and_a_reason(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(**IOT_SIM)
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    order = await ordering.place(member_id, snapshot, START, quantity=3)
    contract = (await _activate(ordering, order["id"]))["contract"]
    ops = ordering.tokens.ops("ops-7")
    path = f"{OPS_CONTRACTS}/{contract['id']}"
    # The member cannot end it on the site (R20) ...
    on_site = await ordering.client.post(
        f"/api/v1/contracts/{contract['id']}/cancel", headers=ordering.member(member_id)
    )
    assert on_site.json()["code"] == "contract.cancel_by_contact_center"

    listed = await ordering.client.get(
        OPS_CONTRACTS, params={"member_id": str(member_id)}, headers=ops
    )
    [item] = listed.json()["items"]
    assert (item["id"], item["status"], item["member_id"]) == (
        contract["id"],
        "active",
        str(member_id),
    )
    assert (item["member"]["organization_name"], item["member"]["name"]) == (
        "山田商店",
        "山田 太郎",
    )

    # ... so ops quote it for the date the customer asked for on the phone (R20's rule) ...
    ordering.pin(datetime(2026, 9, 1, 10, 0, tzinfo=JST))
    quote = await ordering.client.get(
        f"{path}/cancellation-quote", params={"end_date": "2026-09-30"}, headers=ops
    )
    assert quote.status_code == 200, quote.text
    assert quote.json() == {
        "contract_id": contract["id"],
        "end_date": "2026-09-30",
        "early_termination_fee": 5000,
        "cancellable_on_site": False,
        "minimum_term_last_day": "2026-12-07",
    }
    after_term = await ordering.client.get(
        f"{path}/cancellation-quote", params={"end_date": "2026-12-31"}, headers=ops
    )
    assert after_term.json()["early_termination_fee"] == 0

    # ... and end it, with the reason.
    reason = "お電話にて解約のお申し出（拠点閉鎖のため）"
    ended = await ordering.client.post(
        f"{path}/cancel", json={"end_date": "2026-09-30", "reason": reason}, headers=ops
    )
    assert ended.status_code == 200, ended.text
    view = ended.json()
    assert (view["status"], view["end_date"], view["early_termination_fee"]) == (
        "cancellation_scheduled",
        "2026-09-30",
        5000,
    )
    assert (view["cancelled_by"], view["cancellation_reason"]) == ("ops", reason)
    [event] = await ordering.outbox("ordering.contract.cancelled", contract_id=contract["id"])
    assert (event["end_date"], event["early_termination_fee"]) == ("2026-09-30", 5000)
    assert (event["cancelled_by"], event["reason"], event["member_id"]) == (
        "ops",
        reason,
        str(member_id),
    )
    async with ordering.runtime.sessions() as session:
        [audit] = (
            await session.execute(
                sa.select(AuditRecord).where(
                    AuditRecord.target == contract["id"], AuditRecord.action == "contract.cancel"
                )
            )
        ).scalars()
    assert audit.actor == "ops-7"
    assert audit.details["reason"] == reason and audit.details["early_termination_fee"] == 5000

    scheduled = await ordering.client.get(
        OPS_CONTRACTS,
        params={"member_id": str(member_id), "status": "cancellation_scheduled"},
        headers=ops,
    )
    assert [c["id"] for c in scheduled.json()["items"]] == [contract["id"]]
    still_active = await ordering.client.get(
        OPS_CONTRACTS, params={"member_id": str(member_id), "status": "active"}, headers=ops
    )
    assert still_active.json()["items"] == []
    twice = await ordering.client.post(
        f"{path}/cancel", json={"end_date": "2026-10-31", "reason": reason}, headers=ops
    )
    assert (twice.status_code, twice.json()["code"]) == (409, "contract.not_cancellable")
    assert (
        len(await ordering.outbox("ordering.contract.cancelled", contract_id=contract["id"])) == 1
    )


async def test_r32_bad_ops_contract_requests_are_refused_with_a_problem(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service(**IOT_SIM)
    member_id = uuid.uuid4()
    order = await ordering.place(member_id, snapshot, START)
    contract = (await _activate(ordering, order["id"]))["contract"]
    ops = ordering.tokens.ops()
    path = f"{OPS_CONTRACTS}/{contract['id']}"

    async def status_and_code(response: Any) -> tuple[int, str]:
        return response.status_code, response.json()["code"]

    for end_date in ("2026-05-31", "2026-06-07"):  # the past; before the start
        quote = await ordering.client.get(
            f"{path}/cancellation-quote", params={"end_date": end_date}, headers=ops
        )
        cancel = await ordering.client.post(
            f"{path}/cancel", json={"end_date": end_date, "reason": "電話"}, headers=ops
        )
        for response in (quote, cancel):
            assert await status_and_code(response) == (422, "contract.end_date_not_allowed")
    for body in (
        {"end_date": "2026-09-31", "reason": "電話"},
        {"end_date": "2026-09-30"},
        {"end_date": "2026-09-30", "reason": "   "},
        {"reason": "電話"},
        {"end_date": "2026-09-30", "reason": "電話", "fee": 0},
    ):
        refused = await ordering.client.post(f"{path}/cancel", json=body, headers=ops)
        assert await status_and_code(refused) == (422, "request.invalid"), body
    garbled = await ordering.client.get(
        f"{path}/cancellation-quote", params={"end_date": "30/09/2026"}, headers=ops
    )
    assert await status_and_code(garbled) == (422, "request.invalid")
    bad_status = await ordering.client.get(OPS_CONTRACTS, params={"status": "x"}, headers=ops)
    assert await status_and_code(bad_status) == (422, "request.invalid")
    assert await ordering.outbox("ordering.contract.cancelled", contract_id=contract["id"]) == []

    unknown = f"{OPS_CONTRACTS}/{uuid.uuid4()}"
    for method, url, kwargs in (
        ("GET", unknown, {}),
        ("GET", f"{unknown}/cancellation-quote", {}),
        ("POST", f"{unknown}/cancel", {"json": {"end_date": "2026-09-30", "reason": "電話"}}),
    ):
        response = await ordering.client.request(method, url, headers=ops, **kwargs)
        assert await status_and_code(response) == (404, "contract.not_found"), url

    body = {"json": {"end_date": "2026-09-30", "reason": "電話"}}
    for method, url, kwargs in (
        ("GET", OPS_CONTRACTS, {"params": {"member_id": str(member_id)}}),
        ("GET", path, {}),
        ("GET", f"{path}/cancellation-quote", {}),
        ("POST", f"{path}/cancel", body),
    ):
        await _refused_to_members_and_anonymous(ordering, method, url, **kwargs)
    got = await ordering.client.get(path, headers=ops)
    assert (got.json()["status"], got.json()["end_date"]) == ("active", None)


async def test_r30_a_profile_change_renames_the_member_in_ops_lists(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    await ordering.place(member_id, snapshot, START)
    await ordering.deliver(
        MemberProfileChanged(
            member_id=member_id,
            aggregate_version=2,
            profile=MemberProfile(
                status="active",
                entity_type="corporation",
                name="山田 花子",
                organization_name="株式会社ヤマダ",
                postal_code="1000001",
                address="東京都千代田区千代田1-1",
                contact_email="hanako@example.jp",
                language="ja",
            ),
        )
    )
    listed = await ordering.client.get(
        OPS_ORDERS, params={"member_id": str(member_id)}, headers=ordering.tokens.ops()
    )
    [item] = listed.json()["items"]
    assert (item["member"]["organization_name"], item["member"]["name"]) == (
        "株式会社ヤマダ",
        "山田 花子",
    )
