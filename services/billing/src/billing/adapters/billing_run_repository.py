"""What the monthly billing run reads and records: the groups still lacking the month's
invoice (claimed batch by batch after a keyset cursor), the contracts waiting for
their account, and the months already billed (``billing_run_month``)."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from billing.adapters.tables import billing_run_month, subscription
from billing.domain.account import Recipient
from billing.domain.billing_month import UsageMonth
from billing.domain.billing_run import BillingGroup
from billing.domain.subscription import Subscription
from servicekit.repository import SqlRepository

#: A group's key: (member id, service id).
GroupKey = tuple[uuid.UUID, uuid.UUID]

# A contract copy is built from the first columns of a batch row, in field order.
_CONTRACT = tuple(f.name for f in fields(Subscription))
_N = len(_CONTRACT)
_MEMBER, _SERVICE = _CONTRACT.index("member_id"), _CONTRACT.index("service_id")

# The next groups lacking this month's invoice, after the keyset cursor, with
# every contract of each group that runs during the month and the recipient.
_BATCH = sa.text(
    """
    WITH grp AS (
        SELECT s.member_id, s.service_id
        FROM billing_subscription s
        JOIN billing_account a ON a.member_id = s.member_id
        WHERE s.start_date <= :last_day
          AND (s.end_date IS NULL OR s.end_date >= :first_day)
          AND (s.member_id, s.service_id) > (:after_member, :after_service)
          AND NOT EXISTS (
              SELECT 1 FROM invoice i
              WHERE i.member_id = s.member_id AND i.service_id = s.service_id
                AND i.usage_month = :first_day AND i.corrects_invoice_id IS NULL)
        GROUP BY s.member_id, s.service_id
        ORDER BY s.member_id, s.service_id
        LIMIT :batch
    )
    SELECT {contract},
           a.payment_method AS account_method, a.consolidated_mailing,
           a.entity_type, a.name, a.organization_name, a.department, a.postal_code, a.address
    FROM grp
    JOIN billing_subscription s
      ON s.member_id = grp.member_id AND s.service_id = grp.service_id
    JOIN billing_account a ON a.member_id = grp.member_id
    WHERE s.start_date <= :last_day AND (s.end_date IS NULL OR s.end_date >= :first_day)
    ORDER BY s.member_id, s.service_id, s.start_date, s.contract_id
    """.format(contract=", ".join(f"s.{name}" for name in _CONTRACT))
)

# Groups that cannot be billed yet because identity's verified member has not arrived.
_WITHOUT_ACCOUNT = sa.text(
    """
    SELECT count(*) FROM billing_subscription s
    WHERE s.start_date <= :last_day AND (s.end_date IS NULL OR s.end_date >= :first_day)
      AND NOT EXISTS (SELECT 1 FROM billing_account a WHERE a.member_id = s.member_id)
    """
)


class BillingRunRepository(SqlRepository):
    """The billing run's set-wise reads and its record of finished months."""

    async def unbilled_groups(
        self, usage: UsageMonth, *, after: GroupKey, limit: int
    ) -> list[BillingGroup]:
        """Up to ``limit`` groups after ``after`` that have no invoice of ``usage`` yet,
        in key order, each with its contracts running during the month."""
        result = await self.session.execute(
            _BATCH,
            {
                "first_day": usage.first_day,
                "last_day": usage.last_day,
                "after_member": after[0],
                "after_service": after[1],
                "batch": limit,
            },
        )
        groups: list[BillingGroup] = []
        for (member_id, service_id), grouped in groupby(
            result, key=lambda r: (r[_MEMBER], r[_SERVICE])
        ):
            rows = list(grouped)
            first = rows[0]
            groups.append(
                BillingGroup(
                    member_id=member_id,
                    service_id=service_id,
                    account_payment_method=first[_N],
                    consolidated_mailing=first[_N + 1],
                    recipient=Recipient(*first[_N + 2 :]),
                    contracts=[Subscription(*row[:_N]) for row in rows],
                )
            )
        return groups

    async def contracts_waiting_for_account(self, usage: UsageMonth) -> int:
        """Contracts of ``usage`` whose member's billing account has not opened yet."""
        bounds = {"first_day": usage.first_day, "last_day": usage.last_day}
        return int(await self.session.scalar(_WITHOUT_ACCOUNT, bounds) or 0)

    async def mark_month_done(self, usage: UsageMonth, issued: int, now: datetime) -> None:
        """Record that every group of ``usage`` is invoiced (adding to an earlier count)."""
        statement = insert(billing_run_month).values(
            usage_month=usage.first_day, completed_at=now, invoices_issued=issued
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[billing_run_month.c.usage_month],
                set_={
                    "completed_at": now,
                    "invoices_issued": billing_run_month.c.invoices_issued + issued,
                },
            )
        )

    async def months_done(self) -> set[UsageMonth]:
        """The usage months fully invoiced."""
        result = await self.session.execute(sa.select(billing_run_month.c.usage_month))
        return {UsageMonth.of(day) for day in result.scalars()}

    async def reopen_months_from(self, month: UsageMonth) -> None:
        """Forget that ``month`` and later ones were fully invoiced (a contract arrived late)."""
        await self.session.execute(
            sa.delete(billing_run_month).where(billing_run_month.c.usage_month >= month.first_day)
        )

    async def earliest_start(self) -> date | None:
        """The first start date of any contract (None before the first)."""
        earliest: date | None = await self.session.scalar(
            sa.select(sa.func.min(subscription.c.start_date))
        )
        return earliest
