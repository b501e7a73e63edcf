"""Placing an order (R11–R14, R16, R17, R28) with a fake unit of work: no database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bizmall_events import OrderPlaced, ServiceSnapshot
from jpcalendar import JST, MAX_MONTHS, selectable_start_dates
from ordering.config import Settings
from ordering.domain.errors import (
    IdempotencyKeyReused,
    MemberWithdrawn,
    OrderInvalid,
    PlanVersionOutdated,
)
from ordering.service_layer.placing import Placed, PlaceOrder, place_order
from servicekit.errors import Conflict, Forbidden, Invalid
from services.ordering.tests.unit.fakes import NOW, START, FakeOrderingUnitOfWork

SETTINGS = Settings()


@pytest.fixture
async def service(
    uow: FakeOrderingUnitOfWork, snapshot_factory: Callable[..., ServiceSnapshot]
) -> Callable[..., Any]:
    async def publish(**overrides: Any) -> ServiceSnapshot:
        snapshot = snapshot_factory(**overrides)
        await uow.catalog.store(snapshot)
        return snapshot

    return publish


def command(snapshot: ServiceSnapshot, **overrides: Any) -> PlaceOrder:
    values: dict[str, Any] = {
        "service_id": snapshot.service_id,
        "plan_id": snapshot.plans[0].plan_id,
        "quantity": 1,
        "desired_start_date": START,
        "options": {"domain_name": "example.jp"},
    }
    values.update(overrides)
    return PlaceOrder(**values)


async def place(
    uow: FakeOrderingUnitOfWork,
    snapshot: ServiceSnapshot,
    *,
    member_id: uuid.UUID | None = None,
    token_entity_type: str | None = "corporation",
    **overrides: Any,
) -> Placed:
    return await place_order(
        uow=uow,
        command=command(snapshot, **overrides),
        member_id=member_id or uuid.uuid4(),
        token_entity_type=token_entity_type,
        settings=SETTINGS,
    )


def codes(refusal: OrderInvalid) -> set[str]:
    return {v.code for v in refusal.violations}


async def test_r16_a_placed_order_is_stored_and_its_placed_event_committed_with_it(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    placed = await place(uow, snapshot)
    assert not placed.replayed
    assert placed.order.status == "received"
    assert uow.committed == 1
    [event] = uow.events_of(OrderPlaced)
    assert (event.order_id, event.status, event.aggregate_version) == (
        placed.order.id,
        "received",
        1,
    )
    assert event.placed_at == NOW
    stored = await uow.orders.get(placed.order.id)
    assert stored is not None and stored.status == "received"


async def test_r28_the_order_records_the_plan_price_and_terms_in_force(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(cancellable_on_site=False, minimum_term_months=24)
    placed = await place(uow, snapshot)
    plan = snapshot.plans[0]
    terms = placed.order.terms
    assert (terms.monthly_fee, terms.initial_fee, terms.plan_version_id) == (
        plan.monthly_fee,
        plan.initial_fee,
        plan.plan_version_id,
    )
    assert (terms.cancellable_on_site, terms.minimum_term_months) == (False, 24)
    [event] = uow.events_of(OrderPlaced)
    assert (event.monthly_fee, event.initial_fee) == (plan.monthly_fee, plan.initial_fee)


async def test_r12_a_sole_proprietor_without_an_approved_document_waits_for_documents(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    placed = await place(uow, snapshot, token_entity_type="sole_proprietor")
    assert placed.order.status == "awaiting_documents"
    assert uow.events_of(OrderPlaced)[0].status == "awaiting_documents"


async def test_r12_a_sole_proprietor_with_an_approved_document_goes_to_review(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    await uow.members.store_document_review(
        document_id=uuid.uuid4(),
        member_id=member_id,
        version=2,
        decision="approved",
        reviewed_at=NOW,
    )
    placed = await place(uow, snapshot, member_id=member_id, token_entity_type="sole_proprietor")
    assert placed.order.status == "received"


async def test_r12_a_sole_proprietors_order_takes_the_member_lock_a_corporations_does_not(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    sole, corporation = uuid.uuid4(), uuid.uuid4()
    await place(uow, snapshot, member_id=sole, token_entity_type="sole_proprietor")
    await place(uow, snapshot, member_id=corporation, token_entity_type="corporation")
    assert uow.members.locked == [sole]


async def test_r12_the_member_copy_beats_an_older_token_claim(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    await uow.members.store(
        member_id=member_id, version=1, entity_type="sole_proprietor", status="active"
    )
    placed = await place(uow, snapshot, member_id=member_id, token_entity_type="corporation")
    assert placed.order.status == "awaiting_documents"


async def test_r12_a_sole_proprietor_cannot_order_a_service_for_corporations_only(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(requires_corporation=True)
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, token_entity_type="sole_proprietor")
    assert codes(refused.value) == {"order.requires_corporation"}
    assert refused.value.errors == [
        {
            "field": "service_id",
            "code": "order.requires_corporation",
            "ja": "このサービスは法人のお客さま専用です。"
            "個人事業主のお客さまはお申し込みいただけません。",
            "en": "This service is for registered corporations only; a sole proprietor "
            "cannot order it.",
        }
    ]


async def test_r13_order_fields_are_checked_against_the_services_own_definition(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, options={"domain_name": "not a domain", "seats": 0})
    fields = {error["field"] for error in refused.value.errors or []}
    assert fields == {"options.domain_name", "options.seats"}


async def test_r14_a_quantity_over_the_limit_names_the_contact_centers_phone_and_hours(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(max_quantity_per_order=10, takes_phone_orders=True)
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, quantity=11)
    [error] = refused.value.errors or []
    assert error["code"] == "order.quantity_over_limit"
    assert SETTINGS.contact_center_phone in error["ja"]
    assert SETTINGS.contact_center_hours_ja in error["ja"]
    assert SETTINGS.contact_center_hours_en in error["en"]
    assert refused.value.code == "order.invalid"
    assert isinstance(refused.value, Invalid)


async def test_r14_a_service_taking_no_phone_orders_does_not_offer_the_phone(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(max_quantity_per_order=10, takes_phone_orders=False)
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, quantity=11)
    [error] = refused.value.errors or []
    assert SETTINGS.contact_center_phone not in error["ja"] + error["en"]
    assert error["en"] == "At most 10 per order. Please order 10 or fewer."


async def test_r14_the_quantity_must_be_a_multiple_of_the_order_unit(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(order_unit=5, max_quantity_per_order=50)
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, quantity=7)
    assert codes(refused.value) == {"order.quantity_not_multiple_of_unit"}
    assert (await place(uow, snapshot, quantity=10)).order.quantity == 10


async def test_r14_every_broken_rule_is_answered_at_once_and_nothing_is_committed(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(max_quantity_per_order=10)
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, quantity=11, options={}, desired_start_date=date(2026, 6, 2))
    assert codes(refused.value) == {
        "order.quantity_over_limit",
        "order.options.required",
        "order.start_date_not_selectable",
    }
    assert (uow.committed, uow.events, len(uow.orders)) == (0, [], 0)


async def test_r17_an_order_before_13h_may_start_at_the_earliest_date_after_the_lead_time(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(lead_time_business_days=5)
    uow.clock.pin(datetime(2026, 6, 1, 12, 59, tzinfo=JST))
    placed = await place(uow, snapshot, desired_start_date=START)
    assert placed.order.planned_start_date == START


async def test_r17_order_after_13h_counts_as_next_business_day(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(lead_time_business_days=5)
    uow.clock.pin(datetime(2026, 6, 1, 13, 0, tzinfo=JST))
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, desired_start_date=START)
    assert codes(refused.value) == {"order.start_date_not_selectable"}
    assert "2026-06-09" in refused.value.ja
    assert (await place(uow, snapshot, desired_start_date=date(2026, 6, 9))).order


async def test_r17_a_friday_afternoon_order_counts_from_monday(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(lead_time_business_days=1)
    friday_afternoon = datetime(2026, 6, 5, 15, 0, tzinfo=JST)
    uow.clock.pin(friday_afternoon)
    earliest = selectable_start_dates(friday_afternoon, 1, MAX_MONTHS).earliest
    assert earliest == date(2026, 6, 9)
    with pytest.raises(OrderInvalid):
        await place(uow, snapshot, desired_start_date=date(2026, 6, 8))
    assert (await place(uow, snapshot, desired_start_date=earliest)).order


async def test_r17_a_start_date_on_a_national_holiday_is_not_selectable(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    # Marine Day, Monday 20 July 2026.
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, desired_start_date=date(2026, 7, 20))
    assert codes(refused.value) == {"order.start_date_not_selectable"}


async def test_r17_a_start_date_beyond_the_order_window_is_refused(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    latest = selectable_start_dates(NOW, 5, MAX_MONTHS).latest
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, desired_start_date=latest + timedelta(days=7))
    assert codes(refused.value) == {"order.start_date_not_selectable"}


UNAVAILABLE = [
    {
        "field": "service_id",
        "code": "order.service_unavailable",
        "ja": "このサービスは現在お申し込みいただけません。",
        "en": "This service cannot be ordered.",
    }
]


async def test_order_acceptance_a_retired_service_is_no_longer_accepted(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service(status="retired")
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot)
    assert refused.value.errors == UNAVAILABLE


async def test_order_acceptance_a_service_ordering_never_heard_of_is_not_accepted(
    uow: FakeOrderingUnitOfWork, snapshot_factory: Callable[..., ServiceSnapshot]
) -> None:
    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot_factory())
    assert refused.value.errors == UNAVAILABLE


async def test_r11_a_withdrawn_member_cannot_order(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    await uow.members.store(member_id=member_id, version=1, entity_type="corporation", status="a")
    await uow.members.mark_withdrawn(member_id)
    with pytest.raises(MemberWithdrawn) as refused:
        await place(uow, snapshot, member_id=member_id)
    assert isinstance(refused.value, Forbidden)
    assert (refused.value.code, refused.value.en) == (
        "member.withdrawn",
        "The member has withdrawn.",
    )
    assert uow.committed == 0


async def test_a_stale_plan_version_is_a_conflict_answered_before_field_errors(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    with pytest.raises(PlanVersionOutdated) as refused:
        await place(uow, snapshot, plan_version_id=uuid.uuid4(), quantity=999)
    assert isinstance(refused.value, Conflict)
    assert refused.value.extra == {
        "current_plan_version_id": str(snapshot.plans[0].plan_version_id)
    }
    current = await place(uow, snapshot, plan_version_id=snapshot.plans[0].plan_version_id)
    assert current.order.plan_version_id == snapshot.plans[0].plan_version_id


async def test_idempotency_the_same_key_and_body_replays_the_first_order_without_a_second_event(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    first = await place(uow, snapshot, member_id=member_id, idempotency_key="k-1")
    again = await place(uow, snapshot, member_id=member_id, idempotency_key="k-1")
    assert (again.replayed, again.order.id) == (True, first.order.id)
    assert len(uow.events_of(OrderPlaced)) == 1
    assert len(uow.orders) == 1


async def test_idempotency_the_same_key_with_another_body_is_refused(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    await place(uow, snapshot, member_id=member_id, idempotency_key="k-1")
    with pytest.raises(IdempotencyKeyReused) as refused:
        await place(uow, snapshot, member_id=member_id, idempotency_key="k-1", quantity=2)
    assert refused.value.code == "order.idempotency_key_reused"
    other_member = await place(uow, snapshot, idempotency_key="k-1", quantity=2)
    assert not other_member.replayed


async def test_idempotency_a_key_older_than_the_window_places_a_new_order(
    uow: FakeOrderingUnitOfWork, service: Callable[..., Any]
) -> None:
    snapshot = await service()
    member_id = uuid.uuid4()
    first = await place(uow, snapshot, member_id=member_id, idempotency_key="k-1")
    uow.clock.pin(NOW + timedelta(hours=SETTINGS.idempotency_window_hours, minutes=1))
    later = await place(
        uow,
        snapshot,
        member_id=member_id,
        idempotency_key="k-1",
        desired_start_date=date(2026, 6, 10),
    )
    assert not later.replayed and later.order.id != first.order.id
    assert len(uow.events_of(OrderPlaced)) == 2


def test_the_body_digest_ignores_the_key_but_not_the_body() -> None:
    base = PlaceOrder(
        service_id=uuid.uuid4(),
        plan_id=uuid.uuid4(),
        quantity=1,
        desired_start_date=START,
        options={"b": 1, "a": 2},
        idempotency_key="x",
    )
    assert base.body_hash() == replace(base, idempotency_key="y").body_hash()
    assert base.body_hash() == replace(base, options={"a": 2, "b": 1}).body_hash()
    assert base.body_hash() != replace(base, quantity=2).body_hash()
