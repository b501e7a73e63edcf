"""The back office of ordering with a fake unit of work: the ops order view with the entered
order fields labelled (R31), ops lists naming the member (R30), and contracts ended by ops
for any service with R20's fee (R32)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bizmall_events import (
    ContractCancelled,
    Envelope,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    ServiceSnapshot,
)
from jpcalendar import JST
from ordering.domain.contract import Contract
from ordering.domain.errors import (
    ContractNotCancellable,
    ContractNotFound,
    EndDateNotAllowed,
    InvalidPeriod,
    OrderNotFound,
)
from ordering.domain.placement import ContactCenter
from ordering.service_layer import cancellation, local_copies, queries
from servicekit.errors import Conflict, Invalid
from services.ordering.tests.unit.fakes import (
    NOW,
    START,
    FakeOrderingUnitOfWork,
    make_contract,
    make_order,
    terms,
)

#: The demo IoT SIM's terms: not cancellable on the site, 5,000 yen within 6 months.
IOT_SIM_TERMS: dict[str, Any] = {
    "cancellable_on_site": False,
    "early_termination": {"kind": "fixed", "amount": 5000},
    "minimum_term_months": 6,
}


def iot_sim_contract(uow: FakeOrderingUnitOfWork, **overrides: Any) -> Contract:
    return uow.contracts.seed(
        make_contract(at=NOW, start_date=START, terms=terms(**IOT_SIM_TERMS), **overrides)
    )


async def know_member(
    uow: FakeOrderingUnitOfWork, member_id: uuid.UUID, organization: str, person: str
) -> None:
    await uow.members.store(
        member_id=member_id,
        version=1,
        entity_type="corporation",
        status="active",
        name=person,
        organization_name=organization,
    )


# --- R32: ops quote and end contracts of any service ----------------------------------------


async def test_r32_ops_quote_for_a_service_not_cancellable_on_the_site_follows_r20s_rule(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = iot_sim_contract(uow)
    # Term 8 June – 7 December 2026: within it the fixed fee, from its last day on none.
    within = await cancellation.quote(uow=uow, contract_id=contract.id, end_date=date(2026, 9, 30))
    last_day = await cancellation.quote(
        uow=uow, contract_id=contract.id, end_date=date(2026, 12, 7)
    )
    assert (within.end_date, within.early_termination_fee) == (date(2026, 9, 30), 5000)
    assert not within.cancellable_on_site
    assert within.minimum_term_last_day == date(2026, 12, 7)
    assert last_day.early_termination_fee == 0
    default = await cancellation.quote(uow=uow, contract_id=contract.id, end_date=None)
    assert default.end_date == date(2026, 6, 30)
    assert uow.events == [] and uow.audit_log == []


async def test_r32_ops_end_a_contract_not_cancellable_on_the_site_with_fee_and_reason(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = iot_sim_contract(uow, quantity=10)
    await know_member(uow, contract.member_id, "株式会社テスト", "山田 太郎")
    ended = await cancellation.cancel_by_ops(
        uow=uow,
        contract_id=contract.id,
        end_date=date(2026, 9, 30),
        reason="お電話で解約のお申し出（移転のため）",
        actor="ops-1",
    )
    assert (ended.contract.end_date, ended.contract.early_termination_fee) == (
        date(2026, 9, 30),
        5000,
    )
    assert ended.member is not None and ended.member.organization_name == "株式会社テスト"
    stored = await uow.contracts.get(contract.id)
    assert stored is not None
    assert (stored.cancelled_by, stored.cancellation_reason) == (
        "ops",
        "お電話で解約のお申し出（移転のため）",
    )
    assert stored.status_on(NOW.date()) == "cancellation_scheduled"
    [event] = uow.events_of(ContractCancelled)
    assert (event.contract_id, event.end_date, event.early_termination_fee) == (
        contract.id,
        date(2026, 9, 30),
        5000,
    )
    assert (event.cancelled_by, event.reason) == ("ops", "お電話で解約のお申し出（移転のため）")
    [entry] = uow.audited("contract.cancel")
    assert (entry.actor, entry.target) == ("ops-1", str(contract.id))
    assert (entry.entity, entry.member_id) == ("contract", contract.member_id)
    assert entry.details == {
        "end_date": "2026-09-30",
        "early_termination_fee": 5000,
        "reason": "お電話で解約のお申し出（移転のため）",
    }


@pytest.mark.parametrize("end_date", [date(2026, 5, 31), date(2026, 6, 7)])
async def test_r32_ops_cannot_end_a_contract_in_the_past_or_before_its_start(
    uow: FakeOrderingUnitOfWork, end_date: date
) -> None:
    contract = iot_sim_contract(uow)
    with pytest.raises(EndDateNotAllowed) as refused:
        await cancellation.cancel_by_ops(
            uow=uow, contract_id=contract.id, end_date=end_date, reason="電話", actor="ops-1"
        )
    assert isinstance(refused.value, Invalid)
    assert (uow.committed, uow.events, uow.audit_log) == (0, [], [])


async def test_r32_ops_cannot_end_a_contract_twice_nor_one_that_does_not_exist(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = iot_sim_contract(uow)
    args: dict[str, Any] = {"uow": uow, "end_date": date(2026, 9, 30), "reason": "電話"}
    await cancellation.cancel_by_ops(contract_id=contract.id, actor="ops-1", **args)
    with pytest.raises(ContractNotCancellable) as twice:
        await cancellation.cancel_by_ops(contract_id=contract.id, actor="ops-2", **args)
    assert isinstance(twice.value, Conflict)
    with pytest.raises(ContractNotFound):
        await cancellation.cancel_by_ops(contract_id=uuid.uuid4(), actor="ops-1", **args)
    with pytest.raises(ContractNotFound):
        await cancellation.quote(uow=uow, contract_id=uuid.uuid4(), end_date=None)
    assert len(uow.events_of(ContractCancelled)) == 1
    assert [e.actor for e in uow.audited("contract.cancel")] == ["ops-1"]


async def test_r32_a_members_own_cancellation_is_recorded_as_the_members_without_reason(
    uow: FakeOrderingUnitOfWork,
) -> None:
    contract = uow.contracts.seed(make_contract(at=NOW, start_date=START))
    await cancellation.cancel_contract(
        uow=uow,
        contract_id=contract.id,
        member_id=contract.member_id,
        end_date=None,
        contact=ContactCenter(phone="0120-003300", hours_ja="平日", hours_en="weekdays"),
    )
    [event] = uow.events_of(ContractCancelled)
    assert (event.cancelled_by, event.reason) == ("member", None)
    assert uow.audit_log == []


async def test_r32_ops_list_contracts_of_a_member_by_status_naming_the_member(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    await know_member(uow, member_id, "株式会社テスト", "山田 太郎")
    running = uow.contracts.seed(make_contract(at=NOW, start_date=START, member_id=member_id))
    ending = make_contract(at=NOW + timedelta(minutes=1), start_date=START, member_id=member_id)
    ending.cancel(end_date=date(2026, 6, 30), today=NOW.date(), at=NOW)
    uow.contracts.seed(ending)
    ended = make_contract(at=NOW + timedelta(minutes=2), start_date=START, member_id=member_id)
    ended.end_date = NOW.date() - timedelta(days=1)
    uow.contracts.seed(ended)
    uow.contracts.seed(make_contract(at=NOW, start_date=START))

    everything = await queries.ops_contracts_page(
        uow=uow, member_id=member_id, limit=10, cursor=None
    )
    assert [c.contract.id for c in everything.items] == [ended.id, ending.id, running.id]
    assert {c.member.name for c in everything.items if c.member} == {"山田 太郎"}
    for status, expected in (
        ("active", running),
        ("cancellation_scheduled", ending),
        ("ended", ended),
    ):
        page = await queries.ops_contracts_page(
            uow=uow, member_id=member_id, status=status, limit=10, cursor=None
        )
        assert [c.contract.id for c in page.items] == [expected.id], status
    anyone = await queries.ops_contracts_page(uow=uow, limit=10, cursor=None)
    assert len(anyone.items) == 4


# --- R31: the ops order view ---------------------------------------------------------------

LABELLED_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apn_name": {"type": "string", "title": "APN名", "x-title-en": "APN name"},
        "delivery_date": {
            "type": "string",
            "format": "date",
            "title": "配送希望日",
            "x-title-en": "Delivery date",
        },
        "note": {"type": "string", "title": "備考", "x-title-en": "Note"},
    },
    "required": ["apn_name"],
    "additionalProperties": False,
}


async def test_r31_ops_read_the_entered_fields_labelled_as_the_ordered_version_showed_them(
    uow: FakeOrderingUnitOfWork, snapshot_factory: Callable[..., ServiceSnapshot]
) -> None:
    first = snapshot_factory(order_fields=LABELLED_FIELDS)
    renamed = dict(LABELLED_FIELDS["properties"])
    renamed["apn_name"] = {"type": "string", "title": "接続先", "x-title-en": "Access point"}
    await uow.catalog.store(first)
    await uow.catalog.store(
        snapshot_factory(
            service_id=first.service_id,
            service_version=2,
            order_fields={**LABELLED_FIELDS, "properties": renamed},
        )
    )
    order = uow.orders.seed(
        make_order(
            at=NOW,
            service_id=first.service_id,
            service_version=1,
            options={"delivery_date": "2026-06-20", "apn_name": "sensors.example", "legacy": 1},
        )
    )
    await know_member(uow, order.member_id, "株式会社テスト", "山田 太郎")
    order.hold(reason="APN名の綴りをご確認ください", at=NOW)
    await uow.orders.save(order)

    detail = await queries.ops_order(uow=uow, order_id=order.id)

    assert [(f.name, f.label, f.value) for f in detail.entered_fields] == [
        ("apn_name", LocalizedText(ja="APN名", en="APN name"), "sensors.example"),
        ("delivery_date", LocalizedText(ja="配送希望日", en="Delivery date"), "2026-06-20"),
        ("legacy", LocalizedText(ja="legacy", en="legacy"), 1),
    ]
    assert detail.member is not None
    assert (detail.member.organization_name, detail.member.name) == ("株式会社テスト", "山田 太郎")
    assert detail.order.reason == "APN名の綴りをご確認ください"
    assert [c.status for c in detail.order.status_history] == ["received", "on_hold"]
    with pytest.raises(OrderNotFound):
        await queries.ops_order(uow=uow, order_id=uuid.uuid4())


async def test_r31_ops_search_orders_by_member_service_status_and_japan_order_date(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id, service_id = uuid.uuid4(), uuid.uuid4()
    await know_member(uow, member_id, "株式会社テスト", "山田 太郎")
    late_on_1st = datetime(2026, 6, 1, 23, 30, tzinfo=JST)
    early_on_2nd = datetime(2026, 6, 2, 0, 10, tzinfo=JST)
    a = uow.orders.seed(make_order(at=late_on_1st, member_id=member_id, service_id=service_id))
    b = uow.orders.seed(make_order(at=early_on_2nd, member_id=member_id, service_id=service_id))
    other_service = uow.orders.seed(make_order(at=early_on_2nd, member_id=member_id))
    stranger = uow.orders.seed(make_order(at=early_on_2nd, service_id=service_id))
    rejected = make_order(at=early_on_2nd, member_id=member_id, service_id=service_id)
    rejected.reject(reason="不備", at=early_on_2nd)
    uow.orders.seed(rejected)

    async def ids(**filters: Any) -> set[uuid.UUID]:
        page = await queries.ops_orders_page(uow=uow, limit=50, cursor=None, **filters)
        return {o.order.id for o in page.items}

    assert await ids(member_id=member_id) == {a.id, b.id, other_service.id, rejected.id}
    assert await ids(service_id=service_id) == {a.id, b.id, stranger.id, rejected.id}
    assert await ids(member_id=member_id, service_id=service_id, status="received") == {
        a.id,
        b.id,
    }
    on_1st = {"placed_from": date(2026, 6, 1), "placed_to": date(2026, 6, 1)}
    assert await ids(**on_1st) == {a.id}
    assert await ids(placed_from=date(2026, 6, 2)) == {
        b.id,
        other_service.id,
        stranger.id,
        rejected.id,
    }
    assert await ids(placed_to=date(2026, 5, 31)) == set()
    page = await queries.ops_orders_page(uow=uow, limit=50, cursor=None, service_id=service_id)
    named = {o.order.id: o.member for o in page.items}
    assert named[a.id] is not None and named[a.id].organization_name == "株式会社テスト"
    assert named[stranger.id] is None


@pytest.mark.parametrize(
    ("placed_from", "placed_to", "field"),
    [
        (date(2026, 6, 2), date(2026, 6, 1), "placed_to"),
        (date(1, 1, 1), None, "placed_from"),
        (None, date(9999, 12, 31), "placed_to"),
    ],
)
async def test_r31_an_order_date_range_backwards_or_out_of_the_years_is_invalid(
    uow: FakeOrderingUnitOfWork, placed_from: date | None, placed_to: date | None, field: str
) -> None:
    with pytest.raises(InvalidPeriod) as refused:
        await queries.ops_orders_page(
            uow=uow, limit=10, cursor=None, placed_from=placed_from, placed_to=placed_to
        )
    assert isinstance(refused.value, Invalid)
    assert refused.value.errors is not None and refused.value.errors[0]["field"] == field


async def test_r30_the_member_copy_keeps_the_names_identity_sends(
    uow: FakeOrderingUnitOfWork,
) -> None:
    member_id = uuid.uuid4()
    event = MemberVerified(
        member_id=member_id,
        aggregate_version=2,
        profile=MemberProfile(
            status="active",
            entity_type="corporation",
            name="山田 太郎",
            organization_name="株式会社テスト",
            postal_code="1000001",
            address="東京都千代田区千代田1-1",
            contact_email="taro@example.jp",
            language="ja",
        ),
    )
    envelope = Envelope.wrap(event, producer="identity", correlation_id="c")
    await local_copies.on_member_changed(event, uow=uow, envelope=envelope)
    copy = await uow.members.get(member_id)
    assert copy is not None
    assert (copy.organization_name, copy.name) == ("株式会社テスト", "山田 太郎")
