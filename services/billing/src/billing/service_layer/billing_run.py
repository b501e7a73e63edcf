"""The monthly billing run (R22, R23): one invoice per member, service and usage month.

The run works in batches of groups (member, service), each batch one
transaction that
1. locks the issuer's invoice-number counter row of the year (``FOR UPDATE``),
   so concurrent runs take turns and numbers stay gapless;
2. reads, after getting the lock, the next groups that have no invoice for the
   month yet (a keyset cursor moves past groups that owe nothing, e.g. a free
   first month);
3. prices them with the pure money rules, inserts invoices and lines with
   consecutive numbers, queues ``billing.invoice.issued`` in the outbox and
   moves the counter — all committed together.
A unique index on (member, service, month) backs the rule up: two runs at once
can never both insert an invoice for the same group. A month whose every group
was invoiced is recorded in ``billing_run_month``, so the scheduled job catches up
missed months without rescanning finished ones.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from prometheus_client import Histogram

from billing.config import Settings
from billing.domain.billing_month import UsageMonth, issue_date_for, scheduled_issue_date
from billing.domain.billing_run import BillingRun
from billing.domain.errors import MonthNotEnded
from billing.domain.invoice import Issuer
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.clock import japan_today
from servicekit.logging import get_logger
from servicekit.metrics import REGISTRY

_log = get_logger(__name__)

RUN_DURATION = Histogram(
    "bizmall_billing_run_duration_seconds",
    "Time a billing run of one usage month took (completed runs).",
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)

_NIL = uuid.UUID(int=0)

GroupKey = tuple[uuid.UUID, uuid.UUID]


@dataclass(frozen=True)
class RunResult:
    """What one run of one month did."""

    usage_month: UsageMonth
    issue_date: date
    invoices_issued: int
    contracts_waiting_for_account: int


def issuer_of(settings: Settings) -> Issuer:
    """The issuer printed on every invoice (R25)."""
    return Issuer(
        name=settings.issuer_name,
        registration_number=settings.issuer_registration_number,
        address=settings.issuer_address,
        payee_bank_account=settings.payee_bank_account,
        inquiry_phone=settings.billing_inquiry_phone,
    )


async def run_billing(
    *,
    uow_factory: Callable[[], BillingUnitOfWork],
    settings: Settings,
    usage: UsageMonth,
    today: date | None = None,
    actor: str | None = None,
) -> RunResult:
    """Issue every missing invoice of ``usage`` (idempotent; safe beside another run).
    A run ops start (``actor``) is audited."""
    now = uow_factory().now()
    today = today or japan_today(now)
    if usage >= UsageMonth.of(today):
        raise MonthNotEnded()
    started = time.perf_counter()
    run = BillingRun(
        usage=usage,
        issue_date=issue_date_for(usage, today),
        issuer=issuer_of(settings),
        transfer_day=settings.transfer_day,
    )
    after: GroupKey | None = (_NIL, _NIL)
    issued = 0
    while after is not None:
        async with uow_factory() as uow:
            count, after = await _issue_batch(uow, run, after, settings.run_batch_size, now)
            await uow.commit()
        issued += count
    async with uow_factory() as uow:
        waiting = await uow.runs.contracts_waiting_for_account(usage)
        if waiting:
            _log.warning(
                "contracts wait for their billing account", month=str(usage), count=waiting
            )
        else:
            await uow.runs.mark_month_done(usage, issued, now)
        if actor is not None:
            uow.audit(
                actor=actor,
                action="billing.run",
                target=str(usage),
                entity="billing_run",
                invoices_issued=issued,
            )
        await uow.commit()
    RUN_DURATION.observe(time.perf_counter() - started)
    _log.info("billing run done", month=str(usage), invoices=issued)
    return RunResult(usage, run.issue_date, issued, waiting)


async def _issue_batch(
    uow: BillingUnitOfWork, run: BillingRun, after: GroupKey, batch_size: int, now: datetime
) -> tuple[int, GroupKey | None]:
    """Issue one batch; returns how many were issued and the cursor (None when done)."""
    numbers = await uow.invoices.lock_numbers(run.issuer.registration_number, run.issue_date.year)
    groups = await uow.runs.unbilled_groups(run.usage, after=after, limit=batch_size)
    if not groups:
        return 0, None
    last = groups[-1]
    after_batch = None if len(groups) < batch_size else (last.member_id, last.service_id)
    invoices = [
        invoice
        for group in groups
        if (invoice := run.invoice_for(group, numbers, now=now)) is not None
    ]
    # The contract copies are not needed any more: freed now, the garbage collector
    # does not carry them through the inserts.
    del groups, last
    if invoices:
        await uow.invoices.add_all(invoices)
        await uow.invoices.save_numbers(numbers)
    return len(invoices), after_batch


async def months_due(*, uow: BillingUnitOfWork, today: date) -> list[UsageMonth]:
    """Every month whose invoices are due by ``today`` and not all issued yet, oldest
    first — the months a scheduled run must (catch up and) bill."""
    earliest = await uow.runs.earliest_start()
    if earliest is None:
        return []
    done = await uow.runs.months_done()
    months: list[UsageMonth] = []
    month = UsageMonth.of(earliest)
    while scheduled_issue_date(month) <= today:
        if month not in done:
            months.append(month)
        month = month.next()
    return months
