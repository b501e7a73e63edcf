"""The monthly billing run (R22, R23, R37, R39): one invoice per member, service and
usage month, and a supplementary one for charges of a month already invoiced.

The run works in batches of groups (member, service), each batch one
transaction that
1. locks the issuer's invoice-number counter row of the year (``FOR UPDATE``),
   so concurrent runs take turns and numbers stay gapless;
2. reads, after getting the lock, the next groups with contracts not billed for
   the month yet (``billing_contract_month``; a keyset cursor moves past them);
3. prices them with the pure money rules, inserts invoices and lines with
   consecutive numbers, records which contract went on which invoice, queues
   ``billing.invoice.issued`` in the outbox, moves the counter and adds the
   batch to the run's progress — all committed together.
A group that fails (pricing, or its rows at the database) is isolated: the batch
is retried group by group, each in a savepoint, and the failing one is reported on
the run and left unbilled for the next run; the rest of the batch, the month and
later months go on. Before a month is marked done (``billing_run_month``) the run
re-checks for unbilled groups — a contract activated behind the cursor during the
run gets another pass — and the check and the mark take the lock a late
activation's reopening takes.

Runs ops start are background jobs (R39): ``request_run`` queues a ``billing_run``
row and answers at once; the worker's ``billing.run_queue`` job claims queued
runs (and runs a stopped worker left running) and executes them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from prometheus_client import Histogram

from billing.config import Settings
from billing.domain.billing_month import UsageMonth, issue_date_for, scheduled_issue_date
from billing.domain.billing_run import (
    BillingGroup,
    BillingRun,
    FailedGroup,
    RunRecord,
    failure_reason,
)
from billing.domain.errors import MonthNotEnded, RunNotFound
from billing.domain.invoice import Invoice, Issuer
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.clock import japan_today
from servicekit.logging import get_logger
from servicekit.metrics import REGISTRY
from servicekit.pagination import Page

_log = get_logger(__name__)

RUN_DURATION = Histogram(
    "bizmall_billing_run_duration_seconds",
    "Time a billing run of one usage month took (completed runs).",
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)

_NIL = uuid.UUID(int=0)

GroupKey = tuple[uuid.UUID, uuid.UUID]

#: Passes over a month a run makes at most when contracts keep arriving behind its
#: cursor; what is still unbilled then waits for the next run (the month stays open).
MAX_PASSES = 3


@dataclass
class _Batch:
    """What one batch did."""

    issued: int = 0
    supplementary: int = 0
    contracts: int = 0
    failed: list[FailedGroup] | None = None
    after: GroupKey | None = None


@dataclass(frozen=True)
class RunResult:
    """What one run of one month did."""

    usage_month: UsageMonth
    issue_date: date
    invoices_issued: int
    contracts_waiting_for_account: int
    failed_groups: tuple[FailedGroup, ...] = ()
    month_done: bool = False


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
    run_id: uuid.UUID | None = None,
) -> RunResult:
    """Issue every missing invoice of ``usage`` (idempotent; safe beside another run),
    adding each batch's work to run ``run_id``'s progress when given. A run ops
    start (``actor``) is audited."""
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
    if run_id is not None:
        async with uow_factory() as uow:
            unbilled = await uow.runs.count_unbilled(usage)
            await uow.runs.start_run(run_id, issue_date=run.issue_date, unbilled=unbilled)
            await uow.commit()
    failed: dict[GroupKey, FailedGroup] = {}
    issued = 0
    for _ in range(MAX_PASSES):
        after: GroupKey | None = (_NIL, _NIL)
        while after is not None:
            async with uow_factory() as uow:
                batch = await _issue_batch(
                    uow, run, after, settings.run_batch_size, now, failed.keys()
                )
                for failure in batch.failed or ():
                    failed[(failure.member_id, failure.service_id)] = failure
                if run_id is not None and (batch.contracts or batch.failed):
                    await uow.runs.record_progress(
                        run_id,
                        contracts=batch.contracts,
                        invoices=batch.issued,
                        supplementary=batch.supplementary,
                        failed=batch.failed or (),
                    )
                await uow.commit()
            issued += batch.issued
            after = batch.after
        # Re-check: a contract activated behind the cursor during this pass.
        async with uow_factory() as uow:
            remaining = await uow.runs.remaining_groups(usage, limit=len(failed) + 1)
        late = [key for key in remaining if key not in failed]
        if not late:
            break
        _log.info("contracts arrived during the run", month=str(usage), groups=len(late))
    async with uow_factory() as uow:
        await uow.runs.lock_months()
        waiting = await uow.runs.contracts_waiting_for_account(usage)
        unbilled_left = await uow.runs.remaining_groups(usage, limit=1)
        month_done = not waiting and not unbilled_left
        if waiting:
            _log.warning(
                "contracts wait for their billing account", month=str(usage), count=waiting
            )
        if month_done:
            await uow.runs.mark_month_done(usage, issued, now)
        if failed:
            _log.warning("billing groups failed", month=str(usage), groups=len(failed))
        if run_id is not None:
            await uow.runs.finish_run(run_id, now=uow.now(), waiting=waiting)
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
    _log.info("billing run done", month=str(usage), invoices=issued, failed=len(failed))
    return RunResult(
        usage, run.issue_date, issued, waiting, tuple(failed.values()), month_done=month_done
    )


async def _issue_batch(
    uow: BillingUnitOfWork,
    run: BillingRun,
    after: GroupKey,
    batch_size: int,
    now: datetime,
    skip: Iterable[GroupKey],
) -> _Batch:
    """Issue one batch; the cursor it leaves is None when the pass is done. A group that
    fails is reported and left unbilled; the others are issued."""
    numbers = await uow.invoices.lock_numbers(run.issuer.registration_number, run.issue_date.year)
    groups = await uow.runs.unbilled_groups(run.usage, after=after, limit=batch_size)
    if not groups:
        return _Batch()
    last = groups[-1]
    batch = _Batch(after=None if len(groups) < batch_size else (last.member_id, last.service_id))
    skipped = set(skip)
    groups = [g for g in groups if g.key not in skipped]
    first_sequence = numbers.last_sequence
    failed: list[FailedGroup] = []
    priced: list[tuple[BillingGroup, Invoice | None]] = []
    for group in groups:
        try:
            priced.append((group, run.invoice_for(group, numbers, now=now)))
        except Exception as error:
            failed.append(_failure(group, error))
    try:
        async with uow.runs.savepoint():
            await _store(uow, run.usage, priced, now)
    except Exception:
        # One group's rows fail at the database: each group alone, numbered afresh.
        _log.warning("a billing batch failed; retrying it group by group", exc_info=True)
        numbers.last_sequence = first_sequence
        stored: list[tuple[BillingGroup, Invoice | None]] = []
        for group, _ in priced:
            taken = numbers.last_sequence
            try:
                async with uow.runs.savepoint():
                    one = [(group, run.invoice_for(group, numbers, now=now))]
                    await _store(uow, run.usage, one, now)
                stored += one
            except Exception as error:
                numbers.last_sequence = taken
                failed.append(_failure(group, error))
        priced = stored
    invoices = [invoice for _, invoice in priced if invoice is not None]
    if invoices:
        await uow.invoices.save_numbers(numbers)
    batch.issued = len(invoices)
    batch.supplementary = sum(1 for i in invoices if i.supplement_no)
    batch.contracts = sum(len(g.contracts) for g, _ in priced) + sum(
        len(g.contracts) for g in groups if g.key in {(f.member_id, f.service_id) for f in failed}
    )
    batch.failed = failed
    return batch


async def _store(
    uow: BillingUnitOfWork,
    usage: UsageMonth,
    priced: Sequence[tuple[BillingGroup, Invoice | None]],
    now: datetime,
) -> None:
    """Insert the invoices and record every contract of the groups as billed."""
    await uow.invoices.add_all([invoice for _, invoice in priced if invoice is not None])
    await uow.runs.record_billed(
        usage,
        (
            (contract.contract_id, invoice.id if invoice is not None else None)
            for group, invoice in priced
            for contract in group.contracts
        ),
        now,
    )


def _failure(group: BillingGroup, error: BaseException) -> FailedGroup:
    _log.warning(
        "a billing group failed",
        member_id=str(group.member_id),
        service_id=str(group.service_id),
        error=type(error).__name__,
    )
    return FailedGroup(
        group.member_id,
        group.service_id,
        failure_reason(error),
        organization_name=group.recipient.organization_name,
        name=group.recipient.name,
    )


# -- background runs (R39) ------------------------------------------------------------


async def request_run(
    *, uow: BillingUnitOfWork, usage: UsageMonth, actor: str, today: date | None = None
) -> RunRecord:
    """Queue a run of an ended month for the worker; audited (R29, R39)."""
    now = uow.now()
    today = today or japan_today(now)
    if usage >= UsageMonth.of(today):
        raise MonthNotEnded()
    run = RunRecord.queued(usage=usage, requested_by=actor, now=now)
    await uow.runs.add_run(run)
    uow.audit(
        actor=actor,
        action="billing.run.requested",
        target=str(run.id),
        entity="billing_run",
        month=str(usage),
    )
    await uow.commit()
    return run


async def get_run(*, uow: BillingUnitOfWork, run_id: uuid.UUID) -> RunRecord:
    found = await uow.runs.get_run(run_id)
    if found is None:
        raise RunNotFound()
    return found


async def list_runs(*, uow: BillingUnitOfWork, limit: int, cursor: str | None) -> Page[RunRecord]:
    return await uow.runs.runs_page(limit=limit, cursor=cursor)


async def execute_queued_runs(
    *, uow_factory: Callable[[], BillingUnitOfWork], settings: Settings
) -> int:
    """Execute every queued run, oldest first (and any a stopped worker left running:
    it resumes where its committed batches end). Returns how many ran."""
    executed = 0
    while True:
        async with uow_factory() as uow:
            claimed = await uow.runs.claim_run(uow.now())
            await uow.commit()
        if claimed is None:
            return executed
        executed += 1
        await execute_run(uow_factory=uow_factory, settings=settings, run=claimed)


async def execute_run(
    *, uow_factory: Callable[[], BillingUnitOfWork], settings: Settings, run: RunRecord
) -> None:
    """Execute one claimed run; a run that cannot go on is marked failed with why."""
    actor = None if run.requested_by == SCHEDULER else run.requested_by
    try:
        await run_billing(
            uow_factory=uow_factory,
            settings=settings,
            usage=run.usage,
            actor=actor,
            run_id=run.id,
        )
    except Exception as error:
        _log.error("billing run failed", run_id=str(run.id), exc_info=True)
        async with uow_factory() as uow:
            await uow.runs.finish_run(run.id, now=uow.now(), waiting=0, error=failure_reason(error))
            await uow.commit()


#: Who requests the runs of the scheduled catch-up.
SCHEDULER = "system:scheduler"


async def queue_due_months(*, uow: BillingUnitOfWork, today: date) -> list[UsageMonth]:
    """Queue a run of every month due and not billed yet, unless one is queued or
    running already (the scheduled catch-up, R23). Returns the months queued."""
    due = await months_due(uow=uow, today=today)
    open_months = await uow.runs.open_run_months()
    queued = [month for month in due if month not in open_months]
    now = uow.now()
    for month in queued:
        await uow.runs.add_run(RunRecord.queued(usage=month, requested_by=SCHEDULER, now=now))
    await uow.commit()
    return queued


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
