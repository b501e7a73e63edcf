"""The ordering worker end to end on RabbitMQ: real catalog and identity events feed the
local copies, and the order's event leaves through the outbox relay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson

from bizmall_events import (
    DocumentReviewed,
    Envelope,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    ServicePublished,
)
from jpcalendar import JST
from ordering.bootstrap import SERVICE
from servicekit.testing.helpers import eventually
from servicekit.worker import Worker

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


async def test_events_on_the_broker_feed_the_copies_and_release_the_order(
    ordering: Any, snapshot_factory: Any
) -> None:
    ordering.pin(NOW)
    runtime = ordering.runtime
    worker = Worker(runtime, subscriptions=SERVICE.subscriptions(runtime))
    running = asyncio.create_task(worker.run())
    # A queue of this test's own, to see what ordering publishes.
    channel = await runtime.bus.channel()
    exchange = await channel.get_exchange(ordering.settings.event_exchange)
    seen = await channel.declare_queue(exclusive=True)
    await seen.bind(exchange, routing_key="ordering.#")
    try:
        await asyncio.wait_for(worker.ready.wait(), timeout=30)
        snapshot = snapshot_factory(
            name=LocalizedText(ja="クラウドPBX", en="Cloud PBX"), requires_corporation=False
        )
        member_id = uuid.uuid4()
        for event in (
            ServicePublished(
                service_id=snapshot.service_id, aggregate_version=1, snapshot=snapshot
            ),
            MemberVerified(
                member_id=member_id,
                aggregate_version=1,
                profile=MemberProfile(
                    status="active",
                    entity_type="sole_proprietor",
                    name="鈴木 花子",
                    organization_name="鈴木デザイン",
                    postal_code="5300001",
                    address="大阪府大阪市北区梅田1-1",
                    contact_email="hanako@example.jp",
                    language="ja",
                ),
            ),
        ):
            await runtime.bus.publish(Envelope.wrap(event, producer="test", correlation_id="t"))

        async def placed() -> dict[str, Any] | None:
            response = await ordering.client.post(
                "/api/v1/orders",
                json=ordering.order_body(snapshot, date(2026, 6, 8)),
                # The token claims a corporation; the member copy knows better.
                headers={**ordering.member(member_id), "Idempotency-Key": "w-1"},
            )
            body: dict[str, Any] = response.json()
            return body if response.status_code in (200, 201) and body["status"] else None

        async def copied_member() -> bool:
            async with runtime.uow() as uow:
                return await uow.members.get(member_id) is not None

        await eventually(copied_member, timeout=20)
        order = await eventually(placed, timeout=20)
        assert order["status"] == "awaiting_documents"

        approval = DocumentReviewed(
            document_id=uuid.uuid4(),
            aggregate_version=2,
            member_id=member_id,
            document_type="my_number_card_front",
            decision="approved",
            reviewed_at=datetime.now(UTC),
        )
        await runtime.bus.publish(Envelope.wrap(approval, producer="test", correlation_id="t"))

        async def released() -> bool:
            response = await ordering.client.get(
                f"/api/v1/orders/{order['id']}", headers=ordering.member(member_id)
            )
            return bool(response.json()["status"] == "received")

        await eventually(released, timeout=20)

        async def published_placed() -> dict[str, Any] | None:
            message = await seen.get(no_ack=True, fail=False)
            if message is None:
                return None
            data: dict[str, Any] = orjson.loads(message.body)
            return data if data["type"] == "ordering.order.placed" else None

        envelope = await eventually(published_placed, timeout=20)
        assert envelope["data"]["order_id"] == order["id"]
        assert envelope["data"]["service_name"] == {"ja": "クラウドPBX", "en": "Cloud PBX"}
    finally:
        worker.stop()
        await asyncio.wait_for(running, timeout=30)
        await channel.close()
