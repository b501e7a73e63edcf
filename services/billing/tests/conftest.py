"""Fixtures of the billing tests: the billing app on a fresh, migrated database, and
helpers that feed it identity's and ordering's events the way its consumer does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa

from billing.bootstrap import SERVICE
from billing.config import Settings
from billing.entrypoints.app import create_app
from bizmall_events import (
    ContractActivated,
    ContractCancelled,
    ContractTerms,
    Envelope,
    IntegrationEvent,
    LocalizedText,
    MemberProfile,
    MemberVerified,
    NoTerminationFee,
)
from jpcalendar import JST
from servicekit.migrations import upgrade
from servicekit.outbox import OutboxRecord
from servicekit.runtime import Runtime


@dataclass
class BillingHarness:
    """The billing app on its own database, an HTTP client, and ways to feed it."""

    settings: Settings
    runtime: Runtime
    client: httpx.AsyncClient
    tokens: Any

    async def deliver(self, event: IntegrationEvent) -> None:
        """Run billing's handler of ``event`` in a unit of work, as the consumer does."""
        handlers = SERVICE.subscriptions(self.runtime)
        envelope = Envelope.wrap(event, producer="test", correlation_id="test")
        async with self.runtime.uow() as uow:
            await handlers[type(event)](event, uow=uow, envelope=envelope)
            await uow.commit()

    async def verify_member(self, member_id: uuid.UUID | None = None, **profile: Any) -> uuid.UUID:
        """Identity's ``member.verified``: opens the member's billing account."""
        member_id = member_id or uuid.uuid4()
        values: dict[str, Any] = {
            "status": "active",
            "entity_type": "corporation",
            "name": "山田 太郎",
            "organization_name": "山田商事株式会社",
            "department": "総務部",
            "postal_code": "1000001",
            "address": "東京都千代田区千代田1-1",
            "contact_email": f"{member_id.hex[:8]}@example.jp",
            "language": "ja",
        }
        values.update(profile)
        await self.deliver(
            MemberVerified(
                member_id=member_id,
                aggregate_version=profile.pop("version", 2),
                profile=MemberProfile.model_validate(values),
            )
        )
        return member_id

    async def activate(
        self,
        member_id: uuid.UUID,
        *,
        start: date,
        service_id: uuid.UUID | None = None,
        quantity: int = 1,
        monthly_fee: int = 3000,
        initial_fee: int = 5000,
        free_first_month: bool = False,
        allows_account_transfer: bool = True,
        service_name: str = "光回線",
    ) -> ContractActivated:
        """Ordering's ``contract.activated`` with the given recorded terms."""
        event = ContractActivated(
            contract_id=uuid.uuid4(),
            aggregate_version=1,
            order_id=uuid.uuid4(),
            member_id=member_id,
            service_id=service_id or uuid.uuid4(),
            service_name=LocalizedText(ja=service_name, en="Service"),
            plan_id=uuid.uuid4(),
            plan_name=LocalizedText(ja="スタンダード", en="Standard"),
            quantity=quantity,
            planned_start_date=start,
            start_date=start,
            terms=ContractTerms(
                service_version=1,
                plan_version_id=uuid.uuid4(),
                monthly_fee=monthly_fee,
                initial_fee=initial_fee,
                free_first_month=free_first_month,
                allows_account_transfer=allows_account_transfer,
                cancellable_on_site=True,
                early_termination=NoTerminationFee(),
                minimum_term_months=0,
            ),
        )
        await self.deliver(event)
        return event

    async def cancel(self, activated: ContractActivated, *, end: date, fee: int) -> None:
        """Ordering's ``contract.cancelled`` for an activated contract."""
        await self.deliver(
            ContractCancelled(
                **activated.model_dump(
                    include={
                        "contract_id",
                        "order_id",
                        "member_id",
                        "service_id",
                        "service_name",
                        "plan_id",
                        "plan_name",
                        "quantity",
                    }
                ),
                aggregate_version=activated.aggregate_version + 1,
                end_date=end,
                early_termination_fee=fee,
            )
        )

    def pin(self, day: date, hour: int = 10) -> None:
        """Pin the service's clock to ``day`` (Japan time)."""
        self.runtime.clock.pin(datetime(day.year, day.month, day.day, hour, tzinfo=JST))

    def member(self, member_id: uuid.UUID) -> dict[str, str]:
        headers: dict[str, str] = self.tokens.member(str(member_id))
        return headers

    def ops_headers(self) -> dict[str, str]:
        headers: dict[str, str] = self.tokens.ops()
        return headers

    async def run(self, month: str) -> dict[str, Any]:
        """``POST /ops/billing/runs`` for ``month``."""
        response = await self.client.post(
            "/api/v1/ops/billing/runs", json={"month": month}, headers=self.ops_headers()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def invoices_of(self, member_id: uuid.UUID) -> list[dict[str, Any]]:
        response = await self.client.get("/api/v1/invoices", headers=self.member(member_id))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        """The ``data`` of every outbox event of ``event_type``."""
        async with self.runtime.sessions() as session:
            rows = await session.execute(
                sa.select(OutboxRecord.envelope).where(OutboxRecord.type == event_type)
            )
            return [row["data"] for row in rows.scalars()]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return await session.scalar(sa.text(sql), params)


async def _harness(infra: Any, tokens: Any, **overrides: Any) -> AsyncIterator[BillingHarness]:
    settings = await infra.service_settings(Settings, jwks_url=tokens.jwks_url, **overrides)
    await asyncio.to_thread(upgrade, settings, "billing")
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        try:
            yield BillingHarness(
                settings=settings, runtime=app.state.runtime, client=client, tokens=tokens
            )
        finally:
            await app.state.jwks_verifier.close()
            await app.state.runtime.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def billing(infra: Any, token_issuer: Any) -> AsyncIterator[BillingHarness]:
    """The billing app on a fresh migrated database (shared by one test module)."""
    async for harness in _harness(infra, token_issuer):
        yield harness


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def small_batch_billing(infra: Any, token_issuer: Any) -> AsyncIterator[BillingHarness]:
    """Billing whose runs commit every 3 invoices, so concurrent runs interleave."""
    async for harness in _harness(infra, token_issuer, run_batch_size=3):
        yield harness
