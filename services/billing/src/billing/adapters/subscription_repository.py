"""The contract copies billing keeps (``billing_subscription``), read and written."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import subscription
from billing.domain.subscription import Subscription
from servicekit.repository import SqlRepository

_COLUMNS = tuple(c.name for c in subscription.c)


def subscription_of(row: Mapping[str, Any]) -> Subscription:
    """The contract copy of a ``billing_subscription`` row."""
    return Subscription(**{name: row[name] for name in _COLUMNS})


class SubscriptionRepository(SqlRepository):
    """Contract copies by contract id."""

    async def get(self, contract_id: uuid.UUID, *, for_update: bool = False) -> Subscription | None:
        query = sa.select(subscription).where(subscription.c.contract_id == contract_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return subscription_of(row) if row is not None else None

    async def of_member(self, member_id: uuid.UUID) -> list[Subscription]:
        """Every contract copy of one member, oldest start first."""
        query = (
            sa.select(subscription)
            .where(subscription.c.member_id == member_id)
            .order_by(subscription.c.start_date, subscription.c.contract_id)
        )
        rows = (await self.session.execute(query)).mappings().all()
        return [subscription_of(row) for row in rows]

    async def add_if_absent(self, copy: Subscription) -> None:
        """Store a new contract copy; a redelivered activation changes nothing."""
        values = {name: getattr(copy, name) for name in _COLUMNS}
        await self.session.execute(insert(subscription).values(**values).on_conflict_do_nothing())

    async def save(self, copy: Subscription) -> None:
        """Write the copy's end date, termination fee and contract version."""
        await self.session.execute(
            sa.update(subscription)
            .where(subscription.c.contract_id == copy.contract_id)
            .values(
                end_date=copy.end_date,
                early_termination_fee=copy.early_termination_fee,
                contract_version=copy.contract_version,
            )
        )
