"""Service-layer unit tests: billing's handlers on the in-memory unit of work, no database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

from billing.config import Settings
from billing.domain.billing_month import UsageMonth
from billing.service_layer import accounts, contracts
from billing.service_layer.billing_run import RunResult, run_billing
from bizmall_events import ContractActivated, Envelope, IntegrationEvent
from jpcalendar import JST

from ..events import contract_activated, contract_cancelled, member_verified
from .fakes import FakeBillingUnitOfWork

#: The settings a run prints on invoices (the defaults; batches of 2 so runs loop).
SETTINGS = Settings(run_batch_size=2)


def jst(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=JST)


@dataclass
class Desk:
    """Billing on a fake unit of work, fed the way its consumer and ops feed it."""

    uow: FakeBillingUnitOfWork
    services: dict[str, uuid.UUID] = field(default_factory=dict)

    def at(self, day: date, hour: int = 10) -> None:
        """Pin the clock to ``day`` (Japan time)."""
        self.uow.clock.pin(jst(day, hour))

    async def deliver(self, event: IntegrationEvent, handler: Any) -> None:
        envelope = Envelope.wrap(event, producer="test", correlation_id="test")
        async with self.uow:
            await handler(event, uow=self.uow, envelope=envelope)
            await self.uow.commit()

    async def member(
        self, member_id: uuid.UUID | None = None, *, version: int = 2, **profile: Any
    ) -> uuid.UUID:
        """Identity's ``member.verified``: opens the billing account."""
        member_id = member_id or uuid.uuid4()
        event = member_verified(member_id, version=version, **profile)
        await self.deliver(event, accounts.on_member_changed)
        return member_id

    async def contract(
        self, member_id: uuid.UUID, *, start: date, service: str = "光回線", **terms: Any
    ) -> ContractActivated:
        """Ordering's ``contract.activated``; contracts of one ``service`` name share a
        service id."""
        service_id = self.services.setdefault(service, uuid.uuid4())
        event = contract_activated(
            member_id, start=start, service_id=service_id, service_name=service, **terms
        )
        await self.deliver(event, contracts.on_contract_activated)
        return event

    async def cancel(self, activated: ContractActivated, *, end: date, fee: int) -> None:
        """Ordering's ``contract.cancelled``."""
        event = contract_cancelled(activated, end=end, fee=fee)
        await self.deliver(event, contracts.on_contract_cancelled)

    async def run(
        self, month: str, *, on: date | None = None, actor: str | None = None
    ) -> RunResult:
        """The billing run of ``month`` (on ``on``, else the pinned day)."""
        if on is not None:
            self.at(on)
        return await run_billing(
            uow_factory=self.uow.factory(),
            settings=SETTINGS,
            usage=UsageMonth.parse(month),
            actor=actor,
        )

    def invoices_of(self, member_id: uuid.UUID) -> list[Any]:
        """The member's stored invoices, oldest number first."""
        return sorted(
            (i for i in self.uow.invoices if i.member_id == member_id),
            key=lambda i: i.invoice_number,
        )


@pytest.fixture
def desk() -> Desk:
    return Desk(FakeBillingUnitOfWork(now=jst(date(2026, 4, 1))))
