"""Fixtures of the ordering tests: catalog snapshots built from the contracts, and a
running ordering app on a fresh, migrated database with helpers to feed its copies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from bizmall_events import (
    DocumentReviewed,
    Envelope,
    IntegrationEvent,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    PlanSnapshot,
    ServicePublished,
    ServiceSnapshot,
)
from ordering.bootstrap import SERVICE
from ordering.config import Settings
from ordering.entrypoints.app import create_app
from servicekit.migrations import upgrade
from servicekit.outbox import OutboxRecord
from servicekit.runtime import Runtime

ORDER_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "domain_name": {"type": "string", "pattern": r"^[a-z0-9-]+\.[a-z]{2,}$"},
        "seats": {"type": "integer", "minimum": 1},
    },
    "required": ["domain_name"],
    "additionalProperties": False,
}


def build_snapshot(**overrides: Any) -> ServiceSnapshot:
    """A published service (one plan, 1–10 per order, lead time 5 business days)."""
    service_id = overrides.pop("service_id", uuid.uuid4())
    plan = PlanSnapshot(
        plan_id=uuid.uuid4(),
        plan_version_id=uuid.uuid4(),
        name=LocalizedText(ja="スタンダード", en="Standard"),
        monthly_fee=3000,
        initial_fee=5000,
    )
    values: dict[str, Any] = {
        "service_id": service_id,
        "service_version": 1,
        "slug": f"svc-{service_id.hex[:8]}",
        "status": "published",
        "category": "network",
        "name": LocalizedText(ja="光回線", en="Fiber line"),
        "description": LocalizedText(ja="説明", en="Description"),
        "plans": (plan,),
        "order_unit": 1,
        "max_quantity_per_order": 10,
        "takes_phone_orders": True,
        "order_fields": ORDER_FIELDS,
        "lead_time_business_days": 5,
        "activation_notice": {"kind": "on_activation"},
        "requires_corporation": False,
        "allows_account_transfer": True,
        "free_first_month": False,
        "cancellable_on_site": True,
        "early_termination": {"kind": "remaining_months"},
        "minimum_term_months": 12,
        "withdrawal_requires_contracts_ended": False,
    }
    values.update(overrides)
    return ServiceSnapshot.model_validate(values)


@pytest.fixture
def snapshot_factory() -> Callable[..., ServiceSnapshot]:
    """Build a ServiceSnapshot (the catalog contract) with any field overridden."""
    return build_snapshot


@dataclass
class OrderingHarness:
    """The ordering app on its own database, an HTTP client, and ways to feed its copies."""

    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient
    tokens: Any

    async def deliver(self, event: IntegrationEvent) -> None:
        """Run ordering's handler of ``event`` in a unit of work, as the consumer does."""
        handlers = SERVICE.subscriptions(self.runtime)
        envelope = Envelope.wrap(event, producer="test", correlation_id="test")
        async with self.runtime.uow() as uow:
            await handlers[type(event)](event, uow=uow, envelope=envelope)
            await uow.commit()

    async def publish_service(self, **overrides: Any) -> ServiceSnapshot:
        """A published service, fed into ordering's catalog copy."""
        snapshot = build_snapshot(**overrides)
        await self.deliver(
            ServicePublished(
                service_id=snapshot.service_id,
                aggregate_version=snapshot.service_version,
                snapshot=snapshot,
            )
        )
        return snapshot

    async def verify_member(
        self, member_id: uuid.UUID, entity_type: str = "corporation", version: int = 1
    ) -> None:
        """Identity's ``member.verified`` for ``member_id``."""
        await self.deliver(
            MemberVerified(
                member_id=member_id,
                aggregate_version=version,
                profile=MemberProfile(
                    status="active",
                    entity_type=entity_type,  # type: ignore[arg-type]
                    name="山田 太郎",
                    organization_name="山田商店",
                    postal_code="1000001",
                    address="東京都千代田区千代田1-1",
                    contact_email=f"{member_id.hex[:8]}@example.jp",
                    language="ja",
                ),
            )
        )

    async def review_document(
        self, member_id: uuid.UUID, decision: str, reason: str | None = None
    ) -> None:
        """Identity's ``document.reviewed`` for a new document of ``member_id``."""
        await self.deliver(
            DocumentReviewed(
                document_id=uuid.uuid4(),
                aggregate_version=2,
                member_id=member_id,
                document_type="drivers_license",
                decision=decision,  # type: ignore[arg-type]
                reason=reason,
                reviewed_at=datetime.now(UTC),
            )
        )

    def pin(self, instant: datetime) -> None:
        """Pin the service's clock (R17's cut-off, the 30-day rule)."""
        self.runtime.clock.pin(instant)

    def member(self, member_id: uuid.UUID, **claims: Any) -> dict[str, str]:
        """Auth headers of a verified member."""
        headers: dict[str, str] = self.tokens.member(str(member_id), **claims)
        return headers

    def order_body(
        self, snapshot: ServiceSnapshot, start: date, **overrides: Any
    ) -> dict[str, Any]:
        """A valid ``POST /orders`` body for the first plan of ``snapshot``."""
        body: dict[str, Any] = {
            "service_id": str(snapshot.service_id),
            "plan_id": str(snapshot.plans[0].plan_id),
            "quantity": 1,
            "desired_start_date": start.isoformat(),
            "options": {"domain_name": "example.jp"},
        }
        body.update(overrides)
        return body

    async def place(
        self,
        member_id: uuid.UUID,
        snapshot: ServiceSnapshot,
        start: date,
        *,
        claims: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Place a valid order as ``member_id``; returns the created order."""
        response = await self.client.post(
            "/api/v1/orders",
            json=self.order_body(snapshot, start, **overrides),
            headers=self.member(member_id, **(claims or {})),
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        return order

    async def outbox(self, event_type: str, **data: Any) -> list[dict[str, Any]]:
        """The ``data`` of every outbox event of ``event_type`` whose fields match ``data``."""
        async with self.runtime.sessions() as session:
            rows = (
                await session.execute(
                    sa.select(OutboxRecord.envelope).where(OutboxRecord.type == event_type)
                )
            ).scalars()
            found = [row["data"] for row in rows]
        return [d for d in found if all(d.get(k) == str(v) for k, v in data.items())]

    async def ops(self, order_id: str, action: str, body: Any = None) -> httpx.Response:
        """Call an ops action on an order."""
        return await self.client.post(
            f"/api/v1/ops/ordering/orders/{order_id}/{action}",
            json=body,
            headers=self.tokens.ops(),
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ordering(infra: Any, token_issuer: Any) -> AsyncIterator[OrderingHarness]:
    """The ordering app on a fresh migrated database (shared by one test module)."""
    settings = await infra.service_settings(Settings, jwks_url=token_issuer.jwks_url)
    await asyncio.to_thread(upgrade, settings, "ordering")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ordering") as client:
        try:
            yield OrderingHarness(
                settings=settings, runtime=app.state.runtime, client=client, tokens=token_issuer
            )
        finally:
            await app.state.jwks_verifier.close()
            await app.state.runtime.close()
