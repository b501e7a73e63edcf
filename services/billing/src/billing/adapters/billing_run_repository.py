"""What the monthly billing run reads and records: the groups with contracts not billed
for the month yet (claimed batch by batch after a keyset cursor), which contract was
billed on which invoice (``billing_contract_month``), the contracts waiting for their
account, the months already billed (``billing_run_month``), and the background runs
with their progress (``billing_run``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import date, datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from billing.adapters.tables import (
    billing_contract_month,
    billing_run,
    billing_run_month,
    plain_uuid,
    subscription,
)
from billing.domain.account import Recipient
from billing.domain.billing_month import UsageMonth
from billing.domain.billing_run import BillingGroup, FailedGroup, RunRecord
from billing.domain.subscription import Subscription
from servicekit.pagination import Page, after_cursor, page_of
from servicekit.repository import SqlRepository

#: A group's key: (member id, service id).
GroupKey = tuple[uuid.UUID, uuid.UUID]

# A contract copy is built from the first columns of a batch row, in field order.
_CONTRACT = tuple(f.name for f in fields(Subscription))
_N = len(_CONTRACT)
_MEMBER, _SERVICE = _CONTRACT.index("member_id"), _CONTRACT.index("service_id")

# A contract running during the month that has not been billed for it (R37: a
# backdated second contract of a group invoiced already is one of them). ``OFFSET 0``
# keeps the lookup a per-contract primary-key probe: as an anti-join, a ledger growing
# during the run (not analysed yet) is planned as a few rows and scanned whole for
# every contract — quadratic over a run.
_UNBILLED = """
    s.start_date <= :last_day AND (s.end_date IS NULL OR s.end_date >= :first_day)
    AND NOT EXISTS (
        SELECT 1 FROM billing_contract_month b
        WHERE b.contract_id = s.contract_id AND b.usage_month = :first_day OFFSET 0)
"""

# The next groups with unbilled contracts of the month, after the keyset cursor, with
# those contracts, the recipient, and the supplementary number their invoice takes
# when the month was invoiced already (0 when not).
_BATCH = sa.text(
    """
    WITH grp AS (
        SELECT s.member_id, s.service_id
        FROM billing_subscription s
        WHERE {unbilled}
          AND (s.member_id, s.service_id) > (:after_member, :after_service)
          AND EXISTS (SELECT 1 FROM billing_account a WHERE a.member_id = s.member_id OFFSET 0)
        GROUP BY s.member_id, s.service_id
        ORDER BY s.member_id, s.service_id
        LIMIT :batch
    )
    SELECT {contract},
           a.payment_method AS account_method, a.consolidated_mailing,
           a.entity_type, a.name, a.organization_name, a.department, a.postal_code, a.address,
           (SELECT coalesce(max(i.supplement_no) + 1, 0) FROM invoice i
            WHERE i.member_id = grp.member_id AND i.service_id = grp.service_id
              AND i.usage_month = :first_day AND i.corrects_invoice_id IS NULL) AS supplement_no
    FROM grp
    JOIN billing_subscription s
      ON s.member_id = grp.member_id AND s.service_id = grp.service_id
    -- OFFSET 0: one index probe per group, never a scan of every account per batch.
    JOIN LATERAL (
        SELECT * FROM billing_account a WHERE a.member_id = grp.member_id OFFSET 0
    ) a ON true
    WHERE {unbilled}
    ORDER BY s.member_id, s.service_id, s.start_date, s.contract_id
    """.format(contract=", ".join(f"s.{name}" for name in _CONTRACT), unbilled=_UNBILLED)
)

# Unbilled contracts of the month whose member has a billing account: a run's total.
_COUNT_UNBILLED = sa.text(
    f"""
    SELECT count(*) FROM billing_subscription s
    JOIN billing_account a ON a.member_id = s.member_id
    WHERE {_UNBILLED}
    """
)

# The first groups still unbilled (the re-check before a month is marked done).
_REMAINING = sa.text(
    f"""
    SELECT DISTINCT s.member_id, s.service_id FROM billing_subscription s
    JOIN billing_account a ON a.member_id = s.member_id
    WHERE {_UNBILLED}
    ORDER BY s.member_id, s.service_id
    LIMIT :limit
    """
)

#: Taken by whoever marks a month done or reopens it, so an activation committed
#: while a run checks its month either is seen by the check or reopens the month
#: after it was marked.
_MONTHS_LOCK = int.from_bytes(hashlib.sha256(b"billing_run_month").digest()[:8], "big", signed=True)

_RUN_COLUMNS = tuple(c.name for c in billing_run.c)

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
                    recipient=Recipient(*first[_N + 2 : _N + 8]),
                    contracts=[Subscription(*row[:_N]) for row in rows],
                    supplement_no=first[_N + 8],
                )
            )
        return groups

    async def record_billed(
        self, usage: UsageMonth, billed: Iterable[tuple[uuid.UUID, uuid.UUID | None]], now: Any
    ) -> None:
        """Record that each (contract, invoice or None) was billed for ``usage``."""
        rows = [
            {"contract_id": c, "usage_month": usage.first_day, "invoice_id": i, "billed_at": now}
            for c, i in billed
        ]
        if rows:
            await self.session.execute(sa.insert(billing_contract_month), rows)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A savepoint: what fails inside is undone alone, the transaction goes on."""
        async with self.session.begin_nested():
            yield

    async def count_unbilled(self, usage: UsageMonth) -> int:
        """Contracts of ``usage`` not billed yet whose member has an account."""
        bounds = {"first_day": usage.first_day, "last_day": usage.last_day}
        return int(await self.session.scalar(_COUNT_UNBILLED, bounds) or 0)

    async def remaining_groups(self, usage: UsageMonth, *, limit: int) -> list[GroupKey]:
        """The first ``limit`` groups with contracts of ``usage`` not billed yet."""
        result = await self.session.execute(
            _REMAINING,
            {"first_day": usage.first_day, "last_day": usage.last_day, "limit": limit},
        )
        return [(plain_uuid(m), plain_uuid(s)) for m, s in result]

    async def lock_months(self) -> None:
        """Serialise marking months done with reopening them (until the transaction ends)."""
        await self.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MONTHS_LOCK}
        )

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
        await self.lock_months()
        await self.session.execute(
            sa.delete(billing_run_month).where(billing_run_month.c.usage_month >= month.first_day)
        )

    async def earliest_start(self) -> date | None:
        """The first start date of any contract (None before the first)."""
        earliest: date | None = await self.session.scalar(
            sa.select(sa.func.min(subscription.c.start_date))
        )
        return earliest

    # -- background runs (R39) -------------------------------------------------------

    async def add_run(self, run: RunRecord) -> None:
        await self.session.execute(sa.insert(billing_run).values(_run_row(run)))

    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None:
        row = (
            (await self.session.execute(sa.select(billing_run).where(billing_run.c.id == run_id)))
            .mappings()
            .first()
        )
        return _run(row) if row is not None else None

    async def runs_page(self, *, limit: int, cursor: str | None) -> Page[RunRecord]:
        """Runs newest first."""
        query = after_cursor(
            sa.select(billing_run),
            [billing_run.c.requested_at, billing_run.c.id],
            cursor,
            descending=True,
        ).limit(limit + 1)
        rows = [_run(r) for r in (await self.session.execute(query)).mappings()]
        return page_of(rows, limit=limit, key=lambda r: (r.requested_at, r.id))

    async def open_run_months(self) -> set[UsageMonth]:
        """Months with a run queued or running."""
        result = await self.session.execute(
            sa.select(billing_run.c.usage_month).where(
                billing_run.c.status.in_(("queued", "running"))
            )
        )
        return {UsageMonth.of(day) for day in result.scalars()}

    async def claim_run(self, now: Any) -> RunRecord | None:
        """The oldest run queued — or left running by a worker that stopped (only the
        queue's leader executes runs, so a running one it finds is orphaned) — marked
        running, locked against another claimer."""
        query = (
            sa.select(billing_run.c.id)
            .where(billing_run.c.status.in_(("queued", "running")))
            # Oldest first; the scheduled catch-up queues several months at once.
            .order_by(billing_run.c.requested_at, billing_run.c.usage_month, billing_run.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        run_id = await self.session.scalar(query)
        if run_id is None:
            return None
        await self.session.execute(
            sa.update(billing_run)
            .where(billing_run.c.id == run_id)
            .values(
                status="running",
                started_at=sa.func.coalesce(billing_run.c.started_at, now),
                attempts=billing_run.c.attempts + 1,
            )
        )
        return await self.get_run(run_id)

    async def start_run(self, run_id: uuid.UUID, *, issue_date: Any, unbilled: int) -> None:
        """The run's total: what it did so far (a resumed run) and what is left."""
        await self.session.execute(
            sa.update(billing_run)
            .where(billing_run.c.id == run_id)
            .values(
                issue_date=issue_date,
                contracts_total=billing_run.c.contracts_done + unbilled,
            )
        )

    async def record_progress(
        self,
        run_id: uuid.UUID,
        *,
        contracts: int,
        invoices: int,
        supplementary: int,
        failed: Sequence[FailedGroup] = (),
        found: int = 0,
    ) -> None:
        """Add one batch's work to the run (committed with the batch)."""
        values: dict[str, Any] = {
            "contracts_done": billing_run.c.contracts_done + contracts,
            "invoices_issued": billing_run.c.invoices_issued + invoices,
            "supplementary_issued": billing_run.c.supplementary_issued + supplementary,
            "contracts_total": sa.func.greatest(
                billing_run.c.contracts_total + found, billing_run.c.contracts_done + contracts
            ),
        }
        if failed:
            added = [_failed_row(f) for f in failed]
            values["failed_groups"] = billing_run.c.failed_groups.op("||")(
                sa.literal(added, type_=JSONB)
            )
        await self.session.execute(
            sa.update(billing_run).where(billing_run.c.id == run_id).values(values)
        )

    async def finish_run(
        self, run_id: uuid.UUID, *, now: Any, waiting: int, error: str | None = None
    ) -> None:
        await self.session.execute(
            sa.update(billing_run)
            .where(billing_run.c.id == run_id)
            .values(
                status="failed" if error else "done",
                finished_at=now,
                contracts_waiting_for_account=waiting,
                error=error,
            )
        )


def _run_row(run: RunRecord) -> dict[str, Any]:
    row = {name: getattr(run, name) for name in _RUN_COLUMNS}
    row["failed_groups"] = [_failed_row(f) for f in run.failed_groups]
    return row


def _failed_row(failed: FailedGroup) -> dict[str, str]:
    return {
        "member_id": str(failed.member_id),
        "service_id": str(failed.service_id),
        "reason": failed.reason,
        "organization_name": failed.organization_name,
        "name": failed.name,
    }


def _run(row: Any) -> RunRecord:
    values = {name: row[name] for name in _RUN_COLUMNS}
    values["id"] = plain_uuid(values["id"])
    values["failed_groups"] = tuple(
        FailedGroup(
            uuid.UUID(f["member_id"]),
            uuid.UUID(f["service_id"]),
            f["reason"],
            organization_name=f.get("organization_name", ""),
            name=f.get("name", ""),
        )
        for f in values["failed_groups"]
    )
    return RunRecord(**values)
