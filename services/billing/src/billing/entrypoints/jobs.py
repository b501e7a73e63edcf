"""The billing worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from billing.config import Settings
from billing.service_layer import invoices
from billing.service_layer.billing_run import execute_queued_runs, queue_due_months
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """The monthly billing run with catch-up (R23): ``billing.runs`` queues a run of every
    month due, ``billing.run_queue`` executes queued runs — those ops start too (R39);
    and the payment checks (R24)."""
    settings = cast(Settings, runtime.settings)
    uow = cast(Callable[[], BillingUnitOfWork], runtime.uow)

    async def billing_runs() -> None:
        today = runtime.clock.today_in_japan()
        async with uow() as unit:
            await queue_due_months(uow=unit, today=today)

    async def run_queue() -> None:
        await execute_queued_runs(uow_factory=uow, settings=settings)

    async def payment_checks() -> None:
        today = runtime.clock.today_in_japan()
        async with uow() as unit:
            await invoices.mark_overdue(uow=unit, today=today)

    interval = settings.job_interval_seconds
    return (
        PeriodicJob("billing.runs", interval, billing_runs),
        PeriodicJob("billing.run_queue", settings.run_poll_seconds, run_queue),
        PeriodicJob("billing.payment_checks", interval, payment_checks),
    )
