"""The billing worker's scheduled jobs (one replica runs each at a time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from billing.config import Settings
from billing.service_layer import invoices
from billing.service_layer.billing_run import months_due, run_billing
from billing.service_layer.unit_of_work import BillingUnitOfWork
from servicekit.runtime import Runtime
from servicekit.scheduler import PeriodicJob


def jobs(runtime: Runtime) -> Sequence[PeriodicJob]:
    """The monthly billing run with catch-up (R23), and the payment checks (R24)."""
    settings = cast(Settings, runtime.settings)
    uow = cast(Callable[[], BillingUnitOfWork], runtime.uow)

    async def billing_runs() -> None:
        today = runtime.clock.today_in_japan()
        async with uow() as unit:
            due = await months_due(uow=unit, today=today)
        for usage in due:
            await run_billing(uow_factory=uow, settings=settings, usage=usage, today=today)

    async def payment_checks() -> None:
        today = runtime.clock.today_in_japan()
        async with uow() as unit:
            await invoices.settle_account_transfers(uow=unit, today=today)
        async with uow() as unit:
            await invoices.mark_overdue(uow=unit, today=today)

    interval = settings.job_interval_seconds
    return (
        PeriodicJob("billing.runs", interval, billing_runs),
        PeriodicJob("billing.payment_checks", interval, payment_checks),
    )
