"""Orders placed on the copies held in memory (issue 20) are still checked against the database.

The app holds the catalog version and member copy it last read; another process
of the service (the worker consuming catalog's and identity's events) changes
the copies in the same database without telling this one. Every test here
makes that change "elsewhere", so nothing but the placing statement's own
check stands between a stale held copy and a stored order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from bizmall_events import (
    Envelope,
    IntegrationEvent,
    MemberProfile,
    MemberProfileChanged,
    ServiceRetired,
    ServiceUpdated,
    WithdrawalDecided,
)
from jpcalendar import JST
from ordering.adapters.tables import OrderRequestKey, OrderRow
from ordering.bootstrap import SERVICE
from ordering.service_layer.unit_of_work import OrderingUnitOfWork
from servicekit.db import session_factory

# Monday 1 June 2026, before the 13:00 cut-off; lead time 5 → earliest Monday 8 June.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
START = date(2026, 6, 8)


async def deliver_elsewhere(ordering: Any, event: IntegrationEvent) -> None:
    """Handle ``event`` as another process of ordering would: same database, its own memory."""
    handlers = SERVICE.subscriptions(ordering.runtime)
    envelope = Envelope.wrap(event, producer="test", correlation_id="test")
    sessions = session_factory(ordering.runtime.engine)
    async with OrderingUnitOfWork(sessions, producer="ordering") as uow:
        await handlers[type(event)](event, uow=uow, envelope=envelope)
        await uow.commit()


async def order(ordering: Any, member_id: uuid.UUID, body: dict[str, Any], **headers: str) -> Any:
    return await ordering.client.post(
        "/api/v1/orders", json=body, headers={**ordering.member(member_id), **headers}
    )


async def orders_of(ordering: Any, member_id: uuid.UUID) -> list[Any]:
    async with ordering.runtime.sessions() as session:
        rows = await session.execute(
            sa.select(OrderRow.service_version, OrderRow.status).where(
                OrderRow.member_id == member_id
            )
        )
        return list(rows)


@contextmanager
def statements(ordering: Any) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs (BEGIN and COMMIT aside)."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = ordering.runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


async def test_an_order_on_held_copies_is_one_statement_with_its_event_and_key(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    body = ordering.order_body(snapshot, START)
    assert (await order(ordering, member_id, body)).status_code == 201  # reads the copies

    with statements(ordering) as sent:
        placed = await order(ordering, member_id, body, **{"Idempotency-Key": "k-1"})
    assert placed.status_code == 201, placed.text
    assert len(sent) == 1, sent
    [event] = await ordering.outbox("ordering.order.placed", order_id=placed.json()["id"])
    assert event["inquiry_reference"] == placed.json()["inquiry_reference"]
    async with ordering.runtime.sessions() as session:
        bound = await session.scalar(
            sa.select(OrderRequestKey.order_id).where(
                OrderRequestKey.member_id == member_id, OrderRequestKey.key == "k-1"
            )
        )
    assert str(bound) == placed.json()["id"]

    replay = await order(ordering, member_id, body, **{"Idempotency-Key": "k-1"})
    assert replay.status_code == 200 and replay.json() == placed.json()
    assert len(await orders_of(ordering, member_id)) == 2


async def test_an_order_on_a_held_version_retired_elsewhere_is_refused(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    body = ordering.order_body(snapshot, START)
    assert (await order(ordering, member_id, body)).status_code == 201
    assert (await order(ordering, member_id, body)).status_code == 201

    retired = snapshot.model_copy(update={"service_version": 2, "status": "retired"})
    await deliver_elsewhere(
        ordering,
        ServiceRetired(service_id=snapshot.service_id, aggregate_version=2, snapshot=retired),
    )
    for _ in range(2):
        gone = await order(ordering, member_id, body, **{"Idempotency-Key": str(uuid.uuid4())})
        assert gone.status_code == 422
        assert gone.json()["errors"][0]["code"] == "order.service_unavailable"
    assert await orders_of(ordering, member_id) == [(1, "received"), (1, "received")]


async def test_an_order_after_a_new_version_elsewhere_is_placed_on_the_new_one(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    plan = snapshot.plans[0]
    member_id = uuid.uuid4()
    body = ordering.order_body(snapshot, START, plan_version_id=str(plan.plan_version_id))
    assert (await order(ordering, member_id, body)).status_code == 201

    repriced = plan.model_copy(update={"plan_version_id": uuid.uuid4(), "monthly_fee": 4500})
    newer = snapshot.model_copy(update={"service_version": 2, "plans": (repriced,)})
    await deliver_elsewhere(
        ordering,
        ServiceUpdated(service_id=snapshot.service_id, aggregate_version=2, snapshot=newer),
    )
    outdated = await order(ordering, member_id, body)
    assert outdated.status_code == 409
    assert outdated.json()["current_plan_version_id"] == str(repriced.plan_version_id)

    on_new = await order(ordering, member_id, ordering.order_body(snapshot, START))
    assert on_new.status_code == 201, on_new.text
    assert on_new.json()["monthly_fee"] == 4500
    assert sorted(await orders_of(ordering, member_id)) == [(1, "received"), (2, "received")]


async def test_a_member_withdrawn_elsewhere_cannot_order_on_the_held_copy(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id)
    body = ordering.order_body(snapshot, START)
    assert (await order(ordering, member_id, body)).status_code == 201

    await deliver_elsewhere(
        ordering,
        WithdrawalDecided(
            withdrawal_id=uuid.uuid4(),
            aggregate_version=1,
            member_id=member_id,
            decision="withdrawn",
        ),
    )
    refused = await order(ordering, member_id, body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "member.withdrawn"
    assert len(await orders_of(ordering, member_id)) == 1


async def test_r12_a_member_who_became_a_sole_proprietor_elsewhere_waits_for_documents(
    ordering: Any,
) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    await ordering.verify_member(member_id, entity_type="corporation")
    body = ordering.order_body(snapshot, START)
    assert (await order(ordering, member_id, body)).status_code == 201

    await deliver_elsewhere(
        ordering,
        MemberProfileChanged(
            member_id=member_id,
            aggregate_version=2,
            profile=MemberProfile(
                status="active",
                entity_type="sole_proprietor",
                name="山田 太郎",
                organization_name="山田商店",
                postal_code="1000001",
                address="東京都千代田区千代田1-1",
                contact_email=f"{member_id.hex[:8]}@example.jp",
                language="ja",
            ),
        ),
    )
    later = await order(ordering, member_id, body)
    assert later.status_code == 201, later.text
    assert later.json()["status"] == "awaiting_documents"


async def test_concurrent_duplicates_on_held_copies_create_one_order(ordering: Any) -> None:
    ordering.pin(NOW)
    snapshot = await ordering.publish_service()
    member_id = uuid.uuid4()
    body = ordering.order_body(snapshot, START)
    assert (await order(ordering, member_id, body)).status_code == 201

    key = {"Idempotency-Key": str(uuid.uuid4())}
    responses = await asyncio.gather(*(order(ordering, member_id, body, **key) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await orders_of(ordering, member_id)) == 2
    assert len(await ordering.outbox("ordering.order.placed", member_id=member_id)) == 2
