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
from bizmall_events import ContractActivated, Envelope, IntegrationEvent
from jpcalendar import JST
from servicekit.migrations import upgrade
from servicekit.outbox import OutboxRecord
from servicekit.runtime import Runtime
from servicekit.scheduler import run_once_if_leader

from .events import contract_activated, contract_cancelled, member_verified


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
        await self.deliver(member_verified(member_id, version=profile.pop("version", 2), **profile))
        return member_id

    async def activate(
        self, member_id: uuid.UUID, *, start: date, **terms: Any
    ) -> ContractActivated:
        """Ordering's ``contract.activated`` with the given recorded terms."""
        event = contract_activated(member_id, start=start, **terms)
        await self.deliver(event)
        return event

    async def cancel(self, activated: ContractActivated, *, end: date, fee: int) -> None:
        """Ordering's ``contract.cancelled`` for an activated contract."""
        await self.deliver(contract_cancelled(activated, end=end, fee=fee))

    def pin(self, day: date, hour: int = 10) -> None:
        """Pin the service's clock to ``day`` (Japan time)."""
        self.runtime.clock.pin(datetime(day.year, day.month, day.day, hour, tzinfo=JST))

    def member(self, member_id: uuid.UUID) -> dict[str, str]:
        headers: dict[str, str] = self.tokens.member(str(member_id))
        return headers

    def ops_headers(self) -> dict[str, str]:
        headers: dict[str, str] = self.tokens.ops()
        return headers

    async def start_run(self, month: str) -> dict[str, Any]:
        """``POST /ops/billing/runs`` for ``month``: 202 with the queued run (R39)."""
        response = await self.client.post(
            "/api/v1/ops/billing/runs", json={"month": month}, headers=self.ops_headers()
        )
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        return body

    async def work_queue(self) -> None:
        """One tick of the worker's ``billing.run_queue`` job: every queued run executes."""
        (job,) = [j for j in SERVICE.jobs(self.runtime) if j.name == "billing.run_queue"]
        assert await run_once_if_leader(self.runtime.engine, job)

    async def run_view(self, run_id: str) -> dict[str, Any]:
        """``GET /ops/billing/runs/{id}``."""
        response = await self.client.get(
            f"/api/v1/ops/billing/runs/{run_id}", headers=self.ops_headers()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def run(self, month: str) -> dict[str, Any]:
        """Ops bill ``month``: start the run, let the worker execute it, read it back."""
        started = await self.start_run(month)
        await self.work_queue()
        finished = await self.run_view(started["id"])
        assert finished["status"] == "done", finished
        return finished

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
