"""A running notification service for the integration tests: migrated database, worker
(consumer, sender, maintenance refresh) and the HTTP app, against real servers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from bizmall_events import (
    Envelope,
    IntegrationEvent,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    OrderPlaced,
)
from notification.adapters.tables import DeliveryRow, MemberContactRow, MemberOrderRow
from notification.bootstrap import SERVICE
from notification.config import Settings
from notification.entrypoints.app import create_app
from notification.entrypoints.jobs import jobs
from notification.entrypoints.subscriptions import subscriptions
from servicekit.crypto import SecretBox
from servicekit.migrations import upgrade
from servicekit.runtime import Runtime
from servicekit.testing.helpers import eventually
from servicekit.worker import Worker


@dataclass
class Notification:
    """The service under test and helpers to drive it."""

    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient
    worker: Worker

    async def publish(self, event: IntegrationEvent, producer: str = "test") -> Envelope:
        """Put ``event`` on the exchange as its publisher would."""
        envelope = Envelope.wrap(event, producer=producer, correlation_id=uuid.uuid4().hex)
        await self.runtime.bus.publish(envelope)
        return envelope

    @staticmethod
    def member_verified(member_id: uuid.UUID, email: str, **kwargs: Any) -> MemberVerified:
        return member_verified(member_id, email, **kwargs)

    @staticmethod
    def in_hours(hours: float) -> datetime:
        return datetime.now(UTC) + timedelta(hours=hours)

    def seal(self, token: str) -> str:
        return SecretBox(self.settings.event_secret_key).seal(token)

    async def deliveries(self, **where: Any) -> list[DeliveryRow]:
        async with self.runtime.sessions() as session:
            query = select(DeliveryRow)
            for name, value in where.items():
                query = query.where(getattr(DeliveryRow, name) == value)
            return list((await session.execute(query)).scalars())

    async def contact(self, member_id: uuid.UUID) -> MemberContactRow | None:
        async with self.runtime.sessions() as session:
            return await session.get(MemberContactRow, member_id)

    async def member(
        self,
        *,
        email: str | None = None,
        language: str = "ja",
        name: str = "山田 太郎",
        version: int = 2,
    ) -> uuid.UUID:
        """A verified member whose contact copy has arrived."""
        member_id = uuid.uuid4()
        await self.publish(
            member_verified(
                member_id,
                email or f"{member_id}@example.jp",
                language=language,
                name=name,
                version=version,
            )
        )
        await eventually(lambda: self.contact(member_id))
        return member_id

    async def order(self, member_id: uuid.UUID) -> uuid.UUID:
        """An order the member placed, once ordering's event has reached notification."""
        order_id = uuid.uuid4()
        name = LocalizedText(ja="クラウドPBX", en="Cloud PBX")
        await self.publish(
            OrderPlaced(
                order_id=order_id,
                member_id=member_id,
                service_id=uuid.uuid4(),
                service_name=name,
                plan_id=uuid.uuid4(),
                plan_version_id=uuid.uuid4(),
                plan_name=name,
                quantity=1,
                planned_start_date=date(2025, 4, 1),
                aggregate_version=1,
                status="received",
                monthly_fee=1000,
                initial_fee=0,
                inquiry_reference="Q-1",
                placed_at=datetime.now(UTC),
            )
        )

        async def kept() -> MemberOrderRow | None:
            async with self.runtime.sessions() as session:
                return await session.get(MemberOrderRow, order_id)

        await eventually(kept)
        return order_id


def member_verified(
    member_id: uuid.UUID,
    email: str,
    *,
    language: str = "ja",
    name: str = "山田 太郎",
    version: int = 2,
    status: str = "active",
) -> MemberVerified:
    return MemberVerified(
        member_id=member_id,
        aggregate_version=version,
        profile=MemberProfile(
            status=status,  # type: ignore[arg-type]
            entity_type="corporation",
            name=name,
            organization_name="株式会社テスト",
            postal_code="1000001",
            address="東京都千代田区千代田1-1",
            contact_email=email,
            language=language,  # type: ignore[arg-type]
        ),
    )


@contextlib.asynccontextmanager
async def running_notification(
    infra: Any, token_issuer: Any, **overrides: Any
) -> AsyncIterator[Notification]:
    """Migrate a fresh database and run the worker and the app until the block ends."""
    values: dict[str, Any] = {
        "jwks_url": token_issuer.jwks_url,
        # A queue of its own, so a test never consumes another test's leftovers.
        "queue_prefix": f"{infra.queue_prefix}.{uuid.uuid4().hex[:6]}",
        "retry_delays_ms": [300, 600, 1000],
        "max_attempts": 10,
        "delivery_retry_seconds": [0.3, 0.6, 1.0],
        "delivery_cycle_seconds": 1.0,
        "delivery_poll_seconds": 0.2,
        "maintenance_refresh_seconds": 0.5,
    }
    values.update(overrides)
    settings = await infra.service_settings(Settings, **values)
    await asyncio.to_thread(upgrade, settings, SERVICE.name)
    runtime = SERVICE.runtime(settings)
    worker = Worker(runtime, subscriptions=subscriptions(runtime), jobs=jobs(runtime))
    task = asyncio.create_task(worker.run())
    app = create_app(settings)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")
    try:
        await asyncio.wait_for(worker.ready.wait(), 20)
        yield Notification(settings=settings, runtime=runtime, client=client, worker=worker)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        await client.aclose()
        await app.state.jwks_verifier.close()
        await app.state.runtime.close()
        await runtime.close()


@pytest_asyncio.fixture
async def notification(
    infra: Any, token_issuer: Any, smtp_sink: Any
) -> AsyncIterator[Notification]:
    """The service, mailing to the test's SMTP sink."""
    async with running_notification(
        infra, token_issuer, smtp_host=smtp_sink.host, smtp_port=smtp_sink.port
    ) as service:
        yield service


@pytest_asyncio.fixture
async def start_notification(infra: Any, token_issuer: Any) -> Any:
    """Start the service with setting overrides: ``async with start_notification(**o) as n``."""

    def start(**overrides: Any) -> contextlib.AbstractAsyncContextManager[Notification]:
        return running_notification(infra, token_issuer, **overrides)

    return start
