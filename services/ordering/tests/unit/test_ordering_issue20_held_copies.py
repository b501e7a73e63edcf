"""The copies held in memory (issue 20): bounded, and never the last word on an order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bizmall_events import ServiceSnapshot
from ordering.adapters.held_copies import HeldCopies, Lru, held_copies
from ordering.config import Settings
from ordering.domain.errors import MemberWithdrawn, OrderInvalid
from ordering.service_layer.placing import PlaceOrder, place_order
from services.ordering.tests.unit.fakes import NOW, START, FakeOrderingUnitOfWork

SETTINGS = Settings()


def test_an_lru_keeps_at_most_its_limit_and_drops_the_least_recently_used() -> None:
    held: Lru[str, int] = Lru(2)
    held.put("a", 1)
    held.put("b", 2)
    assert held.get("a") == 1
    held.put("c", 3)
    assert len(held) == 2
    assert ("a" in held, "b" in held, "c" in held) == (True, False, True)
    held.forget("a")
    assert held.get("a") is None and len(held) == 1


def test_held_versions_are_kept_by_service_and_version_and_current_moves_alone(
    snapshot_factory: Callable[..., ServiceSnapshot],
) -> None:
    held = HeldCopies(services=8, members=8)
    first = snapshot_factory()
    second = first.model_copy(update={"service_version": 2})
    held.hold_current(first)
    held.hold_current(second)
    assert held.current_snapshot(first.service_id) is second
    assert held.versions.get((first.service_id, 1)) is first
    held.current.forget(first.service_id)
    assert held.current_snapshot(first.service_id) is None


class Database:
    """Stands for a session factory: one per database a process talks to."""


def test_each_database_has_its_own_held_copies() -> None:
    one, other = Database(), Database()
    assert held_copies(one) is held_copies(one)
    assert held_copies(one) is not held_copies(other)


@pytest.fixture
async def snapshot(
    uow: FakeOrderingUnitOfWork, snapshot_factory: Callable[..., ServiceSnapshot]
) -> ServiceSnapshot:
    published = snapshot_factory()
    await uow.catalog.store(published)
    return published


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
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot, member_id: uuid.UUID, **overrides: Any
) -> Any:
    return await place_order(
        uow=uow,
        command=command(snapshot, **overrides),
        member_id=member_id,
        token_entity_type="corporation",
        settings=SETTINGS,
    )


async def test_the_second_order_is_placed_on_the_held_copies_without_a_new_attempt(
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot
) -> None:
    member_id = uuid.uuid4()
    await place(uow, snapshot, member_id)
    assert uow.catalog.held_current(snapshot.service_id) is snapshot
    assert uow.members.held(member_id) is not None

    second = await place(uow, snapshot, member_id)
    assert second.order.service_version == 1
    assert (uow.committed, uow.rollbacks) == (2, 0)


async def test_a_held_version_that_moved_on_elsewhere_places_the_order_on_the_current_one(
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot
) -> None:
    member_id = uuid.uuid4()
    await place(uow, snapshot, member_id)
    # Another process stored version 2: this one still holds version 1.
    newer = snapshot.model_copy(update={"service_version": 2, "free_first_month": True})
    uow.catalog.versions[(snapshot.service_id, 2)] = newer
    uow.catalog.current_version[snapshot.service_id] = 2
    assert uow.catalog.held_current(snapshot.service_id) is snapshot

    placed = await place(uow, snapshot, member_id)
    assert placed.order.service_version == 2 and placed.order.terms.free_first_month
    assert uow.rollbacks == 1
    assert uow.catalog.held_current(snapshot.service_id) is newer


async def test_r11_a_member_withdrawn_elsewhere_is_refused_despite_the_held_copy(
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot
) -> None:
    member_id = uuid.uuid4()
    await uow.members.store(
        member_id=member_id, version=1, entity_type="corporation", status="active"
    )
    await place(uow, snapshot, member_id)
    version, member = uow.members.members[member_id]
    uow.members.members[member_id] = (
        version,
        member.__class__(**{**vars(member), "withdrawn": True}),
    )

    with pytest.raises(MemberWithdrawn):
        await place(uow, snapshot, member_id)
    assert len(uow.orders) == 1


async def test_a_refusal_is_answered_step_by_step_as_before(
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot
) -> None:
    member_id = uuid.uuid4()
    await place(uow, snapshot, member_id)

    with pytest.raises(OrderInvalid) as refused:
        await place(uow, snapshot, member_id, quantity=11)
    assert {v.code for v in refused.value.violations} == {"order.quantity_over_limit"}
    assert len(uow.orders) == 1


async def test_a_repeated_key_replays_even_when_its_body_no_longer_validates(
    uow: FakeOrderingUnitOfWork, snapshot: ServiceSnapshot
) -> None:
    member_id = uuid.uuid4()
    await place(uow, snapshot, member_id)
    first = await place(uow, snapshot, member_id, idempotency_key="k")
    assert not first.replayed

    # A day later the start date is no longer selectable; within 24 h the key still answers.
    uow.clock.pin(NOW + timedelta(hours=23))
    again = await place(uow, snapshot, member_id, idempotency_key="k")
    assert again.replayed and again.order.id == first.order.id
    assert len(uow.orders) == 2
